"""A meeting's agenda: drafted from the read model by the domain rules, shown per caller.

A draft is built on demand from the referrals received since the previous meeting's cut-off
(up to the end of the meeting day: a case received on the day can be added late), less the
cases already heard at an earlier meeting that nothing has brought back; publishing freezes
its case list as an AgendaPublished event (a new version each time). Each case is shown with
what the caller's agency may see under the agreement in force. A referral withdrawn by its
referrer leaves the draft (a published version still lists it, marked withdrawn); a corrected
one is listed and ordered with its corrected score and criteria, marked corrected.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping

from services.bootstrap import Platform
from services.intake.disclosure import Stored, disclose
from services.intake.models import ProtectedText
from services.kernel.commands import CommandSession
from services.marac import queries
from services.marac.domain.actions import is_overdue
from services.marac.domain.agenda import (
    Agenda,
    AgendaItem,
    CandidateCase,
    Meeting,
    build_agenda,
    diff_agendas,
)
from services.marac.domain.criteria import Criterion
from services.marac.domain.stalking import STALKING_QUESTIONS
from services.marac.intake import marac_policy
from services.marac.models import (
    ActionView,
    AgendaCase,
    AgendaChange,
    AgendaMove,
    AgendaView,
    MeetingView,
    StalkingScreenView,
)
from services.sharing.service import Caller

LOCAL_TIME = ZoneInfo("Europe/London")
"""Cut-offs are working days in England & Wales: a referral's day is its local date."""


def meeting_view(conn: Connection, row: RowMapping) -> MeetingView:
    versions = queries.agenda_versions(conn, row["meeting_id"])
    return MeetingView(**dict(row), published_versions=len(versions))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment  # SQLite: naive UTC


def received_on(row: RowMapping) -> dt.date:
    """The local date a referral was received (cut-offs and meeting days are local dates)."""
    return _aware(row["received_at"]).astimezone(LOCAL_TIME).date()


def _candidate(
    row: RowMapping,
    open_action_ids: tuple[str, ...],
    rolled_over: bool,
    heard_up_to: dt.datetime | None = None,
) -> CandidateCase:
    received = _aware(row["received_at"])
    return CandidateCase(
        case_id=row["case_id"],
        referral_date=row["referral_date"],
        received_at=received.astimezone(LOCAL_TIME),
        dash_score=row["dash_score"],
        is_repeat=row["is_repeat"],
        last_referral_date=row["last_referral_date"],
        criteria=tuple(Criterion(c) for c in row["criteria"]),
        referring_agency=row["referring_agency"],
        children_count=row["children_count"],
        agencies_involved=tuple(row["agencies_involved"]),
        idva_allocated=row["idva_allocated"],
        outstanding_action_ids=open_action_ids,
        rolled_over=rolled_over,
        heard_up_to=heard_up_to,
    )


def _start_of_day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LOCAL_TIME)


def heard_up_to(
    conn: Connection, meeting: RowMapping, since: dt.date | None, case_ids: list[str]
) -> dict[str, dt.datetime]:
    """For each case listed on the latest published agenda of an earlier meeting of the MARAC
    (held after ``since``): the moment up to which its referrals were heard there.

    That is when the agenda was published, or the end of the meeting's day if it was
    (re-)published after the meeting: a referral received after the meeting was not heard at
    it, whenever the agenda was re-issued.
    """
    earlier = queries.earlier_meetings(conn, meeting, since)
    versions = queries.latest_agenda_versions(conn, [m["meeting_id"] for m in earlier])
    wanted = set(case_ids)
    result: dict[str, dt.datetime] = {}
    for held in earlier:
        version = versions.get(held["meeting_id"])
        if version is None:
            continue
        until = min(_aware(version["published_at"]), _start_of_day_after(held["meeting_date"]))
        for case_id in version["case_ids"]:
            if case_id in wanted and (case_id not in result or until > result[case_id]):
                result[case_id] = until
    return result


def _open_actions(conn: Connection, case_ids: list[str]) -> dict[str, tuple[str, ...]]:
    result: dict[str, list[str]] = {}
    for action in _case_actions(conn, case_ids):
        result.setdefault(action["case_id"], []).append(action["action_id"])
    return {k: tuple(v) for k, v in result.items()}


