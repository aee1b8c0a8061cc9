"""Referrer pages: "Refer a case to MARAC" (a short multi-page form) and "Your referrals".

The form submits through ``submit_referral``, the function behind ``POST
/api/marac/referrals``; the referral page shows what ``GET /api/marac/referrals/{id}`` shows,
so the same rules (and the same 404 for another agency's referral) apply to both.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from projections.marac import marac_referrals
from services.intake.disclosure import Stored, disclose
from services.intake.web import referral_form as rf
from services.intake.web.core import (
    PageRoute,
    PostedForm,
    agencies,
    get_platform,
    redirect,
    render,
    require,
)
from services.intake.web.drafts import Drafts
from services.marac import api as marac_api
from services.marac import queries
from services.marac.domain.criteria import ReferralFacts, assess_criteria
from services.marac.domain.criteria_words import (
    FLAG_LABELS,
    WARNING_FLAGS,
    CriteriaWords,
    describe_criteria,
    warning_flags,
)
from services.marac.domain.dash import judgement_flags
from services.marac.domain.stalking import STALKING_QUESTIONS, STALKING_TEXT
from services.marac.intake import (
    DuplicateReferral,
    NotTheReferrer,
    ReferralClosed,
    ReferralNotFound,
    ReferralRefused,
    correct_referral,
    joined_dash_answers,
    marac_policy,
    policy_areas,
    submit_referral,
    withdraw_referral,
)
from services.marac.models import CorrectionRequest, DashIn
from services.sharing.matching import match_person
from services.sharing.service import Caller

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Referrer = Annotated[Caller, Depends(require("referrer", "coordinator"))]
KIND = "marac-referral"
BASE = "/marac/referrals"


def drafts(request: Request) -> Drafts:
    web = request.app.state.web
    return Drafts(web.accounts, web.draft_key)


def party_type(platform, agency: str) -> str | None:
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        party = agreement.party(agency)
        if party is not None:
            return party.party_type
    return None


def _load(request: Request, caller: Caller, draft_id: str) -> dict[str, Any]:
    state = drafts(request).load(draft_id, caller.user, KIND)
    if state is None:
        raise HTTPException(404)
    return state


def _save(request: Request, caller: Caller, draft_id: str, state: dict[str, Any]) -> None:
    drafts(request).save(draft_id, caller.user, state)


def _url(draft_id: str, page: str) -> str:
    return f"{BASE}/draft/{draft_id}/{page}"


def _index(page: str, prefix: str) -> int:
    try:
        number = int(page.removeprefix(prefix))
    except ValueError:
        raise HTTPException(404) from None
    if not 1 <= number <= rf.MAX_PEOPLE:
        raise HTTPException(404)
    return number


def _after(state: dict[str, Any], draft_id: str, default: str) -> str:
    """Back to "check your answers" once the user has seen it, else the next page."""
    if state.get("reached_check") and rf.next_incomplete(state) is None:
        return _url(draft_id, "check")
    return _url(draft_id, default)


# -- start -----------------------------------------------------------------------------------


@router.get(f"{BASE}/new")
def start(request: Request, caller: Referrer):
    return render(request, "referral/start.html", {})


@router.post(f"{BASE}/new")
def create(request: Request, caller: Referrer, form: PostedForm):
    platform = get_platform(request)
    police = party_type(platform, caller.agency) == "police"
    areas = policy_areas(platform)
    state = rf.new_state(areas[0] if len(areas) == 1 else "", "police" if police else "partner")
    draft_id = drafts(request).create(caller.user, KIND, state)
    return redirect(request, _url(draft_id, "about"))


# -- the question pages ----------------------------------------------------------------------


def _page_context(state: dict[str, Any], draft_id: str, page: str, back: str) -> dict[str, Any]:
    return {
        "state": state,
        "draft_id": draft_id,
        "page": page,
        "back": back,
        "action": _url(draft_id, page),
    }


def _show(request, template, context, values, errors: rf.Errors | None = None, order=None):
    context = dict(context)
    context["values"] = values
    if errors:
        context["errors"] = errors.messages
        context["error_list"] = errors.summary(order)
    return render(request, template, context, status_code=400 if errors else 200)


def _about_context(request, state, draft_id):
    platform = get_platform(request)
    areas = policy_areas(platform)
    return _page_context(state, draft_id, "about", f"{BASE}/new") | {
        "areas": areas,
        "area_items": [(a, a.replace("-", " ").title()) for a in areas],
    }


def _victim_context(state, draft_id):
    return _page_context(state, draft_id, "victim", _url(draft_id, "about")) | {
        "genders": rf.GENDERS,
        "ethnicities": rf.ETHNICITIES,
        "yes_no": rf.YES_NO,
        "yes_no_unknown": rf.YES_NO_UNKNOWN,
    }


def _person_context(state, draft_id, kind: str, number: int):
    items = state["perpetrators"] if kind == "perpetrator" else state["children"]
    can_add = number >= len(items) and number < rf.MAX_PEOPLE
    if kind == "perpetrator":
        back = _url(draft_id, "victim" if number == 1 else f"perpetrator-{number - 1}")
    else:
        back = _url(draft_id, "children" if number == 1 else f"child-{number - 1}")
    return _page_context(state, draft_id, f"{kind}-{number}", back) | {
        "number": number,
        "can_add": can_add,
        "yes_no": rf.YES_NO,
        "existing": number <= len(items),
    }


def _dash_flags(state, keys: tuple[str, ...], values: dict[str, str]) -> list[dict[str, Any]]:
    """The strangulation / threats-to-kill / stalking flags, as answered so far.

    ``elsewhere`` is a "yes" on another page, so the page's script can keep it when this
    page's answer changes.
    """
    answers = dict(state["dash"]) | {k: v for k, v in values.items() if k in keys}
    raised = set(warning_flags(k for k, a in answers.items() if a == "yes"))
    return [
        {
            "question": question,
            "label": FLAG_LABELS[flag],
            "raised": flag in raised,
            "elsewhere": question not in keys and state["dash"].get(question) == "yes",
        }
        for question, flag in WARNING_FLAGS.items()
    ]


def _dash_context(state, draft_id, number: int, values: dict[str, str] | None = None):
    form = state["dash_form"]
    questions = rf.dash_questions(form)
    keys = rf.dash_page_keys(form, number)
    if number == 1:
        back = _url(
            draft_id,
            f"child-{len(state['children'])}"
            if state["has_children"] == "yes" and state["children"]
            else "children",
        )
    else:
        back = _url(draft_id, f"dash-{number - 1}")
    others = sum(1 for k, a in state["dash"].items() if a == "yes" and k not in keys)
    return _page_context(state, draft_id, f"dash-{number}", back) | {
        "number": number,
        "pages": rf.DASH_PAGES,
        "questions": [(questions.index(k) + 1, k, rf.DASH_TEXT[k]) for k in keys],
        "total_questions": len(questions),
        "yes_elsewhere": others,
        "yes_count": rf.dash_count(state),
        "answers": rf.YES_NO_UNKNOWN,
        "flags": _dash_flags(state, keys, state["dash"] if values is None else values),
    }


def _stalking_context(state, draft_id):
    return _page_context(state, draft_id, "stalking", _url(draft_id, f"dash-{rf.DASH_PAGES}")) | {
        "questions": [(n, k, STALKING_TEXT[k]) for n, k in enumerate(STALKING_QUESTIONS, 1)],
        "answers": rf.YES_NO_UNKNOWN,
    }


def _criteria_words(platform, state, values: dict[str, Any]) -> CriteriaWords:
    """What the criteria say of this referral so far, checked as Send will check it.

    The victim and perpetrators are matched as on Send (exact matches reuse the person id),
    but nothing is recorded: the events the match would publish are dropped.
    """
    policy = marac_policy(platform)
    victim = state["victim"]
    with platform.engine.connect() as conn:

        def person(role: str, name: str | None, dob) -> str:
            return match_person(
                conn,
                platform.blind_index_key,
                role=role,
                full_name=name or None,
                date_of_birth=rf.iso(dob),
                agency="",
                actor="",
                correlation_id="",
            ).person_id

        victim_id = person("victim", victim.get("name"), victim.get("date_of_birth"))
        perpetrator_ids = frozenset(
            person("perpetrator", p.get("name"), p.get("date_of_birth"))
            for p in state["perpetrators"]
        )
        incidents = queries.police_incident_dates(conn, victim_id)
        prior = tuple(queries.prior_referrals(conn, victim_id))
    reason = (values.get("professional_judgement_reason") or "").strip()
    facts = ReferralFacts(
        referral_date=platform.today(),
        victim_id=victim_id,
        perpetrator_ids=perpetrator_ids,
        dash_score=rf.dash_count(state),
        professional_judgement=bool(reason),
        professional_judgement_reason=reason or None,
        police_incident_dates=incidents,
        prior_referrals=prior,
    )
    yes = frozenset(k for k, a in state["dash"].items() if a == "yes")
    decision = assess_criteria(facts, policy.criteria)
    return describe_criteria(facts, policy.criteria, decision, judgement_flags(yes))


def _criteria_context(request, state, draft_id, values: dict[str, Any]):
    platform = get_platform(request)
    before = "stalking" if rf.stalking_screen_due(state) else f"dash-{rf.DASH_PAGES}"
    return _page_context(state, draft_id, "criteria", _url(draft_id, before)) | {
        "words": _criteria_words(platform, state, values),
        "yes_no": rf.YES_NO,
        "agencies": agencies(platform),
        "police": state["dash_form"] == "police",
        "dash_score": rf.dash_count(state),
        "threshold": marac_policy(platform).criteria.visible_high_risk_threshold,
        "total_questions": len(rf.dash_questions(state["dash_form"])),
    }


@router.get(f"{BASE}/draft/{{draft_id}}/{{page}}")
def question_page(request: Request, draft_id: str, page: str, caller: Referrer):
    state = _load(request, caller, draft_id)
    if state.get("accepted") and page != "sent":
        return redirect(request, _url(draft_id, "sent"))
    if page == "check":
        return _check_page(request, state, draft_id)
    if page == "sent":
        if not state.get("accepted"):
            return redirect(request, _url(draft_id, "check"))
        return render(
            request, "referral/sent.html", {"accepted": state["accepted"], "state": state}
        )
    if page == "about":
        return _show(
            request, "referral/about.html", _about_context(request, state, draft_id), state["about"]
        )
    if page == "victim":
        return _show(
            request, "referral/victim.html", _victim_context(state, draft_id), state["victim"]
        )
    if page.startswith("perpetrator-"):
        number = _index(page, "perpetrator-")
        if number > len(state["perpetrators"]) + 1:
            raise HTTPException(404)
        values = state["perpetrators"][number - 1] if number <= len(state["perpetrators"]) else {}
        return _show(
            request,
            "referral/perpetrator.html",
            _person_context(state, draft_id, "perpetrator", number),
            values,
        )
    if page == "children":
        return _show(
            request,
            "referral/children.html",
            _page_context(
                state,
                draft_id,
                "children",
                _url(draft_id, f"perpetrator-{max(1, len(state['perpetrators']))}"),
            )
            | {"yes_no": rf.YES_NO},
            {"has_children": state["has_children"]},
        )
    if page.startswith("child-"):
        number = _index(page, "child-")
        if number > len(state["children"]) + 1:
            raise HTTPException(404)
        values = state["children"][number - 1] if number <= len(state["children"]) else {}
        return _show(
            request,
            "referral/child.html",
            _person_context(state, draft_id, "child", number),
            values,
        )
    if page.startswith("dash-"):
        number = _index(page, "dash-")
        if number > rf.DASH_PAGES:
            raise HTTPException(404)
        return _show(
            request, "referral/dash.html", _dash_context(state, draft_id, number), state["dash"]
        )
    if page == "stalking":
        if not rf.stalking_screen_due(state):
            return redirect(request, _url(draft_id, "criteria"))
        return _show(
            request,
            "referral/stalking.html",
            _stalking_context(state, draft_id),
            state.get("stalking") or {},
        )
    if page == "criteria":
        return _show(
            request,
            "referral/criteria.html",
            _criteria_context(request, state, draft_id, state["criteria"]),
            state["criteria"],
        )
    raise HTTPException(404)


@router.post(f"{BASE}/draft/{{draft_id}}/{{page}}")
def save_page(request: Request, draft_id: str, page: str, caller: Referrer, form: PostedForm):
    state = _load(request, caller, draft_id)
    if state.get("accepted"):
        return redirect(request, _url(draft_id, "sent"))
    platform = get_platform(request)
    today = platform.today()
    if page == "check":
        return _submit(request, caller, state, draft_id, form)
    if page == "about":
        values, errors = rf.parse_about(form, policy_areas(platform))
        if errors:
            return _show(
                request,
                "referral/about.html",
                _about_context(request, state, draft_id),
                values,
                errors,
            )
        state["about"] = values
        return _saved(request, caller, draft_id, state, _after(state, draft_id, "victim"))
    if page == "victim":
        values, errors = rf.parse_victim(form, today)
        if errors:
            return _show(
                request, "referral/victim.html", _victim_context(state, draft_id), values, errors
            )
        state["victim"] = values
        return _saved(request, caller, draft_id, state, _after(state, draft_id, "perpetrator-1"))
    if page.startswith("perpetrator-") and page.endswith("-remove"):
        number = _index(page.removesuffix("-remove"), "perpetrator-")
        if len(state["perpetrators"]) > 1 and number <= len(state["perpetrators"]):
            del state["perpetrators"][number - 1]
        return _saved(request, caller, draft_id, state, _url(draft_id, "check"))
    if page.startswith("child-") and page.endswith("-remove"):
        number = _index(page.removesuffix("-remove"), "child-")
        if number <= len(state["children"]):
            del state["children"][number - 1]
        if not state["children"]:
            state["has_children"] = "no"
        return _saved(request, caller, draft_id, state, _url(draft_id, "check"))
    if page.startswith("perpetrator-"):
        return _save_person(request, caller, state, draft_id, "perpetrator", page, form, today)
    if page == "children":
        values, errors = rf.parse_has_children(form)
        if errors:
            return _show(
                request,
                "referral/children.html",
                _page_context(state, draft_id, "children", _url(draft_id, "perpetrator-1"))
                | {"yes_no": rf.YES_NO},
                values,
                errors,
            )
        state["has_children"] = values["has_children"]
        if values["has_children"] == "yes" and not state["children"]:
            return _saved(request, caller, draft_id, state, _url(draft_id, "child-1"))
        return _saved(request, caller, draft_id, state, _after(state, draft_id, "dash-1"))
    if page.startswith("child-"):
        return _save_person(request, caller, state, draft_id, "child", page, form, today)
    if page.startswith("dash-"):
        number = _index(page, "dash-")
        if number > rf.DASH_PAGES:
            raise HTTPException(404)
        keys = rf.dash_page_keys(state["dash_form"], number)
        questions = rf.dash_questions(state["dash_form"])
        values, errors = rf.parse_dash(form, keys, {k: questions.index(k) + 1 for k in questions})
        if errors:
            context = _dash_context(state, draft_id, number, values)
            context["yes_count"] = context["yes_elsewhere"] + sum(
                1 for v in values.values() if v == "yes"
            )
            return _show(request, "referral/dash.html", context, values, errors)
        state["dash"].update(values)
        following = f"dash-{number + 1}" if number < rf.DASH_PAGES else "criteria"
        if following == "criteria" and rf.stalking_screen_due(state):
            following = "stalking"
        return _saved(request, caller, draft_id, state, _after(state, draft_id, following))
    if page == "stalking":
        values, errors = rf.parse_stalking(form)
        if errors:
            return _show(
                request,
                "referral/stalking.html",
                _stalking_context(state, draft_id),
                values,
                errors,
            )
        state["stalking"] = values
        return _saved(request, caller, draft_id, state, _after(state, draft_id, "criteria"))
    if page == "criteria":
        agency_ids = {a for a, _ in agencies(platform)}
        values, errors = rf.parse_criteria(form, state["dash_form"] == "police", agency_ids)
        if errors:
            return _show(
                request,
                "referral/criteria.html",
                _criteria_context(request, state, draft_id, values),
                values,
                errors,
                rf.CRITERIA_ORDER,
            )
        state["criteria"] = values
        return _saved(request, caller, draft_id, state, _url(draft_id, "check"))
    raise HTTPException(404)


def _save_person(request, caller, state, draft_id, kind, page, form, today):
    number = _index(page, f"{kind}-")
    items = state["perpetrators"] if kind == "perpetrator" else state["children"]
    if number > len(items) + 1:
        raise HTTPException(404)
    context = _person_context(state, draft_id, kind, number)
    parse = rf.parse_perpetrator if kind == "perpetrator" else rf.parse_child
    values, errors = parse(form, today, context["can_add"])
    if errors:
        return _show(request, f"referral/{kind}.html", context, values, errors)
    another = values.pop("add_another", "no")
    if number <= len(items):
        items[number - 1] = values
    else:
        items.append(values)
    if another == "yes" and number < rf.MAX_PEOPLE:
        return _saved(request, caller, draft_id, state, _url(draft_id, f"{kind}-{number + 1}"))
    following = "children" if kind == "perpetrator" else "dash-1"
    return _saved(request, caller, draft_id, state, _after(state, draft_id, following))


def _saved(request, caller, draft_id, state, url: str):
    state.pop("duplicate_of", None)  # changed: the duplicate check is made again on sending
    _save(request, caller, draft_id, state)
    return redirect(request, url)


# -- check your answers and send -------------------------------------------------------------


def _check_context(request, state, draft_id) -> dict[str, Any]:
    platform = get_platform(request)
    form = state["dash_form"]
    questions = rf.dash_questions(form)
    names = dict(agencies(platform))
    return {
        "state": state,
        "draft_id": draft_id,
        "base": _url(draft_id, ""),
        "action": _url(draft_id, "check"),
        "dash_score": rf.dash_count(state),
        "dash_total": len(questions),
        "dash_yes": [rf.DASH_TEXT[k] for k in questions if state["dash"].get(k) == "yes"],
        "dash_pages": [
            (
                n,
                [
                    (questions.index(k) + 1, rf.DASH_TEXT[k], state["dash"].get(k))
                    for k in rf.dash_page_keys(form, n)
                ],
            )
            for n in range(1, rf.DASH_PAGES + 1)
        ],
        "threshold": marac_policy(platform).criteria.visible_high_risk_threshold,
        "labels": {
            "gender": dict(rf.GENDERS),
            "ethnicity": dict(rf.ETHNICITIES),
            "yes_no": dict(rf.YES_NO_UNKNOWN),
        },
        "agency_names": names,
        "can_add_perpetrator": len(state["perpetrators"]) < rf.MAX_PEOPLE,
        "can_add_child": len(state["children"]) < rf.MAX_PEOPLE,
        "stalking_answers": [
            (number, key, STALKING_TEXT[key], (state.get("stalking") or {}).get(key))
            for number, key in enumerate(STALKING_QUESTIONS, 1)
        ]
        if rf.stalking_screen_due(state)
        else [],
    }


CONFIRM_DUPLICATE = "Select yes if you mean to send a second referral for the same case"


def _check_page(
    request,
    state,
    draft_id,
    problems: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
):
    missing = rf.next_incomplete(state)
    if missing is not None:
        return redirect(request, _url(draft_id, missing))
    if not state.get("reached_check"):
        state["reached_check"] = True
        caller = request.state.caller
        _save(request, caller, draft_id, state)
    context = _check_context(request, state, draft_id)
    context["duplicate"] = state.get("duplicate_of")
    if errors:
        context["errors"] = errors
    if problems:
        context["error_list"] = problems
    return render(request, "referral/check.html", context, status_code=400 if problems else 200)


def _problem_links(draft_id: str, problems: list[tuple[str, str]]) -> list[dict[str, str]]:
    links = []
    for path, message in problems:
        page, anchor = rf.page_for_field(path)
        links.append({"text": message, "href": f"{_url(draft_id, page)}#{anchor}"})
    return links


def _submit(request, caller: Caller, state, draft_id, form):
    missing = rf.next_incomplete(state)
    if missing is not None:
        return redirect(request, _url(draft_id, missing))
    platform = get_platform(request)
    body = rf.to_request(state)
    referral, problems = rf.validate_request(body)
    if referral is None:
        return _check_page(request, state, draft_id, _problem_links(draft_id, problems))
    if state.get("duplicate_of"):  # warned: the user must say the second referral is meant
        if form.get("confirm_duplicate") != "yes":
            problems = [{"text": CONFIRM_DUPLICATE, "href": "#confirm_duplicate"}]
            return _check_page(
                request, state, draft_id, problems, {"confirm_duplicate": CONFIRM_DUPLICATE}
            )
        referral = referral.model_copy(update={"confirm_duplicate": True})
    try:
        with platform.commands.begin() as command:
            submission = submit_referral(platform, command.conn, caller, referral)
            command.record(submission.events)
    except DuplicateReferral as exc:  # decided on current state; warn, then ask (PRG)
        state["duplicate_of"] = exc.existing.model_dump(mode="json")
        _save(request, caller, draft_id, state)
        return redirect(request, _url(draft_id, "check"))
    except ReferralRefused as exc:
        message = str(exc)
        if exc.field == "criteria":
            message = (
                f"This referral meets no MARAC criterion: {message}. "
                "If you are referring on professional judgement, give your reasons"
            )
        return _check_page(
            request, state, draft_id, _problem_links(draft_id, [(exc.field, message)])
        )
    accepted = submission.accepted.model_dump(mode="json")
    accepted["marac_area"] = referral.marac_area
    accepted["sent_at"] = dt.datetime.now(dt.UTC).isoformat()
    state["accepted"] = accepted
    _save(request, caller, draft_id, state)
    return redirect(request, _url(draft_id, "sent"))


# -- your referrals --------------------------------------------------------------------------


def _status(listings: list, today: dt.date) -> tuple[str, str]:
    """What happened to a referral, in words, and the tag colour."""
    heard = [m for m in listings if m["meeting_date"] <= today]
    coming = [m for m in listings if m["meeting_date"] > today]
    if coming:
        return (
            f"Listed for {coming[0]['meeting_date'].day} {coming[0]['meeting_date']:%B %Y}",
            "blue",
        )
    if heard:
        return (
            f"Heard on {heard[-1]['meeting_date'].day} {heard[-1]['meeting_date']:%B %Y}",
            "green",
        )
    return "Waiting for an agenda", "yellow"


@router.get(BASE)
def your_referrals(request: Request, caller: Referrer):
    platform = get_platform(request)
    today = platform.today()
    with platform.engine.connect() as conn:
        rows = [
            r._mapping
            for r in conn.execute(
                select(marac_referrals)
                .where(marac_referrals.c.referring_agency == caller.agency)
                .order_by(marac_referrals.c.received_at.desc())
                .limit(200)
            ).all()
        ]
        shown = disclose(
            platform,
            caller,
            "marac",
            "GET /marac/referrals",
            [Stored("ReferralSubmitted", r["event_id"], r["payload"]) for r in rows],
        )
        open_actions: dict[str, int] = {}
        for action in queries.actions(conn, agency=caller.agency, status="open"):
            open_actions[action["case_id"]] = open_actions.get(action["case_id"], 0) + 1
        references = queries.case_references(conn, list({r["case_id"] for r in rows}))
        referrals = []
        for row, payload in zip(rows, shown, strict=True):
            status_text, colour = _status(queries.listings_for_case(conn, row["case_id"]), today)
            if row["withdrawn_on"] is not None:
                status_text, colour = f"Withdrawn on {row['withdrawn_on']:%-d %B %Y}", "grey"
            referrals.append(
                {
                    "referral_id": row["referral_id"],
                    "case_id": row["case_id"],
                    "case_reference": references.get(row["case_id"]),
                    "reference": row["reference"],
                    "referral_date": row["referral_date"],
                    "marac_area": row["marac_area"],
                    "victim_name": payload["victim"]["name"],
                    "dash_score": row["dash_score"],
                    "risk_level": row["risk_level"],
                    "criteria": row["criteria"],
                    "repeat": row["is_repeat"],
                    "corrected": row["corrected_on"] is not None,
                    "status": status_text,
                    "colour": colour,
                    "open_actions": open_actions.get(row["case_id"], 0),
                }
            )
    known = {r["referral_id"] for r in referrals}
    pending = [
        s["accepted"]
        for s in drafts(request).submitted(caller.user, KIND)
        if s["accepted"]["referral_id"] not in known
    ]
    return render(request, "referral/list.html", {"referrals": referrals, "pending": pending})


def _referral(request: Request, caller: Caller, referral_id: str) -> dict[str, Any]:
    platform = get_platform(request)
    with platform.engine.connect() as conn:
        view = marac_api.get_referral(referral_id, caller, conn, platform)  # 404 if not theirs
    return view.model_dump(mode="json")


@router.get(f"{BASE}/{{referral_id}}")
def referral_page(request: Request, referral_id: str, caller: Referrer, done: str = ""):
    platform = get_platform(request)
    data = _referral(request, caller, referral_id)
    return render(
        request,
        "referral/detail.html",
        {
            "referral": data,
            "detail": data["detail"],
            "labels": {"gender": dict(rf.GENDERS), "ethnicity": dict(rf.ETHNICITIES)},
            "agency_names": dict(agencies(platform)),
            "today": platform.today().isoformat(),
            "done": done if done in ("withdrawn", "corrected") else "",
        },
    )


# -- withdraw or correct before the cut-off --------------------------------------------------


def _closed_message(exc: ReferralClosed, doing: str) -> str:
    """Why the referral can no longer change, in words (not the API's)."""
    if exc.meeting is None:
        return f"You cannot {doing} this referral: it has been withdrawn"
    meeting = exc.meeting
    return (
        f"You cannot {doing} this referral: the agenda for the meeting on "
        f"{meeting.meeting_date:%-d %B %Y} was cut off on {meeting.cutoff:%-d %B %Y}. "
        "Send a new referral instead"
    )


def _amend(request: Request, caller: Caller, referral_id: str, change):
    """Run the withdrawal or correction as one command; the API's refusals as page answers."""
    platform = get_platform(request)
    try:
        with platform.commands.begin() as command:
            amendment = change(platform, command.conn)
            command.record(amendment.events)
    except ReferralNotFound:
        raise HTTPException(404) from None
    except NotTheReferrer:
        raise HTTPException(403) from None


def _amend_page(request, caller, referral_id, template, context, status_code=200):
    data = _referral(request, caller, referral_id)
    if not data["amendable"] and status_code == 200:
        return redirect(request, f"{BASE}/{referral_id}")
    context = {"referral": data, "action": f"{BASE}/{referral_id}/{template}", **context}
    return render(request, f"referral/{template}.html", context, status_code=status_code)


@router.get(f"{BASE}/{{referral_id}}/withdraw")
def withdraw_page(request: Request, referral_id: str, caller: Referrer):
    return _amend_page(request, caller, referral_id, "withdraw", {"values": {}})


@router.post(f"{BASE}/{{referral_id}}/withdraw")
def withdraw(request: Request, referral_id: str, caller: Referrer, form: PostedForm):
    values: dict[str, Any] = {}
    errors = rf.Errors()
    rf.required_text(
        form, "reason", values, errors, "Enter why you are withdrawing the referral", 2000
    )
    if errors:
        context = {"values": values, "errors": errors.messages, "error_list": errors.summary()}
        return _amend_page(request, caller, referral_id, "withdraw", context, 400)
    try:
        _amend(
            request,
            caller,
            referral_id,
            lambda platform, conn: withdraw_referral(
                platform, conn, caller, referral_id, values["reason"]
            ),
        )
    except ReferralClosed as exc:
        context = {"values": values, "error_list": [{"text": _closed_message(exc, "withdraw")}]}
        return _amend_page(request, caller, referral_id, "withdraw", context, 409)
    return redirect(request, f"{BASE}/{referral_id}?done=withdrawn")


def _correct_context(data: dict[str, Any]) -> dict[str, Any]:
    detail = data["detail"]
    form = detail.get("dash_form") or "partner"
    questions = rf.dash_questions(form)
    return {
        "dash_form": form,
        "questions": [(i + 1, k, rf.DASH_TEXT[k]) for i, k in enumerate(questions)],
        "answers": rf.YES_NO_UNKNOWN,
    }


def _shown(value: Any) -> str:
    return value["value"] if isinstance(value, dict) and value.get("status") == "shown" else ""


@router.get(f"{BASE}/{{referral_id}}/correct")
def correct_page(request: Request, referral_id: str, caller: Referrer):
    data = _referral(request, caller, referral_id)
    detail = data["detail"]
    values: dict[str, Any] = dict(joined_dash_answers(detail) or {})
    values["reason"] = _shown(detail.get("reason"))
    values["professional_judgement_reason"] = _shown(detail.get("professional_judgement_reason"))
    return _amend_page(
        request, caller, referral_id, "correct", _correct_context(data) | {"values": values}
    )


@router.post(f"{BASE}/{{referral_id}}/correct")
def correct(request: Request, referral_id: str, caller: Referrer, form: PostedForm):
    data = _referral(request, caller, referral_id)
    context = _correct_context(data)
    questions = rf.dash_questions(context["dash_form"])
    values, errors = rf.parse_dash(form, questions, {k: i + 1 for i, k in enumerate(questions)})
    rf.required_text(form, "reason", values, errors, "Enter why you are referring", 5000)
    rf.optional_text(
        form, "professional_judgement_reason", values, errors, "Professional judgement", 5000
    )
    rf.required_text(form, "correction_note", values, errors, "Enter what you corrected", 2000)
    context["values"] = values
    if errors:
        context |= {"errors": errors.messages, "error_list": errors.summary()}
        return _amend_page(request, caller, referral_id, "correct", context, 400)
    correction = CorrectionRequest(
        dash=DashIn(form=context["dash_form"], answers={k: values[k] for k in questions}),
        reason=values["reason"],
        professional_judgement_reason=values["professional_judgement_reason"] or None,
        correction_note=values["correction_note"],
    )
    try:
        _amend(
            request,
            caller,
            referral_id,
            lambda platform, conn: correct_referral(
                platform, conn, caller, referral_id, correction
            ),
        )
    except ReferralClosed as exc:
        context["error_list"] = [{"text": _closed_message(exc, "correct")}]
        return _amend_page(request, caller, referral_id, "correct", context, 409)
    except ReferralRefused as exc:
        message = (
            "As corrected, this referral meets no MARAC criterion. If you are referring on "
            "professional judgement, give your reasons; otherwise withdraw the referral"
            if exc.field == "criteria"
            else "Check the answers: the correction could not be made"
        )
        anchor = "professional_judgement_reason"
        context["error_list"] = [{"text": message, "href": f"#{anchor}"}]
        context["errors"] = {anchor: message}
        return _amend_page(request, caller, referral_id, "correct", context, 400)
    return redirect(request, f"{BASE}/{referral_id}?done=corrected")
