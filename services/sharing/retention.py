"""Retention: crypto-shred what the information sharing agreement no longer lets us keep.

The ISA declares a retention period per purpose (``retention: marac: {months: 72}`` ...),
counted from the end of the purpose's involvement. The platform does not record a MARAC
"closure" (a case is never closed by an event), so the clock is honest about what it knows:
**a subject's involvement in a purpose ends on the last day any agency recorded data about
them for it** (the subject register, `subjects.py`). Exits that are recorded (a MATAC cohort
exit, the end of MAPPA management) are such days themselves; anything recorded later moves
the clock on.

Keys are per subject, not per purpose, so erasing destroys everything about the subject. A
subject is therefore due only when *every* purpose that holds them has passed its retention;
a subject also held for something outside the agreement's retention (police incidents follow
MoPI review, not the ISA) is kept. Subjects erased already, and erasure records themselves,
are left alone.

`decide` is the rule, pure and unit-tested; `RetentionJob` applies it to the register and
erases each due subject through the same path as a DPO's erasure, recording who ("retention
job") and why (the rule).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.sharing.agreement_model import AgreementSet
from services.sharing.errors import SubjectAlreadyErased

RETENTION_ACTOR = "retention job"
NOT_RETAINED_BY_THE_ISA = frozenset({"sharing.erasures", "audit.access", "persons"})
"""Streams whose subjects are not case data: erasure records and audit outlive the cases."""


@dataclass(frozen=True)
class Rule:
    """How long the agreement keeps records of one purpose, and which agreement says so."""

    purpose: str
    months: int
    agreement: str  # e.g. "thames-valley-da-isa v2"

    def describe(self) -> str:
        return f"{self.agreement}: {self.purpose} records are kept {self.months} months"


@dataclass(frozen=True)
class Activity:
    """A subject's last recorded day for one purpose (any agency)."""

    subject_id: str
    purpose: str
    ended_on: dt.date


@dataclass(frozen=True)
class PurposeClock:
    purpose: str
    ended_on: dt.date
    rule: Rule | None  # None: the agreement sets no retention for it
    due_on: dt.date | None


@dataclass(frozen=True)
class Decision:
    """Whether one subject is past retention on the as-of date, and why."""

    subject_id: str
    clocks: tuple[PurposeClock, ...]
    due: bool
    why: str

    @property
    def due_since(self) -> dt.date | None:
        dates = [c.due_on for c in self.clocks if c.due_on is not None]
        return max(dates) if len(dates) == len(self.clocks) and dates else None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rules_on(agreements: AgreementSet, on: dt.date) -> dict[str, Rule]:
    """Per purpose, the longest retention any agreement in force on the date declares."""
    rules: dict[str, Rule] = {}
    for agreement in agreements.in_force(on):
        for purpose, terms in agreement.purposes.items():
            current = rules.get(purpose)
            if current is None or terms.retention_months > current.months:
                rules[purpose] = Rule(purpose, terms.retention_months, agreement.label)
    return rules


def decide(
    activities: Iterable[Activity],
    rules: Mapping[str, Rule],
    as_of: dt.date,
    erased: Callable[[str], bool] = lambda subject_id: False,
) -> list[Decision]:
    """Every subject's decision, sorted by subject id; pure.

    Due when every purpose holding the subject has a retention rule and its period, counted
    from the purpose's last recorded day, ended on or before `as_of`.
    """
    by_subject: dict[str, dict[str, dt.date]] = {}
    for activity in activities:
        if activity.purpose in NOT_RETAINED_BY_THE_ISA:
            by_subject.setdefault(activity.subject_id, {})[activity.purpose] = activity.ended_on
            continue
        purposes = by_subject.setdefault(activity.subject_id, {})
        known = purposes.get(activity.purpose)
        if known is None or activity.ended_on > known:
            purposes[activity.purpose] = activity.ended_on
    decisions: list[Decision] = []
    for subject_id in sorted(by_subject):
        purposes = by_subject[subject_id]
        if set(purposes) & NOT_RETAINED_BY_THE_ISA or erased(subject_id):
            continue  # an erasure record, or erased already: nothing to decide
        clocks = []
        for purpose, ended_on in sorted(purposes.items()):
            rule = rules.get(purpose)
            due_on = add_months(ended_on, rule.months) if rule else None
            clocks.append(PurposeClock(purpose, ended_on, rule, due_on))
        decisions.append(_decision(subject_id, tuple(clocks), as_of))
    return decisions