def _case_actions(conn: Connection, case_ids: list[str]) -> list[dict]:
    """Open actions of the cases, and of the cases that are part of them (a confirmed person
    match), each under the case asked for."""
    members = queries.linked_case_ids(conn, case_ids)
    shown_as = {m: case_id for case_id, ids in members.items() for m in ids}
    shown_as.update({case_id: case_id for case_id in case_ids})
    return [
        {**action, "case_id": shown_as[action["case_id"]]}
        for action in queries.actions(conn, case_ids=sorted(shown_as), status="open")
    ]


def draft(platform: Platform, conn: Connection, meeting: RowMapping, late_case_ids=()) -> Agenda:
    """The agenda the rules give now, from every referral since the previous cut-off."""
    policy = marac_policy(platform)
    previous = queries.previous_meeting(conn, meeting)
    previous_cutoff = previous["cutoff_date"] if previous else None
    rolled: set[str] = set()
    if previous:
        versions = queries.agenda_versions(conn, previous["meeting_id"])
        if versions:
            overflow = list(versions[-1]["overflow_case_ids"])
            rolled = set(queries.kept_cases(conn, overflow).values())
    window_start = (
        dt.datetime.combine(previous_cutoff, dt.time(), LOCAL_TIME) if previous_cutoff else None
    )
    window_end = _start_of_day_after(meeting["meeting_date"])  # cases received on the day too
    rows = {
        r["case_id"]: r
        for r in queries.referrals_in_area(
            conn, meeting["marac_area"], window_start, window_end, payload=False
        )
    }
    if rolled - rows.keys():
        missing = sorted(rolled - rows.keys())
        rows.update(queries.latest_referral_per_case(conn, missing, payload=False))
    rows = {c: r for c, r in rows.items() if r["withdrawn_on"] is None}  # withdrawn: off it
    open_actions = _open_actions(conn, list(rows))
    heard = heard_up_to(conn, meeting, previous_cutoff, list(rows)) if previous else {}
    candidates = [
        _candidate(row, open_actions.get(case_id, ()), case_id in rolled, heard.get(case_id))
        for case_id, row in rows.items()
    ]
    return build_agenda(
        Meeting(
            meeting["meeting_id"],
            meeting["meeting_date"],
            meeting["cutoff_date"],
            meeting["capacity"],
        ),
        candidates,
        previous_cutoff,
        order=policy.agenda_order,
        late_additions=late_case_ids,
    )


def cases_heard(platform: Platform, conn: Connection, meeting: RowMapping) -> tuple[str, ...]:
    """The cases a meeting hears: those listed on its latest published agenda or, while none
    is published, those listed on its draft (overflow excluded: it rolls to the next one)."""
    versions = queries.agenda_versions(conn, meeting["meeting_id"])
    if versions:
        return tuple(versions[-1]["case_ids"])
    return draft(platform, conn, meeting).case_ids


def published_version(conn: Connection, meeting: RowMapping, version: RowMapping) -> Agenda:
    """A published version as a domain Agenda, so versions can be diffed by the rules."""
    case_ids = list(version["case_ids"]) + list(version["overflow_case_ids"])
    rows = queries.latest_referral_per_case(conn, case_ids)
    open_actions = _open_actions(conn, case_ids)
    late = set(version["late_case_ids"])

    def items(ids: list[str], start: int) -> tuple[AgendaItem, ...]:
        return tuple(
            AgendaItem(start + i, _candidate(rows[c], open_actions.get(c, ()), False), c in late)
            for i, c in enumerate(ids)
            if c in rows
        )

    return Agenda(
        Meeting(
            meeting["meeting_id"],
            meeting["meeting_date"],
            meeting["cutoff_date"],
            meeting["capacity"],
        ),
        items(list(version["case_ids"]), 1),
        items(list(version["overflow_case_ids"]), len(version["case_ids"]) + 1),
        (),
    )


def _change(old: Agenda, new: Agenda) -> AgendaChange:
    diff = diff_agendas(old, new)
    return AgendaChange(
        added=[i.case.case_id for i in diff.added],
        removed=[i.case.case_id for i in diff.removed],
        moved=[f"{m.case_id}: {m.old_position} -> {m.new_position}" for m in diff.moved],
        moved_cases=[
            AgendaMove(case_id=m.case_id, old_position=m.old_position, new_position=m.new_position)
            for m in diff.moved
        ],
    )


