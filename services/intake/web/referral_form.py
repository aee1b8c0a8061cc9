"""The "Refer a case to MARAC" form: its pages, their server-side validation, and the request.

Each page reads its fields from the posted form, keeps the answers exactly as typed (so a page
with errors is shown again with them), and lists its errors in page order with the id of
the field each one links to. When every page is complete, ``to_request`` builds the same
``ReferralRequest`` the API takes and the page submits it through ``submit_referral``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from services.marac.domain.dash import PARTNER_QUESTIONS, POLICE_QUESTIONS
from services.marac.domain.stalking import STALKING_QUESTIONS, screen_needed
from services.marac.models import ReferralRequest

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNKNOWN = [("yes", "Yes"), ("no", "No"), ("not_known", "Not known")]
GENDERS = [("female", "Female"), ("male", "Male"), ("other", "Other"), ("not_known", "Not known")]
ETHNICITIES = [
    ("white_british", "White: English, Welsh, Scottish, Northern Irish or British"),
    ("white_irish", "White: Irish"),
    ("white_gypsy_or_irish_traveller", "White: Gypsy or Irish Traveller"),
    ("white_roma", "White: Roma"),
    ("white_other", "White: any other White background"),
    ("mixed", "Mixed or multiple ethnic groups"),
    ("asian", "Asian or Asian British"),
    ("black", "Black, Black British, Caribbean or African"),
    ("arab", "Arab"),
    ("other", "Other ethnic group"),
    ("not_known", "Not known"),
]

DASH_TEXT: dict[str, str] = {
    "injury": "Has the current incident resulted in injury?",
    "very_frightened": "Is the victim very frightened?",
    "afraid_of_what": "Is the victim afraid of further injury or violence, or of what the "
    "person causing harm might do?",
    "isolated": "Does the victim feel isolated from family or friends (is the person causing "
    "harm stopping them seeing friends, family, a doctor or others)?",
    "depressed_or_suicidal": "Is the victim feeling depressed or having suicidal thoughts?",
    "separation": "Has the victim separated or tried to separate from the person causing harm "
    "within the past year?",
    "child_contact_conflict": "Is there conflict over child contact?",
    "stalking_or_harassment": "Does the person causing harm constantly text, call, contact, "
    "follow, stalk or harass the victim?",
    "pregnant_or_recent_birth": "Is the victim pregnant, or have they had a baby in the last "
    "18 months?",
    "other_children_in_household": "Are there other children or step-children in the "
    "household who are not the person causing harm's?",
    "hurt_children": "Has the person causing harm ever hurt the children or dependants?",
    "threatened_children": "Has the person causing harm ever threatened to hurt or kill the "
    "children or dependants?",
    "abuse_more_often": "Is the abuse happening more often?",
    "abuse_getting_worse": "Is the abuse getting worse?",
    "controlling_or_jealous": "Does the person causing harm try to control everything the "
    "victim does, or are they excessively jealous?",
    "weapons_used": "Has the person causing harm ever used weapons or objects to hurt the victim?",
    "threats_to_kill": "Has the person causing harm ever threatened to kill the victim or "
    "someone else, and the victim believed them?",
    "strangulation": "Has the person causing harm ever attempted to strangle, choke, "
    "suffocate or drown the victim?",
    "sexual_abuse": "Does the person causing harm do or say things of a sexual nature that "
    "make the victim feel bad or that physically hurt them or someone else?",
    "other_person_threatens": "Is there any other person who has threatened the victim or "
    "whom they are afraid of?",
    "hurt_anyone_else": "Does the victim know if the person causing harm has hurt anyone else?",
    "animal_abuse": "Has the person causing harm ever mistreated an animal or the family pet?",
    "financial_issues": "Are there any financial issues (for example, is the victim dependent "
    "on the person causing harm for money)?",
    "substance_or_mental_health": "Has the person causing harm had problems in the past year "
    "with drugs, alcohol or mental health that affect daily life?",
    "suicide_threats": "Has the person causing harm ever threatened or attempted suicide?",
    "breached_bail_or_orders": "Has the person causing harm ever broken bail, an injunction or "
    "a formal agreement about when they can see the victim or the children?",
    "criminal_history": "Does the victim know if the person causing harm has ever been in "
    "trouble with the police or has a criminal history?",
}
assert set(DASH_TEXT) == set(POLICE_QUESTIONS)


DASH_PAGES = 3
MAX_PEOPLE = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def dash_questions(form: str) -> tuple[str, ...]:
    return POLICE_QUESTIONS if form == "police" else PARTNER_QUESTIONS


def dash_page_keys(form: str, page: int) -> tuple[str, ...]:
    keys = dash_questions(form)
    size = -(-len(keys) // DASH_PAGES)
    return keys[(page - 1) * size : page * size]


def dash_count(state: dict[str, Any]) -> int:
    return sum(1 for answer in state.get("dash", {}).values() if answer == "yes")


def new_state(marac_area: str, dash_form: str) -> dict[str, Any]:
    return {
        "about": {"marac_area": marac_area},
        "victim": {},
        "perpetrators": [],
        "has_children": "",
        "children": [],
        "dash_form": dash_form,
        "dash": {},
        "stalking": {},
        "criteria": {},
        "reached_check": False,
        "accepted": None,
    }


# -- validation ------------------------------------------------------------------------------


@dataclass
class Errors:
    """Messages by field, and the summary list (in page order) linking to each field."""

    messages: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str, anchor: str | None = None) -> None:
        if name not in self.messages:
            self.messages[name] = message
            self.anchors[name] = anchor or name

    def __bool__(self) -> bool:
        return bool(self.messages)

    def summary(self, order: list[str] | None = None) -> list[dict[str, str]]:
        names = list(self.messages)
        if order:
            names.sort(key=lambda n: order.index(n) if n in order else len(order))
        return [{"text": self.messages[n], "href": f"#{self.anchors[n]}"} for n in names]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def required_text(form, name, values, errors: Errors, message: str, max_length=500) -> None:
    values[name] = text(form, name)
    if not values[name]:
        errors.add(name, message)
    elif len(values[name]) > max_length:
        errors.add(
            name, f"{message.replace('Enter', 'Shorten')} to {max_length} characters or fewer"
        )


def optional_text(form, name, values, errors: Errors, label: str, max_length=2000) -> None:
    values[name] = text(form, name)
    if len(values[name]) > max_length:
        errors.add(name, f"{label} must be {max_length} characters or fewer")


def choice(form, name, values, errors: Errors, options, message: str, required=True) -> None:
    values[name] = text(form, name)
    allowed = {value for value, _ in options}
    if values[name] and values[name] not in allowed:
        values[name] = ""
    if required and not values[name]:
        errors.add(name, message)


def date_parts(form: FormData, name: str) -> dict[str, str]:
    return {part: text(form, f"{name}-{part}") for part in ("day", "month", "year")}


def check_date(
    parts: dict[str, str], name: str, label: str, errors: Errors, today: dt.date, required: bool
) -> dt.date | None:
    """GOV.UK date-input validation; the error links to the first part to fix."""
    filled = {k: v for k, v in parts.items() if v}
    if not filled:
        if required:
            errors.add(name, f"Enter {label}", f"{name}-day")
        return None
    missing = [k for k in ("day", "month", "year") if k not in filled]
    if missing:
        errors.add(
            name,
            f"{label[0].upper()}{label[1:]} must include a {' and '.join(missing)}",
            f"{name}-{missing[0]}",
        )
        return None
    try:
        year = int(parts["year"])
        if year < 1000:
            raise ValueError
        value = dt.date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors.add(name, f"{label[0].upper()}{label[1:]} must be a real date", f"{name}-day")
        return None
    if value > today:
        errors.add(
            name, f"{label[0].upper()}{label[1:]} must be today or in the past", f"{name}-day"
        )
        return None
    if value.year < 1900:
        errors.add(name, f"{label[0].upper()}{label[1:]} must be after 1900", f"{name}-year")
        return None
    return value


def iso(parts: dict[str, str] | None) -> str | None:
    if not parts or not all(parts.get(k) for k in ("day", "month", "year")):
        return None
    try:
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"])).isoformat()
    except ValueError:
        return None


# -- the pages -------------------------------------------------------------------------------


def parse_about(form: FormData, areas: list[str]) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    values["marac_area"] = text(form, "marac_area").lower()
    if not values["marac_area"]:
        errors.add("marac_area", "Select the MARAC area")
    elif values["marac_area"] not in areas:
        errors.add("marac_area", "Select a MARAC area from the list")
    required_text(form, "referrer_name", values, errors, "Enter your name", 200)
    values["referrer_email"] = text(form, "referrer_email")
    if values["referrer_email"] and not EMAIL.match(values["referrer_email"]):
        errors.add(
            "referrer_email", "Enter an email address in the correct format, like name@example.org"
        )
    optional_text(form, "referrer_phone", values, errors, "Your phone number", 40)
    return values, errors


def parse_victim(form: FormData, today: dt.date) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    required_text(form, "name", values, errors, "Enter the victim's full name", 200)
    values["date_of_birth"] = date_parts(form, "date_of_birth")
    check_date(
        values["date_of_birth"],
        "date_of_birth",
        "the victim's date of birth",
        errors,
        today,
        required=True,
    )
    optional_text(form, "address", values, errors, "Address", 500)
    optional_text(form, "phone", values, errors, "Phone number", 40)
    choice(
        form,
        "safe_to_call",
        values,
        errors,
        YES_NO,
        "Select yes if it is safe to call the victim",
        required=bool(values["phone"]),
    )
    choice(form, "gender", values, errors, GENDERS, "Select the victim's gender", required=False)
    choice(form, "ethnicity", values, errors, ETHNICITIES, "", required=False)
    for name in ("disability", "lgbt", "pregnant"):
        choice(form, name, values, errors, YES_NO_UNKNOWN, "", required=False)
    optional_text(form, "health_notes", values, errors, "Health notes")
    optional_text(form, "interpreter_language", values, errors, "Interpreter language", 100)
    return values, errors


def parse_perpetrator(form: FormData, today: dt.date, can_add: bool) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    optional_text(form, "name", values, errors, "Name", 200)
    optional_text(form, "aliases", values, errors, "Other names", 500)
    values["date_of_birth"] = date_parts(form, "date_of_birth")
    dob = check_date(
        values["date_of_birth"],
        "date_of_birth",
        "their date of birth",
        errors,
        today,
        required=False,
    )
    if not values["name"] and not values["aliases"] and dob is None and not errors:
        errors.add("name", "Enter the person's name, another name they use, or their date of birth")
    required_text(
        form,
        "relationship_to_victim",
        values,
        errors,
        "Enter their relationship to the victim, like ex-partner",
        100,
    )
    optional_text(form, "address", values, errors, "Address", 500)
    if can_add:
        choice(
            form,
            "add_another",
            values,
            errors,
            YES_NO,
            "Select yes if there is another person causing harm",
        )
    return values, errors


def parse_has_children(form: FormData) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    choice(
        form,
        "has_children",
        values,
        errors,
        YES_NO,
        "Select yes if there are children in the household",
    )
    return values, errors


def parse_child(form: FormData, today: dt.date, can_add: bool) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    required_text(form, "name", values, errors, "Enter the child's full name", 200)
    values["date_of_birth"] = date_parts(form, "date_of_birth")
    check_date(
        values["date_of_birth"],
        "date_of_birth",
        "the child's date of birth",
        errors,
        today,
        required=True,
    )
    optional_text(form, "school", values, errors, "School or nursery", 200)
    optional_text(form, "relationship_to_victim", values, errors, "Relationship to the victim", 100)
    optional_text(
        form,
        "relationship_to_perpetrator",
        values,
        errors,
        "Relationship to the person causing harm",
        100,
    )
    if can_add:
        choice(
            form,
            "add_another",
            values,
            errors,
            YES_NO,
            "Select yes if there is another child in the household",
        )
    return values, errors


def parse_dash(
    form: FormData, keys: tuple[str, ...], numbers: dict[str, int]
) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    for key in keys:
        choice(
            form,
            key,
            values,
            errors,
            YES_NO_UNKNOWN,
            f"Select yes, no or not known for question {numbers[key]}",
        )
    return values, errors


def parse_stalking(form: FormData) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    for number, key in enumerate(STALKING_QUESTIONS, start=1):
        choice(
            form,
            key,
            values,
            errors,
            YES_NO_UNKNOWN,
            f"Select yes, no or not known for stalking question {number}",
        )
    return values, errors


def stalking_screen_due(state: dict[str, Any]) -> bool:
    """A DASH stalking "yes" calls for the stalking screen page."""
    return screen_needed(state["dash"])


def parse_criteria(form: FormData, police: bool, agency_ids: set[str]) -> tuple[dict, Errors]:
    values: dict[str, Any] = {}
    errors = Errors()
    required_text(form, "reason", values, errors, "Enter why you are referring", 4000)
    optional_text(
        form, "professional_judgement_reason", values, errors, "Professional judgement", 4000
    )
    optional_text(form, "feared_person", values, errors, "Who the victim fears", 500)
    optional_text(form, "previous_maracs", values, errors, "Previous MARACs", 1000)
    values["agencies_involved"] = [a for a in form.getlist("agencies_involved") if a in agency_ids]
    choice(form, "idva_allocated", values, errors, YES_NO, "Select yes if an IDVA is allocated")
    choice(
        form,
        "victim_aware",
        values,
        errors,
        YES_NO,
        "Select yes if the victim knows about this referral",
    )
    choice(
        form,
        "victim_consented",
        values,
        errors,
        YES_NO,
        "Select yes if the victim consented to sharing their information",
    )
    optional_text(form, "consent_override_reason", values, errors, "Why sharing is justified", 4000)
    if values["victim_consented"] == "no" and not values["consent_override_reason"]:
        errors.add(
            "consent_override_reason", "Enter why sharing without the victim's consent is justified"
        )
    if police:
        optional_text(form, "crime_reference", values, errors, "Crime reference", 100)
        optional_text(form, "bail_conditions", values, errors, "Bail conditions", 2000)
        optional_text(form, "orders", values, errors, "Orders", 2000)
    return values, errors


CRITERIA_ORDER = [
    "reason",
    "professional_judgement_reason",
    "feared_person",
    "previous_maracs",
    "agencies_involved",
    "idva_allocated",
    "victim_aware",
    "victim_consented",
    "consent_override_reason",
    "crime_reference",
    "bail_conditions",
    "orders",
]


# -- completeness and the request ------------------------------------------------------------


def next_incomplete(state: dict[str, Any]) -> str | None:
    """The first page still to fill in, or None when the check page can be shown."""
    if not state["about"].get("referrer_name"):
        return "about"
    if not state["victim"].get("name"):
        return "victim"
    if not state["perpetrators"]:
        return "perpetrator-1"
    if state["has_children"] not in ("yes", "no"):
        return "children"
    if state["has_children"] == "yes" and not state["children"]:
        return "child-1"
    answered = state["dash"]
    for page in range(1, DASH_PAGES + 1):
        if any(k not in answered for k in dash_page_keys(state["dash_form"], page)):
            return f"dash-{page}"
    if stalking_screen_due(state):
        screen = state.get("stalking") or {}
        if any(k not in screen for k in STALKING_QUESTIONS):
            return "stalking"
    if not state["criteria"].get("reason"):
        return "criteria"
    return None


def _or_none(value: Any) -> Any:
    return value if value not in ("", None, []) else None


def to_request(state: dict[str, Any]) -> dict[str, Any]:
    """The referral as the API's JSON body."""
    about, victim, criteria = state["about"], state["victim"], state["criteria"]
    body: dict[str, Any] = {
        "marac_area": about["marac_area"],
        "referrer": {
            "name": about.get("referrer_name"),
            "email": _or_none(about.get("referrer_email")),
            "phone": _or_none(about.get("referrer_phone")),
        },
        "victim": {
            "name": victim.get("name"),
            "date_of_birth": iso(victim.get("date_of_birth")),
            "address": _or_none(victim.get("address")),
            "phone": _or_none(victim.get("phone")),
            "safe_to_call": victim.get("safe_to_call") == "yes",
            "gender": _or_none(victim.get("gender")),
            "ethnicity": _or_none(victim.get("ethnicity")),
            "disability": _or_none(victim.get("disability")),
            "lgbt": _or_none(victim.get("lgbt")),
            "pregnant": _or_none(victim.get("pregnant")),
            "health_notes": _or_none(victim.get("health_notes")),
            "interpreter_language": _or_none(victim.get("interpreter_language")),
        },
        "perpetrators": [
            {
                "name": _or_none(p.get("name")),
                "aliases": [a.strip() for a in (p.get("aliases") or "").split(",") if a.strip()],
                "date_of_birth": iso(p.get("date_of_birth")),
                "relationship_to_victim": p.get("relationship_to_victim"),
                "address": _or_none(p.get("address")),
            }
            for p in state["perpetrators"]
        ],
        "children": [
            {
                "name": c.get("name"),
                "date_of_birth": iso(c.get("date_of_birth")),
                "school": _or_none(c.get("school")),
                "relationship_to_victim": _or_none(c.get("relationship_to_victim")),
                "relationship_to_perpetrator": _or_none(c.get("relationship_to_perpetrator")),
            }
            for c in (state["children"] if state["has_children"] == "yes" else [])
        ],
        "dash": {"form": state["dash_form"], "answers": dict(state["dash"])},
        "professional_judgement_reason": _or_none(criteria.get("professional_judgement_reason")),
        "victim_aware": criteria.get("victim_aware"),
        "victim_consented": criteria.get("victim_consented"),
        "consent_override_reason": _or_none(criteria.get("consent_override_reason")),
        "feared_person": _or_none(criteria.get("feared_person")),
        "previous_maracs": _or_none(criteria.get("previous_maracs")),
        "reason": criteria.get("reason"),
        "agencies_involved": list(criteria.get("agencies_involved") or []),
        "idva_allocated": criteria.get("idva_allocated") == "yes",
    }
    if stalking_screen_due(state) and state.get("stalking"):
        body["stalking_screen"] = {"answers": dict(state["stalking"])}
    if state["dash_form"] == "police" and any(
        criteria.get(k) for k in ("crime_reference", "bail_conditions", "orders")
    ):
        body["police"] = {
            k: _or_none(criteria.get(k)) for k in ("crime_reference", "bail_conditions", "orders")
        }
    return body


