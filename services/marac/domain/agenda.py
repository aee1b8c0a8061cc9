"""Building a meeting's agenda from the cases waiting to be heard, and diffing versions.

Which cases are listed, by the calendar date of ``received_at`` (the I/O layer gives it
in the partnership's local time, so the date is the local date the referral arrived):

* already heard: excluded as ``ALREADY_HEARD`` (see below), unless rolled over;
* received after the previous cut-off and on or before this cut-off: listed;
* rolled over from an earlier meeting's overflow: listed, whenever received;
* received after the cut-off and up to the end of the meeting day: listed as a *late
  addition* only if the coordinator adds it, otherwise excluded as ``LATE_NOT_ADDED``
  (a case received on the meeting day itself can be added on the day; the API asks for
  a reason for those, see ``added_on_the_day``);
* received on or before the previous cut-off (and not rolled over): excluded as
  ``ALREADY_DUE``, since it belonged to an earlier agenda;
* received after the meeting day: excluded as ``FOR_A_LATER_MEETING``.

*Heard*: a case listed on the published agenda of an earlier meeting of the MARAC has been
heard there (or will be, before this meeting) with every referral received before
``heard_up_to``: the moment that agenda was published, or the end of that meeting's day if
it was (re-)published later. A case is listed again only when something brings it back: a
referral (a repeat, a new referral joining the case) received after that moment. Without
this a case added late to one meeting, received after its cut-off, fell in the next
meeting's window and was heard twice.

Order: on-time cases come first and late additions after them (agencies have had less
time to research a late case), each group sorted by the policy's sort keys, with the
case id as the final tie-break so the same input always gives the same agenda. A case
with no DASH score sorts after every scored case under ``dash_desc``. Cases beyond the
meeting's capacity are returned as ``overflow``, ranked, to roll to the next meeting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from services.marac.domain.criteria import Criterion


class AgendaError(ValueError):
    """The agenda cannot be built from inputs that contradict each other."""


class AgendaSortKey(StrEnum):
    """Sort keys a policy may list, applied in the order listed."""

    REPEAT_FIRST = "repeat_first"
    DASH_DESC = "dash_desc"
    REFERRAL_DATE_ASC = "referral_date_asc"
    RECEIVED_AT_ASC = "received_at_asc"
    ROLLED_OVER_FIRST = "rolled_over_first"
    CHILDREN_DESC = "children_desc"


class ExclusionReason(StrEnum):
    """Why a candidate case is not on this agenda."""

    ALREADY_DUE = "already_due"
    ALREADY_HEARD = "already_heard"
    LATE_NOT_ADDED = "late_not_added"
    FOR_A_LATER_MEETING = "for_a_later_meeting"


@dataclass(frozen=True)
class Meeting:
    """The meeting the agenda is for; ``cutoff`` comes from ``working_days.agenda_cutoff``."""

    meeting_id: str
    meeting_date: date
    cutoff: date
    capacity: int


@dataclass(frozen=True)
class CandidateCase:
    """A case waiting to be heard, as plain facts (identities stay encrypted elsewhere)."""

    case_id: str
    referral_date: date
    received_at: datetime
    dash_score: int | None
    is_repeat: bool
    last_referral_date: date | None
    criteria: tuple[Criterion, ...]
    referring_agency: str
    children_count: int
    agencies_involved: tuple[str, ...]
    idva_allocated: bool
    outstanding_action_ids: tuple[str, ...]
    rolled_over: bool = False
    heard_up_to: datetime | None = None
    """When the case was last heard at an earlier meeting: referrals received before this
    were heard there (None: never listed on an earlier meeting's published agenda)."""

    @property
    def already_heard(self) -> bool:
        """Heard at an earlier meeting, and no referral since brings it back."""
        return self.heard_up_to is not None and self.received_at < self.heard_up_to


@dataclass(frozen=True)
class AgendaItem:
    """A case at a 1-based position; overflow positions continue past the capacity."""

    position: int
    case: CandidateCase
    late: bool


@dataclass(frozen=True)
class Exclusion:
    """A candidate left off the agenda, and why."""

    case_id: str
    reason: ExclusionReason


@dataclass(frozen=True)
class Agenda:
    """The listed cases, the ranked overflow and the exclusions, for the coordinator."""

    meeting: Meeting
    items: tuple[AgendaItem, ...]
    overflow: tuple[AgendaItem, ...]
    excluded: tuple[Exclusion, ...]

    @property
    def case_ids(self) -> tuple[str, ...]:
        """Listed case ids in agenda order."""
        return tuple(item.case.case_id for item in self.items)


@dataclass(frozen=True)
class Move:
    """A case listed in both versions at different positions."""

    case_id: str
    old_position: int
    new_position: int


@dataclass(frozen=True)
class AgendaDiff:
    """What changed between two versions of one meeting's agenda."""

    added: tuple[AgendaItem, ...]
    removed: tuple[AgendaItem, ...]
    moved: tuple[Move, ...]

    @property
    def unchanged(self) -> bool:
        """True when the two versions list the same cases in the same places."""
        return not (self.added or self.removed or self.moved)


def build_agenda(
    meeting: Meeting,
    candidates: Sequence[CandidateCase],
    previous_cutoff: date | None,
    *,
    order: Sequence[AgendaSortKey],
    late_additions: Collection[str] = (),
) -> Agenda:
    """List, order and cap the candidates for ``meeting``.

    ``previous_cutoff`` is None for a MARAC's first meeting. ``late_additions`` holds the
    ids of cases the coordinator adds after the cut-off.
    """
    _check_inputs(meeting, candidates, previous_cutoff, order, late_additions)
    on_time: list[CandidateCase] = []
    late: list[CandidateCase] = []
    excluded: list[Exclusion] = []
    for case in candidates:
        received_on = case.received_at.date()
        if case.already_heard and not case.rolled_over:
            excluded.append(Exclusion(case.case_id, ExclusionReason.ALREADY_HEARD))
        elif case.rolled_over or (
            (previous_cutoff is None or received_on > previous_cutoff)
            and received_on <= meeting.cutoff
        ):
            on_time.append(case)
        elif received_on <= meeting.cutoff:
            excluded.append(Exclusion(case.case_id, ExclusionReason.ALREADY_DUE))
        elif received_on > meeting.meeting_date:
            excluded.append(Exclusion(case.case_id, ExclusionReason.FOR_A_LATER_MEETING))
        elif case.case_id in late_additions:
            late.append(case)
        else:
            excluded.append(Exclusion(case.case_id, ExclusionReason.LATE_NOT_ADDED))

    _check_late_additions(meeting, candidates, late, late_additions)
    ranked = [(case, False) for case in sort_cases(on_time, order)]
    ranked += [(case, True) for case in sort_cases(late, order)]
    items = tuple(
        AgendaItem(position=index, case=case, late=is_late)
        for index, (case, is_late) in enumerate(ranked, start=1)
    )
    return Agenda(
        meeting=meeting,
        items=items[: meeting.capacity],
        overflow=items[meeting.capacity :],
        excluded=tuple(sorted(excluded, key=lambda exclusion: exclusion.case_id)),
    )


def added_on_the_day(agenda: Agenda) -> tuple[str, ...]:
    """Late additions (listed or overflowing) received on the meeting day itself."""
    return tuple(
        item.case.case_id
        for item in agenda.items + agenda.overflow
        if item.late and item.case.received_at.date() == agenda.meeting.meeting_date
    )


def sort_cases(
    cases: Sequence[CandidateCase], order: Sequence[AgendaSortKey]
) -> list[CandidateCase]:
    """Sort by the policy's keys in turn, then by case id for determinism."""
    return sorted(
        cases, key=lambda case: (*(_sort_value(case, key) for key in order), case.case_id)
    )


def diff_agendas(old: Agenda, new: Agenda) -> AgendaDiff:
    """Cases added, removed and moved between two versions (overflow is not compared)."""
    old_items = {item.case.case_id: item for item in old.items}
    new_items = {item.case.case_id: item for item in new.items}
    return AgendaDiff(
        added=tuple(item for item in new.items if item.case.case_id not in old_items),
        removed=tuple(item for item in old.items if item.case.case_id not in new_items),
        moved=tuple(
            Move(item.case.case_id, old_items[item.case.case_id].position, item.position)
            for item in new.items
            if item.case.case_id in old_items
            and old_items[item.case.case_id].position != item.position
        ),
    )


def _sort_value(case: CandidateCase, key: AgendaSortKey) -> int | date | datetime:
    """A value that sorts ascending in the direction the key names."""
    if key is AgendaSortKey.REPEAT_FIRST:
        return 0 if case.is_repeat else 1
    if key is AgendaSortKey.DASH_DESC:
        return 1 if case.dash_score is None else -case.dash_score
    if key is AgendaSortKey.REFERRAL_DATE_ASC:
        return case.referral_date
    if key is AgendaSortKey.RECEIVED_AT_ASC:
        return case.received_at
    if key is AgendaSortKey.ROLLED_OVER_FIRST:
        return 0 if case.rolled_over else 1
    return -case.children_count


def _check_inputs(
    meeting: Meeting,
    candidates: Sequence[CandidateCase],
    previous_cutoff: date | None,
    order: Sequence[AgendaSortKey],
    late_additions: Collection[str],
) -> None:
    if meeting.capacity < 1:
        raise AgendaError(f"meeting capacity must be at least 1, got {meeting.capacity}")
    if meeting.cutoff >= meeting.meeting_date:
        raise AgendaError(
            f"cut-off {meeting.cutoff.isoformat()} must be before the meeting date "
            f"{meeting.meeting_date.isoformat()}"
        )
    if previous_cutoff is not None and previous_cutoff >= meeting.cutoff:
        raise AgendaError(
            f"previous cut-off {previous_cutoff.isoformat()} must be before this cut-off "
            f"{meeting.cutoff.isoformat()}"
        )
    if not order:
        raise AgendaError("the agenda order needs at least one sort key")
    duplicates = sorted(
        case_id for case_id, n in Counter(c.case_id for c in candidates).items() if n > 1
    )
    if duplicates:
        raise AgendaError(f"case(s) listed more than once: {', '.join(duplicates)}")
    unknown = sorted(set(late_additions) - {case.case_id for case in candidates})
    if unknown:
        raise AgendaError(f"late addition(s) are not candidate cases: {', '.join(unknown)}")


def _check_late_additions(
    meeting: Meeting,
    candidates: Sequence[CandidateCase],
    late: Sequence[CandidateCase],
    late_additions: Collection[str],
) -> None:
    """A late addition must have arrived after the cut-off and by the end of the meeting day,
    and not have been heard already."""
    added = {case.case_id for case in late}
    refused = [c for c in candidates if c.case_id in late_additions and c.case_id not in added]
    heard = sorted(c.case_id for c in refused if c.already_heard and not c.rolled_over)
    if heard:
        raise AgendaError(
            f"case(s) {', '.join(heard)} cannot be late additions: already heard at an earlier "
            "meeting, and no referral since brings them back"
        )
    misplaced = sorted(c.case_id for c in refused)
    if misplaced:
        raise AgendaError(
            f"case(s) {', '.join(misplaced)} cannot be late additions: only cases received "
            f"after the cut-off {meeting.cutoff.isoformat()} and up to the meeting day "
            f"{meeting.meeting_date.isoformat()} can"
        )