def view(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    meeting: RowMapping,
    *,
    version: int | None = None,
    draft_only: bool = False,
    route: str,
) -> AgendaView:
    versions = queries.agenda_versions(conn, meeting["meeting_id"])
    if version is not None:
        chosen = [v for v in versions if v["version"] == version]
        if not chosen:
            raise LookupError(f"meeting {meeting['meeting_id']} has no agenda version {version}")
        versions_up_to = [v for v in versions if v["version"] <= version]
    else:
        versions_up_to = versions
    if versions_up_to and not draft_only:
        agenda = published_version(conn, meeting, versions_up_to[-1])
        previous = versions_up_to[:-1]
        status, number = "published", versions_up_to[-1]["version"]
    else:
        agenda, previous = draft(platform, conn, meeting), versions
        status, number = "draft", None
    earlier = published_version(conn, meeting, previous[-1]) if previous else None
    return present(platform, conn, caller, meeting, agenda, status, number, earlier, route)


def present(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    meeting: RowMapping,
    agenda: Agenda,
    status: str,
    version: int | None,
    previous: Agenda | None,
    route: str,
    session: CommandSession | None = None,
) -> AgendaView:
    """The agenda as the caller may see it, with what changed since the previous version."""
    cases = render_items(
        platform, conn, caller, list(agenda.items) + list(agenda.overflow), route, session
    )
    if status == "published" and version is not None:
        reasons = _late_reasons(platform, conn, caller, meeting, version, route, session)
        cases = [
            c.model_copy(update={"late_reason": reasons[c.case_id]}) if c.case_id in reasons else c
            for c in cases
        ]
    listed = len(agenda.items)
    review = queries.open_actions_from_earlier_meetings(conn, meeting)
    shown = disclose(
        platform,
        caller,
        "marac",
        route,
        [Stored("ActionAssigned", a["assigned_event_id"], a["assigned_payload"]) for a in review],
        session,
    )
    today = platform.today()
    return AgendaView(
        meeting=meeting_view(conn, meeting),
        status=status,
        version=version,
        cases=cases[:listed],
        overflow=cases[listed:],
        changes_since_previous_version=_change(previous, agenda) if previous else None,
        actions_for_review=[
            action_view(a, payload["description"], today)
            for a, payload in zip(review, shown, strict=True)
        ],
    )


def _late_reasons(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    meeting: RowMapping,
    version: int,
    route: str,
    session: CommandSession | None,
) -> dict[str, ProtectedText]:
    """The version's late-addition reasons (encrypted per case) as the caller may see them."""
    row = next(
        (
            v
            for v in queries.agenda_versions(conn, meeting["meeting_id"])
            if v["version"] == version
        ),
        None,
    )
    if row is None or not row["late_reasons"] or row["event_id"] is None:
        return {}
    [shown] = disclose(
        platform,
        caller,
        "marac",
        route,
        [Stored("AgendaPublished", row["event_id"], {"late_reasons": row["late_reasons"]})],
        session,
    )
    return {r["case_id"]: ProtectedText(**r["reason"]) for r in shown["late_reasons"]}


