"""MARAC coordinator and chair pages: meetings, agendas, publishing, printing, actions,
overdue actions, the near-match queue and the quarterly return.

Every page calls the function behind the matching API route (``services.marac.api``,
``services.intake.routers.sharing``) with the signed-in user as the caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from projections.marac import marac_referrals
from services.intake.disclosure import Stored, disclose
from services.intake.routers import sharing as sharing_api
from services.intake.web.core import (
    PageCaller,
    PageRoute,
    PostedForm,
    agencies,
    get_platform,
    redirect,
    render,
    require,
)
from services.intake.web.referral_form import (
    ETHNICITIES,
    GENDERS,
    Errors,
    check_date,
    date_parts,
    text,
)
from services.marac import agendas, exports, queries
from services.marac import api as marac_api
from services.marac.domain.agenda import ExclusionReason
from services.marac.domain.bank_holidays import is_bank_holiday
from services.marac.domain.criteria import CRITERION_LABELS
from services.marac.intake import marac_policy, policy_areas
from services.marac.models import (
    ActionRequest,
    ActionStatusRequest,
    AgendaView,
    MeetingRequest,
    PublishRequest,
)
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Coordinator = Annotated[Caller, Depends(require("coordinator"))]
Partner = Annotated[Caller, Depends(require("coordinator", "referrer", "agency_contact"))]


def _areas(conn) -> list[str]:
    return sorted({m["marac_area"] for m in queries.meetings(conn)})


def _field_errors(exc: HTTPException, names: dict[str, str] | None = None) -> Errors:
    """A 422 from an API function, as errors on the page's fields."""
    errors = Errors()
    detail = (
        exc.detail
        if isinstance(exc.detail, list)
        else [{"loc": ["body", ""], "msg": str(exc.detail)}]
    )
    for problem in detail:
        location = [str(p) for p in problem.get("loc", []) if p not in ("body", "query")]
        field = location[0] if location else ""
        field = (names or {}).get(field, field)
        errors.add(field or "form", str(problem.get("msg", "")).removeprefix("Value error, "))
    return errors


def _show(request, template, context, status_code=200):
    return render(request, template, context, status_code=status_code)


# -- meetings --------------------------------------------------------------------------------


@router.get("/marac/meetings")
def meetings(request: Request, caller: Partner, area: str = "", scheduled: str = ""):
    platform = get_platform(request)
    today = platform.today()
    with platform.engine.connect() as conn:
        areas = _areas(conn)
        rows = [agendas.meeting_view(conn, m) for m in queries.meetings(conn, area or None)]
    upcoming = [m for m in rows if m.meeting_date >= today]
    past = [m for m in rows if m.meeting_date < today][::-1]
    by_area: dict[str, list] = {}
    for meeting in upcoming:
        by_area.setdefault(meeting.marac_area, []).append(meeting)
    return _show(
        request,
        "marac/meetings.html",
        {
            "areas": areas,
            "area": area,
            "by_area": by_area,
            "past": past[:20],
            "scheduled": scheduled,
            "today": today,
        },
    )