def _decision(subject_id: str, clocks: tuple[PurposeClock, ...], as_of: dt.date) -> Decision:
    outside = [c.purpose for c in clocks if c.rule is None]
    if outside:
        why = f"kept: also held for {', '.join(outside)}, which the agreement does not retain"
        return Decision(subject_id, clocks, False, why)
    pending = [c for c in clocks if c.due_on is not None and c.due_on > as_of]
    if pending:
        latest = max(pending, key=lambda c: c.due_on)  # type: ignore[arg-type,return-value]
        why = f"kept: {latest.purpose} retention runs to {latest.due_on.isoformat()}"
        return Decision(subject_id, clocks, False, why)
    rules = "; ".join(
        f"{c.rule.describe()} after the last record ({c.ended_on.isoformat()})"  # type: ignore[union-attr]
        for c in clocks
    )
    return Decision(subject_id, clocks, True, f"retention passed: {rules}")


@dataclass
class RetentionReport:
    as_of: dt.date
    dry_run: bool
    decisions: list[Decision]
    actions: dict[str, str] = field(default_factory=dict)  # subject -> what was done

    @property
    def due(self) -> list[Decision]:
        return [d for d in self.decisions if d.due]

    @property
    def kept(self) -> list[Decision]:
        return [d for d in self.decisions if not d.due]

    def table(self) -> list[tuple[str, str, str, str, str, str]]:
        """(subject, purpose, ended on, retention, due since, action): a row per purpose."""
        rows = []
        for decision in self.due:
            action = self.actions.get(decision.subject_id, "would erase" if self.dry_run else "")
            for clock in decision.clocks:
                rows.append(
                    (
                        decision.subject_id,
                        clock.purpose,
                        clock.ended_on.isoformat(),
                        f"{clock.rule.months} months" if clock.rule else "none",
                        clock.due_on.isoformat() if clock.due_on else "-",
                        action,
                    )
                )
        return rows

    def render(self) -> str:
        header = ("subject", "purpose", "ended on", "retention", "due since", "action")
        rows = self.table()
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True))
            for row in [header, *rows]
        ]
        erased = sum(1 for a in self.actions.values() if a == "erased")
        failed = sum(1 for a in self.actions.values() if a.startswith("failed"))
        summary = (
            f"retention as of {self.as_of.isoformat()}: {len(self.due)} subject(s) past "
            f"retention, {len(self.kept)} kept"
        )
        if self.dry_run:
            summary += "; dry run, nothing erased"
        else:
            summary += f"; {erased} erased" + (f", {failed} failed" if failed else "")
        if not rows:
            return summary
        return "\n".join([*lines, "", summary])


class RetentionJob:
    """Find the subjects past retention and erase each one, as a DPO's erasure would."""

    def __init__(self, sharing, record: Callable[[Sequence], None]):
        self.sharing = sharing
        self.record = record

    def plan(self, as_of: dt.date) -> RetentionReport:
        rules = rules_on(self.sharing.agreements.get(), as_of)
        activities = [Activity(*row) for row in self.sharing.subjects.last_activity()]
        decisions = decide(activities, rules, as_of, erased=self.sharing.vault.is_erased)
        return RetentionReport(as_of, True, decisions)

    def run(
        self,
        as_of: dt.date,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RetentionReport:
        from services.sharing.service import Caller

        report = self.plan(as_of)
        report.dry_run = dry_run
        if dry_run:
            return report
        due = report.due
        for done, decision in enumerate(due, start=1):
            agreement = next(c.rule.agreement for c in decision.clocks if c.rule)
            partnership = agreement.rsplit(" v", 1)[0]
            caller = Caller(user=RETENTION_ACTOR, agency=partnership, role="dpo")
            try:
                event = self.sharing.erasure_event(
                    decision.subject_id,
                    decision.why,
                    caller,
                    requested_by=RETENTION_ACTOR,
                    requested_by_agency=partnership,
                    trigger="retention",
                    check_scope=False,  # the agreement itself asks, for every subject it holds
                )
                self.record([event])
                report.actions[decision.subject_id] = "erased"
            except SubjectAlreadyErased:
                report.actions[decision.subject_id] = "already erased"
            except Exception as exc:  # one subject failing must not stop the rest
                report.actions[decision.subject_id] = f"failed: {exc.__class__.__name__}: {exc}"
            if progress is not None:
                progress(done, len(due))
        return report