def render_items(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    items: list[AgendaItem],
    route: str,
    session: CommandSession | None = None,
) -> list[AgendaCase]:
    case_ids = [i.case.case_id for i in items]
    rows = queries.latest_referral_per_case(conn, case_ids)
    actions = _case_actions(conn, case_ids)
    linked = queries.linked_case_ids(conn, case_ids)
    stored = [
        Stored("ReferralSubmitted", rows[c]["event_id"], shown_on_agenda(rows[c]["payload"]))
        for c in case_ids
    ]
    stored += [
        Stored("ActionAssigned", a["assigned_event_id"], a["assigned_payload"]) for a in actions
    ]
    shown = disclose(platform, caller, "marac", route, stored, session)
    referrals = dict(zip(case_ids, shown[: len(case_ids)], strict=True))
    today = platform.today()
    actions_by_case: dict[str, list[ActionView]] = {}
    for action, payload in zip(actions, shown[len(case_ids) :], strict=True):
        actions_by_case.setdefault(action["case_id"], []).append(
            action_view(action, payload["description"], today)
        )
    references = queries.case_references(conn, case_ids)
    result = []
    for item in items:
        case = item.case
        row = rows[case.case_id]
        payload = referrals[case.case_id]
        result.append(
            AgendaCase(
                position=item.position,
                case_id=case.case_id,
                case_reference=references.get(case.case_id),
                late=item.late,
                repeat=case.is_repeat,
                last_referral_date=case.last_referral_date,
                dash_score=row["dash_score"],
                risk_level=row["risk_level"],
                criteria=list(row["criteria"]),
                referring_agency=case.referring_agency,
                referral_date=case.referral_date,
                idva_allocated=case.idva_allocated,
                agencies_involved=list(case.agencies_involved),
                children_count=case.children_count,
                victim_name=payload["victim"]["name"],
                perpetrator_names=[
                    p["name"] for p in payload["perpetrators"] if p.get("name") is not None
                ],
                children_names=[c["name"] for c in payload["children"]],
                outstanding_actions=actions_by_case.get(case.case_id, []),
                stalking_screen=stalking_screen_view(payload),
                linked_case_ids=linked.get(case.case_id, []),
                withdrawn=row["withdrawn_on"] is not None,
                corrected=row["corrected_on"] is not None,
            )
        )
    return result


def _names_of(people: list[dict] | None) -> list[dict]:
    return [{"person_id": p.get("person_id"), "name": p.get("name")} for p in people or []]


def shown_on_agenda(payload: dict) -> dict:
    """The part of a stored referral an agenda shows: names and the stalking screen.

    Only these are decrypted (and so audited); every other field stays sealed. People keep
    their places in the lists, as each token is bound to its path.
    """
    victim = payload.get("victim") or {}
    return {
        "case_id": payload.get("case_id"),
        "victim": {"person_id": victim.get("person_id"), "name": victim.get("name")},
        "perpetrators": _names_of(payload.get("perpetrators")),
        "children": _names_of(payload.get("children")),
        "stalking_screen": payload.get("stalking_screen"),
        "stalking_screen_offending": payload.get("stalking_screen_offending"),
    }


def stalking_screen_view(payload: dict) -> StalkingScreenView | None:
    """The screen's parts the caller may read, merged; the others withheld with the reason."""
    parts = [payload.get("stalking_screen"), payload.get("stalking_screen_offending")]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None  # no screen (or an event written before v3)
    answers: dict[str, str] = {}
    withheld = []
    for part in parts:
        if part["status"] == "shown":
            answers.update(json.loads(part["value"] or "{}"))
        else:
            withheld.append(ProtectedText(**part))
    ordered = {key: answers[key] for key in STALKING_QUESTIONS if key in answers}
    return StalkingScreenView(answers=ordered, withheld=withheld)


def victim_names(
    platform: Platform,
    conn: Connection,
    caller: Caller,
    case_ids: list[str],
    route: str,
    rows: dict[str, RowMapping] | None = None,
) -> dict[str, dict]:
    """Each case's victim name (from its latest referral) as the caller may see it, audited.

    Only the name is decrypted, so the access trail records the identity and nothing more.
    ``rows``: the cases' latest referrals, when the caller has read them already.
    """
    wanted = list(dict.fromkeys(case_ids))
    if rows is None:
        rows = queries.latest_referral_per_case(conn, wanted)
    present = [c for c in wanted if c in rows]
    stored = [
        Stored(
            "ReferralSubmitted",
            rows[c]["event_id"],
            {
                "victim": {
                    "person_id": rows[c]["payload"]["victim"]["person_id"],
                    "name": rows[c]["payload"]["victim"]["name"],
                }
            },
        )
        for c in present
    ]
    shown = disclose(platform, caller, "marac", route, stored) if stored else []
    return {c: payload["victim"]["name"] for c, payload in zip(present, shown, strict=True)}


def action_view(row: RowMapping, description: dict, today: dt.date) -> ActionView:
    return ActionView(
        action_id=row["action_id"],
        case_id=row["case_id"],
        case_reference=row.get("case_reference"),
        meeting_id=row["meeting_id"],
        owner_agency=row["owner_agency"],
        description=description,
        due_date=row["due_date"],
        status=row["status"],
        not_done_reason=row["not_done_reason"],
        overdue=is_overdue(queries.to_action(row), today),
    )