def _closed_day(platform, day: dt.date) -> str | None:
    """Why a date is not a working day (a weekend, a bank holiday, a partnership closure)."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    if is_bank_holiday(day):
        return "a bank holiday"
    if day in marac_policy(platform).extra_closure_dates:
        return "a day the partnership's offices are closed"
    return None


def _meeting_form_context(request, values, errors: Errors | None = None) -> dict[str, Any]:
    platform = get_platform(request)
    context: dict[str, Any] = {
        "values": values,
        "areas": policy_areas(platform),
        "agencies": agencies(platform),
    }
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(
            [
                "marac_area",
                "meeting_date",
                "recorded_after_the_event_reason",
                "closed_day_confirmed",
                "capacity",
                "venue",
                "chair_agency",
            ]
        )
    return context


@router.get("/marac/meetings/new")
def new_meeting(request: Request, caller: Coordinator):
    return _show(request, "marac/meeting_new.html", _meeting_form_context(request, {}))


@router.post("/marac/meetings/new")
def schedule_meeting(request: Request, caller: Coordinator, form: PostedForm):
    platform = get_platform(request)
    values: dict[str, Any] = {
        "marac_area": text(form, "marac_area").lower(),
        "meeting_date": date_parts(form, "meeting_date"),
        "capacity": text(form, "capacity"),
        "venue": text(form, "venue"),
        "chair_agency": text(form, "chair_agency"),
        "recorded_after_the_event_reason": text(form, "recorded_after_the_event_reason"),
        "closed_day_confirmed": [str(v) for v in form.getlist("closed_day_confirmed")],
    }
    errors = Errors()
    reason = values["recorded_after_the_event_reason"]
    if not values["marac_area"]:
        errors.add("marac_area", "Select the MARAC area")
    meeting_date = check_date(
        values["meeting_date"],
        "meeting_date",
        "the meeting date",
        errors,
        dt.date.max,
        required=True,
    )
    if meeting_date is not None and meeting_date < platform.today() and not reason:
        errors.add(
            "recorded_after_the_event_reason",
            "The meeting date is in the past: say why you are recording a meeting already held",
        )
    if meeting_date is not None and meeting_date > platform.today() and reason:
        errors.add(
            "recorded_after_the_event_reason",
            "Leave the reason blank for a meeting that has not been held yet",
        )
    if len(reason) > 2000:
        errors.add("recorded_after_the_event_reason", "The reason must be 2000 characters or fewer")
    closed = _closed_day(platform, meeting_date) if meeting_date else None
    if closed and values["closed_day_confirmed"] != ["yes"]:
        values["closed_day"] = closed
        errors.add(
            "closed_day_confirmed",
            f"{meeting_date.day} {meeting_date:%B %Y} is {closed}: check the date, or confirm "
            "the meeting is on that day",
        )
    capacity = None
    if values["capacity"]:
        try:
            capacity = int(values["capacity"])
            if not 1 <= capacity <= 200:
                raise ValueError
        except ValueError:
            errors.add("capacity", "Capacity must be a whole number from 1 to 200")
    if errors:
        return _show(
            request, "marac/meeting_new.html", _meeting_form_context(request, values, errors), 400
        )
    body = MeetingRequest(
        marac_area=values["marac_area"],
        meeting_date=meeting_date,
        capacity=capacity,
        venue=values["venue"] or None,
        chair_agency=values["chair_agency"] or None,
        recorded_after_the_event_reason=reason or None,
    )
    try:
        meeting = marac_api.schedule_meeting(body, caller, platform)
    except HTTPException as exc:
        if exc.status_code == 409:  # already a meeting that day
            errors.add("meeting_date", str(exc.detail), "meeting_date-day")
        elif exc.status_code == 422:
            errors = _field_errors(exc)
            if "meeting_date" in errors.messages:
                errors.anchors["meeting_date"] = "meeting_date-day"
        else:
            raise
        return _show(
            request, "marac/meeting_new.html", _meeting_form_context(request, values, errors), 400
        )
    return redirect(request, f"/marac/meetings/{meeting.meeting_id}?scheduled=1")


# -- the agenda ------------------------------------------------------------------------------


def _meeting_or_404(conn, meeting_id: str):
    meeting = queries.meeting(conn, meeting_id)
    if meeting is None:
        raise HTTPException(404)
    return meeting


def _agenda(request, caller, meeting_id: str, draft: bool, route: str):
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        meeting = _meeting_or_404(conn, meeting_id)
        view = agendas.view(platform, conn, caller, meeting, draft_only=draft, route=route)
        late: list[dict[str, Any]] = []
        if caller.role == "coordinator":
            current = agendas.draft(platform, conn, meeting)
            late_ids = [
                e.case_id for e in current.excluded if e.reason == ExclusionReason.LATE_NOT_ADDED
            ]
            rows = queries.latest_referral_per_case(conn, late_ids)
            references = queries.case_references(conn, late_ids)
            late = [
                {
                    "case_id": c,
                    "case_reference": references.get(c),
                    "dash_score": rows[c]["dash_score"],
                    "referral_date": rows[c]["referral_date"],
                    "referring_agency": rows[c]["referring_agency"],
                    "on_the_day": agendas.received_on(rows[c]) == meeting["meeting_date"],
                }
                for c in late_ids
                if c in rows
            ]
        referral_ids = {
            c.case_id: r["referral_id"]
            for c in view.cases + view.overflow
            if (r := queries.latest_referral_per_case(conn, [c.case_id]).get(c.case_id))
        }
    return view, late, referral_ids


def _named_cases(request, caller, view: AgendaView, route: str) -> dict[str, dict]:
    """References and victim names for the cases the agenda names outside its own list:
    the changes since the previous version, the actions to review and the linked cases.
    Names already shown on the agenda are reused; the others are read for the caller under
    the agreement."""
    names = {c.case_id: c.victim_name.model_dump() for c in view.cases + view.overflow}
    changes = view.changes_since_previous_version
    mentioned = [a.case_id for a in view.actions_for_review]
    if changes is not None:
        mentioned += changes.added + changes.removed + [m.case_id for m in changes.moved_cases]
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        missing = [c for c in dict.fromkeys(mentioned) if c not in names]
        names |= agendas.victim_names(platform, conn, caller, missing, route)
        linked = [c for case in view.cases + view.overflow for c in case.linked_case_ids]
        references = queries.case_references(conn, list(dict.fromkeys(mentioned + linked)))
    return {"names": names, "references": references}


@router.get("/marac/meetings/{meeting_id}")
def agenda_page(
    request: Request,
    meeting_id: str,
    caller: Partner,
    draft: bool = False,
    published: int | None = None,
    recorded: str = "",
    scheduled: str = "",
):
    platform = get_platform(request)
    view, late, referral_ids = _agenda(
        request,
        caller,
        meeting_id,
        draft and caller.role == "coordinator",
        f"GET /marac/meetings/{meeting_id}",
    )
    data = view.model_dump(mode="json")
    pending_publish = published is not None and (view.version or 0) < published
    named = _named_cases(request, caller, view, f"GET /marac/meetings/{meeting_id}")
    if recorded:
        with platform.engine.connect() as conn:
            named["recorded_reference"] = queries.case_reference(conn, recorded)
    return _show(
        request,
        "marac/agenda.html",
        {
            **named,
            "agenda": data,
            "late": late,
            "published": published,
            "pending_publish": pending_publish,
            "recorded": recorded,
            "scheduled": scheduled,
            "referral_ids": referral_ids,
            "agency_names": dict(agencies(platform)),
            "showing_draft": draft,
            "coordinator": caller.role == "coordinator",
        },
    )


@router.post("/marac/meetings/{meeting_id}/publish")
def publish(request: Request, meeting_id: str, caller: Coordinator, form: PostedForm):
    platform = get_platform(request)
    late_ids = [str(c) for c in form.getlist("late_case_ids")]
    late_reason = text(form, "late_reason")[:2000] or None
    with platform.engine.connect() as conn:
        _meeting_or_404(conn, meeting_id)
    try:
        view = marac_api.publish_agenda(
            meeting_id,
            PublishRequest(late_case_ids=late_ids, late_reason=late_reason if late_ids else None),
            caller,
            platform,
        )
    except HTTPException as exc:
        if exc.status_code != 422:
            raise
        raise HTTPException(400, _field_errors(exc).summary()[0]["text"]) from exc
    version = view.version
    return redirect(request, f"/marac/meetings/{meeting_id}?published={version}")


@router.get("/marac/meetings/{meeting_id}/print")
def print_agenda(request: Request, meeting_id: str, caller: Partner, draft: bool = False):
    platform = get_platform(request)
    view, _, _ = _agenda(
        request,
        caller,
        meeting_id,
        draft and caller.role == "coordinator",
        f"GET /marac/meetings/{meeting_id}/print",
    )
    return _show(
        request,
        "marac/print.html",
        {
            "agenda": view.model_dump(mode="json"),
            "agency_names": dict(agencies(platform)),
            "printed_on": platform.today(),
        },
    )


@router.get("/marac/meetings/{meeting_id}/agenda/table")
def agenda_table(request: Request, meeting_id: str, caller: Partner, draft: bool = False):
    """One row per case, the columns of the agenda CSV: the spreadsheet chairs work from."""
    platform = get_platform(request)
    showing_draft = draft and caller.role == "coordinator"
    view, _, _ = _agenda(
        request, caller, meeting_id, showing_draft, f"GET /marac/meetings/{meeting_id}/agenda/table"
    )
    data = view.model_dump(mode="json")
    return _show(
        request,
        "marac/agenda_table.html",
        {
            "agenda": data,
            "rows": [(c, False) for c in data["cases"]] + [(c, True) for c in data["overflow"]],
            "columns": exports.AGENDA_COLUMNS,
            "criteria_words": CRITERION_LABELS,
            "agency_names": dict(agencies(platform)),
            "showing_draft": showing_draft,
            "printed_on": platform.today(),
        },
    )


# -- actions ---------------------------------------------------------------------------------


def _case_reference(platform, case_id: str) -> str | None:
    with platform.engine.connect() as conn:
        return queries.case_reference(conn, case_id)


def _action_context(request, meeting_id, case_id, values, errors: Errors | None = None):
    platform = get_platform(request)
    context: dict[str, Any] = {
        "meeting_id": meeting_id,
        "case_id": case_id,
        "case_reference": _case_reference(platform, case_id),
        "values": values,
        "agencies": agencies(platform),
    }
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(["owner_agency", "description", "due_date"])
    return context


def _case_on_agenda(request, caller, meeting_id: str, case_id: str) -> None:
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        meeting = _meeting_or_404(conn, meeting_id)
        # the rule the API applies to an action's meeting: the meeting hears the case
        if case_id not in agendas.cases_heard(platform, conn, meeting):
            raise HTTPException(404)
        if not queries.case_exists(conn, case_id):
            raise HTTPException(404)


@router.get("/marac/meetings/{meeting_id}/cases/{case_id}/actions/new")
def new_action(request: Request, meeting_id: str, case_id: str, caller: Coordinator):
    _case_on_agenda(request, caller, meeting_id, case_id)
    return _show(
        request, "marac/action_new.html", _action_context(request, meeting_id, case_id, {})
    )


@router.post("/marac/meetings/{meeting_id}/cases/{case_id}/actions/new")
def record_action(
    request: Request, meeting_id: str, case_id: str, caller: Coordinator, form: PostedForm
):
    _case_on_agenda(request, caller, meeting_id, case_id)
    platform = get_platform(request)
    values: dict[str, Any] = {
        "owner_agency": text(form, "owner_agency"),
        "description": text(form, "description"),
        "due_date": date_parts(form, "due_date"),
    }
    errors = Errors()
    if values["owner_agency"] not in dict(agencies(platform)):
        errors.add("owner_agency", "Select the agency that owns the action")
    if len(values["description"]) < 3:
        errors.add("description", "Enter what the agency will do")
    elif len(values["description"]) > 2000:
        errors.add("description", "The action must be 2000 characters or fewer")
    due = check_date(values["due_date"], "due_date", "the due date", errors, dt.date.max, True)
    if due is not None and due < platform.today():
        errors.add("due_date", "The due date must be today or in the future", "due_date-day")
    if errors:
        return _show(
            request,
            "marac/action_new.html",
            _action_context(request, meeting_id, case_id, values, errors),
            400,
        )
    body = ActionRequest(
        case_id=case_id,
        meeting_id=meeting_id,
        owner_agency=values["owner_agency"],
        description=values["description"],
        due_date=due,
    )
    with platform.engine.connect() as conn:
        try:
            marac_api.assign_action(body, caller, conn, platform)
        except HTTPException as exc:
            if exc.status_code != 422:
                raise
            return _show(
                request,
                "marac/action_new.html",
                _action_context(request, meeting_id, case_id, values, _field_errors(exc)),
                400,
            )
    return redirect(request, f"/marac/meetings/{meeting_id}?recorded={case_id}#case-{case_id}")


def _group_by_agency(actions, platform) -> list[dict[str, Any]]:
    names = dict(agencies(platform))
    groups: dict[str, list] = {}
    for action in actions:
        groups.setdefault(action.owner_agency, []).append(action.model_dump(mode="json"))
    return [
        {"agency": agency, "name": names.get(agency, agency), "actions": items}
        for agency, items in sorted(groups.items(), key=lambda g: names.get(g[0], g[0]))
    ]


@router.get("/marac/actions/overdue")
def overdue_actions(request: Request, caller: Coordinator):
    platform = get_platform(request)
    today = platform.today()
    with platform.engine.connect() as conn:
        actions = marac_api.list_actions(caller, conn, platform, agency=None, overdue=True)
        names = agendas.victim_names(
            platform, conn, caller, [a.case_id for a in actions], "GET /marac/actions/overdue"
        )
    return _show(
        request,
        "marac/overdue.html",
        {
            "names": names,
            "groups": _group_by_agency(actions, platform),
            "total": len(actions),
            "today": today.isoformat(),
        },
    )


@router.get("/marac/actions")
def agency_actions(request: Request, caller: Partner, updated: str = ""):
    return _actions_page(request, caller, updated=updated)


def _actions_page(
    request: Request,
    caller: Caller,
    *,
    updated: str = "",
    error: tuple[str, str] | None = None,
):
    """The agency's actions; ``error`` is (action id, message) for a form that was not
    answered, shown GOV.UK style: in the summary, linked to that action's radios."""
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        actions = marac_api.list_actions(
            caller, conn, platform, agency=None if caller.role == "coordinator" else caller.agency
        )
        own = [a for a in actions if a.owner_agency == caller.agency]
        cases = _case_summaries(platform, caller, conn, sorted({a.case_id for a in own}))
    context: dict[str, Any] = {
        "open": [a.model_dump(mode="json") for a in own if a.status == "open"],
        "closed": [a.model_dump(mode="json") for a in own if a.status != "open"],
        "cases": cases,
        "updated": updated,
    }
    if error is not None:
        action_id, message = error
        context["error_action"] = action_id
        context["error_message"] = message
        context["error_list"] = [{"text": message, "href": f"#status-{action_id}"}]
    return _show(request, "marac/actions.html", context, 400 if error else 200)