def page_for_field(field_path: str) -> tuple[str, str]:
    """Where a field named by the API (``perpetrators[0].date_of_birth``) is asked: page, id."""
    parts = [p for p in re.split(r"[.\[\]]+", field_path) if p]
    head = parts[0] if parts else ""
    if head in ("perpetrators", "children") and len(parts) > 1 and parts[1].isdigit():
        page = ("perpetrator-" if head == "perpetrators" else "child-") + str(int(parts[1]) + 1)
        return page, _anchor(parts[2] if len(parts) > 2 else "name")
    if head == "victim":
        return "victim", _anchor(parts[1] if len(parts) > 1 else "name")
    if head == "referrer":
        return "about", "referrer_" + (parts[1] if len(parts) > 1 else "name")
    if head == "dash":
        return "dash-1", "dash"
    if head == "stalking_screen":
        return "stalking", STALKING_QUESTIONS[0]
    if head == "marac_area":
        return "about", "marac_area"
    if head in ("criteria", "professional_judgement_reason"):
        return "criteria", "professional_judgement_reason"
    return "criteria", head or "reason"


def _anchor(name: str) -> str:
    return f"{name}-day" if name == "date_of_birth" else name


def validate_request(body: dict[str, Any]) -> tuple[ReferralRequest | None, list[tuple[str, str]]]:
    """The request, or the problems as (field path, message)."""
    try:
        return ReferralRequest.model_validate(body), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"])
            problems.append((path, error["msg"].removeprefix("Value error, ")))
        return None, problems