def _case_summaries(platform, caller, conn, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Whom each action is for: the victim's name (as the agency may see it) and the risk on
    the case's latest referral. Only the name is decrypted, so only the name is audited."""
    rows = queries.latest_referral_per_case(conn, case_ids) if case_ids else {}
    names = agendas.victim_names(platform, conn, caller, case_ids, "GET /marac/actions", rows)
    return {
        c: {
            "victim_name": names[c],
            "dash_score": rows[c]["dash_score"],
            "risk_level": rows[c]["risk_level"],
            "marac_area": rows[c]["marac_area"],
        }
        for c in case_ids
        if c in names
    }


@router.get("/marac/cases/{case_id}")
def case_page(request: Request, case_id: str, caller: Partner):
    """A case for the agencies that may see it (its actions' owners among them), else 404."""
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        view = marac_api.get_case(case_id, caller, conn, platform)
    data = view.model_dump(mode="json")
    return _show(
        request,
        "marac/case.html",
        {
            "case": data,
            "detail": data["detail"],
            "labels": {"gender": dict(GENDERS), "ethnicity": dict(ETHNICITIES)},
            "agency_names": dict(agencies(platform)),
        },
    )


@router.post("/marac/actions/{action_id}/status")
def action_status(request: Request, action_id: str, caller: Partner, form: PostedForm):
    platform = get_platform(request)
    outcome, _, reason_text = text(form, "status").partition(":")
    reason = reason_text or None
    with platform.engine.connect() as conn:
        row = queries.action(conn, action_id)
        if row is None or row["owner_agency"] != caller.agency:
            raise HTTPException(404)
    if outcome not in ("done", "not_done") or reason not in (
        None,
        "circumstances_changed",
        "not_actioned",
    ):
        # Not a dead-end error page: the list again, with the unanswered question marked.
        return _actions_page(
            request, caller, error=(action_id, "Select whether the action was done")
        )
    if outcome == "not_done" and reason is None:
        return _actions_page(
            request, caller, error=(action_id, "Select why the action was not done")
        )
    marac_api.change_action_status(
        action_id, ActionStatusRequest(status=outcome, reason=reason), caller, platform
    )
    return redirect(request, f"/marac/actions?updated={action_id}")


# -- near-match queue ------------------------------------------------------------------------

_SCAN_LIMIT = 2000


def _people(platform, caller, conn, person_ids: set[str]) -> dict[str, dict[str, Any]]:
    """For each person id, who they are on the latest referral naming them (disclosed)."""
    rows = conn.execute(
        select(marac_referrals).order_by(marac_referrals.c.received_at.desc()).limit(_SCAN_LIMIT)
    ).all()
    wanted: dict[str, Any] = {}
    for row in rows:
        payload = row._mapping["payload"]
        ids = [("victim", payload.get("victim", {}).get("person_id"))]
        ids += [
            ("person causing harm", p.get("person_id")) for p in payload.get("perpetrators", [])
        ]
        ids += [("child", c.get("person_id")) for c in payload.get("children", [])]
        for role, pid in ids:
            if pid in person_ids and pid not in wanted:
                wanted[pid] = (role, row._mapping)
    order = sorted(wanted)
    shown = disclose(
        platform,
        caller,
        "marac",
        "GET /persons/matches",
        [
            Stored("ReferralSubmitted", wanted[p][1]["event_id"], wanted[p][1]["payload"])
            for p in order
        ],
    )
    references = queries.case_references(conn, [wanted[p][1]["case_id"] for p in order])
    people = {}
    for pid, payload in zip(order, shown, strict=True):
        role, row = wanted[pid]
        if role == "victim":
            person = payload["victim"]
        else:
            key = "perpetrators" if role == "person causing harm" else "children"
            person = next(p for p in payload[key] if p.get("person_id") == pid)
        people[pid] = {
            "role": role,
            "name": person.get("name"),
            "date_of_birth": person.get("date_of_birth"),
            "case_id": row["case_id"],
            "case_reference": references.get(row["case_id"]),
            "referral_date": row["referral_date"],
            "referring_agency": row["referring_agency"],
        }
    return people


@router.get("/persons/matches")
def matches(request: Request, caller: Coordinator, decided: str = ""):
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        proposals = sharing_api.list_matches(caller, conn, "pending")
        ids = {p.person_id for p in proposals} | {p.candidate_person_id for p in proposals}
        people = _people(platform, caller, conn, ids) if ids else {}
    return _show(
        request,
        "marac/matches.html",
        {
            "proposals": [p.model_dump(mode="json") for p in proposals],
            "people": people,
            "decided": decided,
            "agency_names": dict(agencies(platform)),
        },
    )


@router.post("/persons/matches/{proposal_id}")
def decide_match(request: Request, proposal_id: str, caller: Coordinator, form: PostedForm):
    platform = get_platform(request)
    decision = text(form, "decision")
    if decision not in ("confirmed", "rejected"):
        raise HTTPException(400, "Choose whether these are the same person.")
    sharing_api.decide_match(
        proposal_id, sharing_api.MatchDecision(decision=decision), caller, platform
    )
    return redirect(request, f"/persons/matches?decided={decision}")


# -- quarterly return ------------------------------------------------------------------------


def _quarters(today: dt.date) -> list[str]:
    quarter = (today.month - 1) // 3 + 1
    year = today.year
    found = []
    for _ in range(8):
        found.append(f"{year}Q{quarter}")
        quarter -= 1
        if quarter == 0:
            quarter, year = 4, year - 1
    return found


@router.get("/marac/returns")
def quarterly_return(
    request: Request, caller: Coordinator, marac: str | None = None, quarter: str | None = None
):
    platform = get_platform(request)
    areas = policy_areas(platform)
    quarters = _quarters(platform.today())
    values = {"marac": marac or "", "quarter": quarter or ""}
    if marac is None and quarter is None:
        return _show(
            request, "marac/returns.html", {"areas": areas, "quarters": quarters, "values": values}
        )
    errors = Errors()
    if values["marac"] not in areas:
        errors.add("marac", "Select the MARAC area")
    if values["quarter"] not in quarters:
        errors.add("quarter", "Select a quarter")
    if not errors:
        with platform.engine.connect() as conn:
            try:
                response: Response = marac_api.quarterly_return(
                    caller, conn, platform, values["marac"], values["quarter"]
                )
            except HTTPException as exc:
                if exc.status_code == 422:
                    errors = _field_errors(exc)
                else:
                    errors.add("quarter", str(exc.detail))
            else:
                return response
    return _show(
        request,
        "marac/returns.html",
        {
            "areas": areas,
            "quarters": quarters,
            "values": values,
            "errors": errors.messages,
            "error_list": errors.summary(["marac", "quarter"]),
        },
        400,
    )


__all__ = ["router", "PageCaller"]
