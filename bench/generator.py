"""Seeded synthetic events at the shape of one police force area, for benchmarks.

The default shape is a Thames Valley-sized partnership (the domain notes' sizing volumes): 2,700
MARAC referrals a year across 12 local policing areas and eight MARAC areas, 31% of them
repeats. Everything is drawn from one ``random.Random(seed)``, so the same seed always gives
the same events, event ids and timestamps included, and a benchmark can be re-run on exactly
the same data.

People, addresses and free text come from the small word lists below; every phone number is in
Ofcom's range reserved for drama (07700 900000-900999) and every email address is under
``example.org``, so nothing generated can belong to a real person.

The DASH answers, risk level, judgement flags and referral criteria are worked out by the
MARAC domain rules (``services.marac.domain``) under the default policy, so a generated
referral is one the platform itself would accept.

Later benchmarks (police incidents, MATAC, MAPPA) can reuse ``Population`` for areas, agencies,
people and dates.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from services.kernel.events import Event, new_event
from services.marac.domain.criteria import ReferralFacts, assess_criteria
from services.marac.domain.dash import DashForm, score_dash
from services.marac.domain.repeats import PriorReferral
from services.marac.policy import MaracPolicy, load_policy

# -- the shape of the force ------------------------------------------------------------------


@dataclass(frozen=True)
class PolicingArea:
    """A local policing area (LPA): where referrals come from and who works there."""

    code: str
    marac_area: str
    county: str
    weight: int
    """Relative share of referrals (roughly the area's population in thousands)."""
    towns: tuple[str, ...]
    postcodes: tuple[str, ...]
    """Outward codes, e.g. OX4."""
    agencies: dict[str, tuple[str, ...]]
    """Agency type (police, idva, housing, health, csc, probation) -> agency codes."""


def _agencies(county: str, **local: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Force-wide agencies, the county's IDVA service and whatever is local to the area."""
    idva = {"oxon": "idva-oxon", "berks": "idva-berks", "bucks": "idva-bucks", "mk": "idva-bucks"}
    agencies = {"police": ("tvp",), "idva": (idva[county],), "probation": ("probation-tv",)}
    agencies.update(local)
    return agencies


OXON_HEALTH = ("health-ouh", "health-oxhealth")

# fmt: off
THAMES_VALLEY_AREAS: tuple[PolicingArea, ...] = (
    PolicingArea(
        "oxford", "oxford", "oxon", 162, ("Oxford",), ("OX1", "OX2", "OX3", "OX4"),
        _agencies("oxon", housing=("housing-oxford",), health=OXON_HEALTH, csc=("csc-oxon",)),
    ),
    PolicingArea(
        "cherwell-west-oxfordshire", "north-oxfordshire", "oxon", 270,
        ("Banbury", "Bicester", "Witney", "Chipping Norton", "Carterton"),
        ("OX16", "OX26", "OX28", "OX7", "OX18"),
        _agencies("oxon", housing=("housing-cherwell",), health=OXON_HEALTH, csc=("csc-oxon",)),
    ),
    PolicingArea(
        "south-and-vale", "south-oxfordshire", "oxon", 290,
        ("Abingdon", "Didcot", "Wantage", "Henley-on-Thames", "Thame", "Wallingford"),
        ("OX14", "OX11", "OX12", "RG9", "OX9", "OX10"),
        _agencies("oxon", health=OXON_HEALTH, csc=("csc-oxon",)),
    ),
    PolicingArea(
        "aylesbury-vale", "buckinghamshire", "bucks", 200,
        ("Aylesbury", "Buckingham", "Winslow"), ("HP19", "HP20", "HP21", "MK18"),
        _agencies("bucks", housing=("housing-bucks",), csc=("csc-bucks",)),
    ),
    PolicingArea(
        "chiltern-south-bucks", "buckinghamshire", "bucks", 190,
        ("Amersham", "Chesham", "Beaconsfield", "Gerrards Cross"), ("HP6", "HP5", "HP9", "SL9"),
        _agencies("bucks", housing=("housing-bucks",), csc=("csc-bucks",)),
    ),
    PolicingArea(
        "wycombe", "buckinghamshire", "bucks", 180,
        ("High Wycombe", "Marlow", "Princes Risborough"), ("HP11", "HP12", "HP13", "SL7", "HP27"),
        _agencies("bucks", housing=("housing-bucks",), csc=("csc-bucks",)),
    ),
    PolicingArea(
        "milton-keynes", "milton-keynes", "mk", 290,
        ("Milton Keynes", "Bletchley", "Wolverton", "Newport Pagnell"),
        ("MK1", "MK2", "MK3", "MK6", "MK12", "MK16"),
        _agencies("mk", housing=("housing-mk",)),
    ),
    PolicingArea(
        "bracknell-wokingham", "east-berkshire", "berks", 290,
        ("Bracknell", "Wokingham", "Crowthorne", "Sandhurst"),
        ("RG12", "RG40", "RG41", "RG45", "GU47"),
        _agencies("berks", health=("health-rbft",)),
    ),
    PolicingArea(
        "reading", "reading", "berks", 175, ("Reading", "Caversham", "Tilehurst"),
        ("RG1", "RG2", "RG4", "RG30", "RG31"),
        _agencies(
            "berks", housing=("housing-reading",), health=("health-rbft",), csc=("csc-reading",)
        ),
    ),
    PolicingArea(
        "slough", "east-berkshire", "berks", 160, ("Slough", "Langley"), ("SL1", "SL2", "SL3"),
        _agencies("berks"),
    ),
    PolicingArea(
        "west-berkshire", "west-berkshire", "berks", 160, ("Newbury", "Thatcham", "Hungerford"),
        ("RG14", "RG18", "RG17"),
        _agencies("berks", health=("health-rbft",)),
    ),
    PolicingArea(
        "windsor-maidenhead", "east-berkshire", "berks", 155,
        ("Windsor", "Maidenhead", "Ascot"), ("SL4", "SL6", "SL5"),
        _agencies("berks", health=("health-rbft",)),
    ),
)
# fmt: on


@dataclass(frozen=True)
class ForceShape:
    """The volumes and mixes a generator draws from; every share is a fraction of 1."""

    name: str = "thames-valley"
    areas: tuple[PolicingArea, ...] = THAMES_VALLEY_AREAS
    referrals_per_year: int = 2_700
    repeat_share: float = 0.31
    """SafeLives national figure for the 12 months to September 2024."""
    start: dt.date = dt.date(2024, 4, 1)
    """First referral date (the Thames Valley ISA's version 1 takes effect on this day)."""
    referral_sources: dict[str, float] = field(
        default_factory=lambda: {
            "police": 0.62,
            "idva": 0.13,
            "health": 0.08,
            "csc": 0.07,
            "housing": 0.05,
            "probation": 0.05,
        }
    )
    """Who refers; an area without an agency of a type draws again among the others."""
    visible_high_risk_share: float = 0.70
    """Referrals with 14 or more "yes" answers; most of the rest are professional judgement."""
    escalation_share: float = 0.05
    """Referrals under 14 that rest on 3 or more police incidents in the last 12 months."""
    perpetrator_counts: tuple[float, ...] = (0.87, 0.10, 0.03)
    """Probability of 1, 2 or 3 perpetrators."""
    children_counts: tuple[float, ...] = (0.40, 0.22, 0.20, 0.12, 0.06)
    """Probability of 0..4 children: about 1.2 a case, as in the national 148,000 / 120,000."""


THAMES_VALLEY = ForceShape()

# -- word lists ------------------------------------------------------------------------------

# fmt: off
FEMALE_NAMES = (
    "Amelia", "Olivia", "Emily", "Jessica", "Sophie", "Chloe", "Hannah", "Lauren", "Rebecca",
    "Charlotte", "Gemma", "Laura", "Sarah", "Emma", "Kirsty", "Natalie", "Zoe", "Leanne",
    "Jade", "Stacey", "Nadia", "Aisha", "Fatima", "Priya", "Amira", "Agnieszka", "Joanna",
    "Grace", "Precious", "Chantelle", "Roxanne", "Kelly", "Michelle", "Donna", "Tracey",
)
MALE_NAMES = (
    "James", "Daniel", "Thomas", "Matthew", "Ryan", "Liam", "Jack", "Adam", "Luke", "Craig",
    "Dean", "Wayne", "Lee", "Darren", "Scott", "Mark", "Paul", "Stephen", "Jamie", "Connor",
    "Mohammed", "Imran", "Tariq", "Arjun", "Piotr", "Tomasz", "Kwame", "Tyrone", "Marcus",
)
CHILD_NAMES = (
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Alfie", "Freddie", "Theo",
    "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Poppy", "Evie", "Ella", "Rosie", "Maya",
    "Zara", "Yusuf", "Ibrahim", "Aarav", "Hanna",
)
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Ali", "Hussain", "Begum", "Ahmed", "Singh", "Kaur",
    "Nowak", "Kowalski", "Mensah", "Okafor", "Campbell", "Murphy", "Kelly", "Price", "Turner",
    "Harris", "Cooper", "Ward", "Morris", "King", "Baker", "Hughes", "Edwards", "Lewis",
)
STREETS = (
    "High", "Church", "Station", "Mill", "Park", "London", "Victoria", "Green", "Manor",
    "Kings", "Queens", "Albert", "Meadow", "Orchard", "Chapel", "School", "Windmill", "Abbey",
    "Oak", "Beech", "Cherry", "Willow", "Elm", "Howard", "Cromwell", "Banbury", "Oxford",
)
STREET_KINDS = ("Road", "Street", "Lane", "Close", "Avenue", "Way", "Crescent", "Drive", "Court")
SCHOOL_KINDS = ("Primary School", "Infant School", "Junior School", "Academy", "C of E School")
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LANGUAGES = ("Polish", "Urdu", "Punjabi", "Romanian", "Arabic", "Bengali", "Portuguese", "Tigrinya")

ETHNICITY = {
    "white_british": 0.72, "white_irish": 0.01, "white_gypsy_or_irish_traveller": 0.004,
    "white_roma": 0.002, "white_other": 0.06, "mixed": 0.035, "asian": 0.10, "black": 0.04,
    "arab": 0.005, "other": 0.009, "not_known": 0.015,
}
PRIMARY_RELATIONSHIP = {"ex-partner": 0.46, "partner": 0.34, "son": 0.07, "daughter": 0.01,
                        "other family": 0.12}
OTHER_RELATIONSHIP = ("other family", "partner's family", "friend of ex-partner", "ex-partner")

QUESTION_PREVALENCE = {
    "very_frightened": 0.85, "afraid_of_what": 0.8, "abuse_getting_worse": 0.75,
    "abuse_more_often": 0.7, "controlling_or_jealous": 0.8, "separation": 0.6,
    "injury": 0.55, "isolated": 0.55, "depressed_or_suicidal": 0.45, "threats_to_kill": 0.5,
    "strangulation": 0.45, "stalking_or_harassment": 0.5, "financial_issues": 0.5,
    "substance_or_mental_health": 0.5, "criminal_history": 0.45, "child_contact_conflict": 0.35,
    "breached_bail_or_orders": 0.3, "sexual_abuse": 0.3, "weapons_used": 0.3,
    "suicide_threats": 0.3, "hurt_anyone_else": 0.25, "other_person_threatens": 0.2,
    "animal_abuse": 0.12, "pregnant_or_recent_birth": 0.1, "other_children_in_household": 0.3,
    "hurt_children": 0.1, "threatened_children": 0.15,
}
"""How often each DASH question is answered yes, relatively; decides which questions make up
a score, not the score itself."""

JUDGEMENT_TRIGGERS = ("strangulation", "threats_to_kill", "stalking_or_harassment",
                      "very_frightened")

REASONS = (
    "Victim strangled during an argument last week",
    "Perpetrator has threatened to kill the victim if she leaves",
    "Separation two weeks ago; abuse has escalated since",
    "Repeated breaches of bail conditions",
    "Victim fled to a friend's address after an assault",
    "Ongoing stalking at the victim's workplace",
    "Perpetrator recently released from custody",
    "Victim is pregnant and reports increased violence",
    "Children witnessed the latest incident",
    "Perpetrator controls finances and the victim's phone",
    "Weapon (knife) produced during the incident",
    "Victim disclosed sexual abuse to a health professional",
)
JUDGEMENT_REASONS = (
    "Non-fatal strangulation disclosed although the checklist score is below 14",
    "Victim minimises; referrer believes risk is much higher than the score shows",
    "Stalking behaviour escalating quickly; victim too frightened to answer every question",
    "Threats to kill made in front of the children",
    "Separation, coercive control and a recent assault together",
)
CONSENT_OVERRIDES = (
    "Risk of serious harm outweighs the lack of consent",
    "Victim could not be contacted safely; children at risk",
    "Victim declined but risk to life is assessed as high",
)
ORDERS = ("DVPN issued", "DVPO granted for 28 days", "Non-molestation order in force",
          "Restraining order in force")
HEALTH_NOTES = ("Anxiety and depression, under GP care", "Alcohol dependency",
                "Recent self-harm", "Type 1 diabetes", "PTSD diagnosis")
PREVIOUS_MARACS = ("Heard at Swindon MARAC in 2022", "Heard at Northamptonshire MARAC",
                   "Heard at Hampshire MARAC two years ago")
# fmt: on

# -- drawing helpers -------------------------------------------------------------------------


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def weighted_count(rng: random.Random, probabilities: Sequence[float], first: int = 0) -> int:
    return first + rng.choices(range(len(probabilities)), weights=probabilities)[0]


def short_id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}-{rng.getrandbits(48):012x}"


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def birth_date(rng: random.Random, on: dt.date, min_age: int, max_age: int) -> dt.date:
    """A date of birth for someone aged between ``min_age`` and ``max_age`` on ``on``."""
    age_days = rng.randint(min_age * 365 + 1, max_age * 365 + 364)
    return on - dt.timedelta(days=age_days)


def adult_age(rng: random.Random) -> tuple[int, int]:
    """Most victims and perpetrators are 20 to 45; a few are 16-17 or over 60."""
    band = rng.choices(
        ((16, 17), (18, 24), (25, 34), (35, 44), (45, 59), (60, 80)), weights=(2, 18, 34, 26, 16, 4)
    )[0]
    return band


@dataclass
class Person:
    person_id: str
    first_name: str
    surname: str
    date_of_birth: dt.date
    gender: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.surname}"


class Population:
    """Areas, agencies, people and addresses drawn from one random generator."""

    def __init__(self, rng: random.Random, shape: ForceShape = THAMES_VALLEY):
        self.rng = rng
        self.shape = shape
        self._area_weights = [a.weight for a in shape.areas]

    def area(self) -> PolicingArea:
        return self.rng.choices(self.shape.areas, weights=self._area_weights)[0]

    def referring_agency(self, area: PolicingArea) -> tuple[str, str]:
        """(agency code, agency type) for a referral in ``area``."""
        sources = {t: w for t, w in self.shape.referral_sources.items() if t in area.agencies}
        kind = weighted(self.rng, sources)
        return self.rng.choice(area.agencies[kind]), kind

    def person(self, on: dt.date, gender: str, *, surname: str | None = None) -> Person:
        names = FEMALE_NAMES if gender == "female" else MALE_NAMES
        low, high = adult_age(self.rng)
        return Person(
            short_id(self.rng, "p"),
            self.rng.choice(names),
            surname or self.rng.choice(SURNAMES),
            birth_date(self.rng, on, low, high),
            gender,
        )

    def child(self, on: dt.date, surname: str) -> Person:
        first = self.rng.choice(CHILD_NAMES)
        return Person(
            short_id(self.rng, "p"), first, surname, birth_date(self.rng, on, 0, 17), "not_known"
        )

    def address(self, area: PolicingArea) -> str:
        rng = self.rng
        street = f"{rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"
        inward = f"{rng.randint(1, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
        postcode = f"{rng.choice(area.postcodes)} {inward}"
        return f"{rng.randint(1, 180)} {street}, {rng.choice(area.towns)} {postcode}"

    def phone(self) -> str:
        return f"07700 900{self.rng.randint(0, 999):03d}"


# -- MARAC referrals -------------------------------------------------------------------------


@dataclass
class _Case:
    """What a repeat referral reuses: the case, the victim and the perpetrators."""

    case_id: str
    area: PolicingArea
    victim: Person
    victim_details: dict[str, Any]
    perpetrators: list[dict[str, Any]]
    children: list[dict[str, Any]]
    referrals: list[PriorReferral]

    @property
    def last_referral_date(self) -> dt.date:
        return self.referrals[-1].referral_date


REPEAT_WINDOW_DAYS = 360
"""Repeats are drawn from cases last referred within this many days: safely inside the
default 12-month window whatever the month lengths."""


class ReferralGenerator:
    """ReferralSubmitted events in date order, new cases and repeats mixed as in ``shape``."""

    def __init__(
        self,
        seed: int = 0,
        shape: ForceShape = THAMES_VALLEY,
        policy: MaracPolicy | None = None,
    ):
        self.rng = random.Random(seed)
        self.shape = shape
        self.policy = policy or load_policy()
        self.population = Population(self.rng, shape)
        self._open: list[_Case] = []
        """Cases that can still take a repeat (pruned lazily as they fall out of the window)."""
        self.generated = 0

    def __iter__(self) -> Iterator[Event]:
        while True:
            yield self.next()

    # One referral ----------------------------------------------------------------------------

    def next(self) -> Event:
        rng = self.rng
        at = self._timestamp(self.generated)
        day = at.date()
        case = self._repeat_case(day) if rng.random() < self.shape.repeat_share else None
        if case is None:
            case = self._new_case(day)
            self._open.append(case)
        agency, agency_type = self.population.referring_agency(case.area)
        form = DashForm.POLICE if agency_type == "police" else DashForm.PARTNER
        referral_id = short_id(rng, "r")
        route = rng.random()
        target = self._dash_target(form, route)
        answers = self._dash_answers(
            form, target, judgement=route >= self.shape.visible_high_risk_share
        )
        dash = score_dash(answers, form, bands=self.policy.dash_bands)
        threshold = self.policy.criteria.visible_high_risk_threshold
        escalation = dash.score < threshold and route >= 1 - self.shape.escalation_share
        judgement = dash.score < threshold and not escalation
        judgement_reason = rng.choice(JUDGEMENT_REASONS) if judgement else None
        decision = assess_criteria(
            ReferralFacts(
                referral_date=day,
                victim_id=case.victim.person_id,
                perpetrator_ids=frozenset(p["person_id"] for p in case.perpetrators),
                dash_score=dash.score,
                professional_judgement=judgement,
                professional_judgement_reason=judgement_reason,
                police_incident_dates=self._incident_dates(day) if escalation else (),
                prior_referrals=tuple(case.referrals),
            ),
            self.policy.criteria,
        )
        assert decision.accepted, decision.refusal_reason  # every route meets a criterion
        repeat = decision.repeat.is_repeat
        consented = rng.random() < 0.7
        payload = {
            "case_id": case.case_id,
            "referral_id": referral_id,
            "marac_area": case.area.marac_area,
            "referral_date": day,
            "referring_agency": agency,
            "referring_agency_type": agency_type,
            "referrer": {
                "referral_id": referral_id,
                "name": f"{rng.choice(FEMALE_NAMES + MALE_NAMES)} {rng.choice(SURNAMES)}",
                "email": f"referrals@{agency}.example.org",
                "phone": self.population.phone() if rng.random() < 0.6 else None,
            },
            "victim": dict(case.victim_details),
            "perpetrators": [dict(p) for p in case.perpetrators],
            "children": [dict(c) for c in case.children],
            "dash_form": form.value,
            "dash_answers": json.dumps(answers),
            "dash_score": dash.score,
            "risk_level": dash.risk_level.value,
            "criteria": [c.value for c in decision.criteria_met],
            "judgement_flags": [f.value for f in dash.judgement_flags],
            "repeat": repeat,
            "last_referral_date": decision.repeat.last_referral_date if repeat else None,
            "victim_aware": "yes" if consented or rng.random() < 0.5 else "no",
            "victim_consented": "yes" if consented else "no",
            "consent_override_reason": None if consented else rng.choice(CONSENT_OVERRIDES),
            "feared_person": case.perpetrators[0]["name"] if rng.random() < 0.5 else None,
            "previous_maracs": rng.choice(PREVIOUS_MARACS) if rng.random() < 0.04 else None,
            "reason": ". ".join(rng.sample(REASONS, rng.randint(1, 3))) + ".",
            "professional_judgement_reason": judgement_reason,
            "police": self._police_detail(case, day) if agency_type == "police" else None,
            "agencies_involved": self._agencies_involved(case.area),
            "idva_allocated": rng.random() < 0.6,
        }
        case.referrals.append(
            PriorReferral(
                referral_id,
                case.victim.person_id,
                frozenset(p["person_id"] for p in case.perpetrators),
                day,
            )
        )
        self.generated += 1
        return _event(
            "ReferralSubmitted",
            payload,
            aggregate_id=case.case_id,
            agency=agency,
            actor=f"{agency}-user-{rng.randint(1, 40)}",
            at=at,
            event_id=seeded_uuid(rng),
            recorded_after=dt.timedelta(seconds=rng.randint(1, 900)),
        )

    # Cases and people ------------------------------------------------------------------------

    def _timestamp(self, index: int) -> dt.datetime:
        """Referrals spread evenly over the year at ``referrals_per_year``, in office hours."""
        days = index * 365.25 / self.shape.referrals_per_year
        day = self.shape.start + dt.timedelta(days=int(days))
        seconds = self.rng.randint(8 * 3600, 18 * 3600)
        return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=seconds)

    def _repeat_case(self, day: dt.date) -> _Case | None:
        """A random case referred within the repeat window, or None if there is none yet."""
        while self._open:
            index = self.rng.randrange(len(self._open))
            case = self._open[index]
            if (day - case.last_referral_date).days <= REPEAT_WINDOW_DAYS:
                if self.rng.random() < 0.2:  # some victims have moved since
                    case.victim_details["address"] = self.population.address(case.area)
                return case
            self._open[index] = self._open[-1]  # out of the window: drop it (order is irrelevant)
            self._open.pop()
        return None

    def _new_case(self, day: dt.date) -> _Case:
        rng, people = self.rng, self.population
        area = people.area()
        victim_gender = "female" if rng.random() < 0.95 else "male"
        victim = people.person(day, victim_gender)
        details = {
            "person_id": victim.person_id,
            "name": victim.name,
            "date_of_birth": victim.date_of_birth.isoformat(),
            "address": people.address(area) if rng.random() < 0.97 else None,
            "phone": people.phone() if rng.random() < 0.9 else None,
            "safe_to_call": rng.random() < 0.55,
            "gender": victim_gender,
            "ethnicity": weighted(rng, ETHNICITY),
            "disability": rng.choices(("yes", "no", "not_known"), (15, 70, 15))[0],
            "lgbt": rng.choices(("yes", "no", "not_known"), (3, 80, 17))[0],
            "pregnant": (
                rng.choices(("yes", "no", "not_known"), (5, 85, 10))[0]
                if victim_gender == "female"
                else None
            ),
            "health_notes": rng.choice(HEALTH_NOTES) if rng.random() < 0.3 else None,
            "interpreter_language": rng.choice(LANGUAGES) if rng.random() < 0.04 else None,
        }
        perpetrators = []
        for number in range(weighted_count(rng, self.shape.perpetrator_counts, first=1)):
            relationship = (
                weighted(rng, PRIMARY_RELATIONSHIP)
                if number == 0
                else rng.choice(OTHER_RELATIONSHIP)
            )
            gender = "female" if relationship == "daughter" or rng.random() < 0.07 else "male"
            victim_age = (day - victim.date_of_birth).days // 365
            if relationship in ("son", "daughter") and victim_age < 36:
                relationship = "other family"  # too young to have an adult child
            if relationship in ("son", "daughter"):  # the victim's own child, 16 or older
                perpetrator = people.person(day, gender, surname=victim.surname)
                gap = rng.randint(18, min(40, victim_age - 16))
                perpetrator.date_of_birth = birth_date(rng, day, victim_age - gap, victim_age - gap)
            else:
                perpetrator = people.person(day, gender)
            perpetrators.append(
                {
                    "person_id": perpetrator.person_id,
                    "name": perpetrator.name,
                    "aliases": [f"{rng.choice(MALE_NAMES)} {perpetrator.surname}"]
                    if rng.random() < 0.05
                    else [],
                    "date_of_birth": perpetrator.date_of_birth.isoformat()
                    if rng.random() < 0.95
                    else None,
                    "relationship_to_victim": relationship,
                    "address": people.address(area) if rng.random() < 0.6 else None,
                }
            )
        children = []
        family = perpetrators[0]["name"].split()[-1] if rng.random() < 0.5 else victim.surname
        for _ in range(weighted_count(rng, self.shape.children_counts)):
            child = people.child(day, family)
            age = (day - child.date_of_birth).days // 365
            son = rng.random() < 0.5
            children.append(
                {
                    "person_id": child.person_id,
                    "name": child.name,
                    "date_of_birth": child.date_of_birth.isoformat(),
                    "school": f"{rng.choice(area.towns)} {rng.choice(SCHOOL_KINDS)}"
                    if 4 <= age <= 16
                    else None,
                    "relationship_to_victim": "son" if son else "daughter",
                    "relationship_to_perpetrator": rng.choice(
                        ("son", "stepson", "none") if son else ("daughter", "stepdaughter", "none")
                    ),
                }
            )
        return _Case(short_id(rng, "c"), area, victim, details, perpetrators, children, [])

    # DASH and the rest of the form -----------------------------------------------------------

    def _dash_target(self, form: DashForm, route: float) -> int:
        """How many "yes" answers: 14+ for visible high risk, otherwise mostly 8 to 13."""
        threshold = self.policy.criteria.visible_high_risk_threshold
        questions = len(form.questions)
        if route < self.shape.visible_high_risk_share:
            scores = range(threshold, questions + 1)
            weights = [max(1, 16 - 2 * i) for i in range(len(scores))]
        else:
            scores = range(5, threshold)
            weights = [1 + i for i in range(len(scores))]  # nearer 14 is more common
        return self.rng.choices(scores, weights=weights)[0]

    def _dash_answers(self, form: DashForm, score: int, *, judgement: bool) -> dict[str, str]:
        """Answers with exactly ``score`` yeses, the common questions more likely to be yes."""
        rng = self.rng
        questions = form.questions
        keyed = sorted(
            questions,
            key=lambda q: rng.random() ** (1 / QUESTION_PREVALENCE.get(q, 0.2)),
            reverse=True,
        )
        yes = set(keyed[:score])
        if judgement and not yes & set(JUDGEMENT_TRIGGERS):  # a reason to refer under 14
            yes.discard(keyed[score - 1])
            yes.add(rng.choice(JUDGEMENT_TRIGGERS))
        return {
            q: "yes" if q in yes else ("not_known" if rng.random() < 0.08 else "no")
            for q in questions
        }

    def _incident_dates(self, day: dt.date) -> tuple[dt.date, ...]:
        count = self.rng.randint(3, 6)
        return tuple(
            sorted(day - dt.timedelta(days=self.rng.randint(0, 330)) for _ in range(count))
        )

    def _police_detail(self, case: _Case, day: dt.date) -> dict[str, Any]:
        rng = self.rng
        return {
            "case_id": case.case_id,
            "crime_reference": f"43{day:%y}{rng.randint(0, 9_999_999):07d}",
            "bail_conditions": (
                f"Not to contact {case.victim.name} directly or indirectly; "
                f"not to enter {rng.choice(case.area.towns)}"
            )
            if rng.random() < 0.35
            else None,
            "orders": rng.choice(ORDERS) if rng.random() < 0.2 else None,
        }

    def _agencies_involved(self, area: PolicingArea) -> list[str]:
        codes = sorted({c for codes in area.agencies.values() for c in codes})
        return sorted(self.rng.sample(codes, self.rng.randint(0, min(4, len(codes)))))


def _event(
    event_type: str,
    payload: dict[str, Any],
    *,
    aggregate_id: str,
    agency: str,
    actor: str,
    at: dt.datetime,
    event_id: str,
    recorded_after: dt.timedelta,
) -> Event:
    """An event whose ids and timestamps all come from the generator (``new_event`` stamps
    ``recorded_at`` with the wall clock)."""
    event = new_event(
        event_type,
        payload,
        aggregate_id=aggregate_id,
        agency=agency,
        actor=actor,
        occurred_at=at,
        event_id=event_id,
    )
    return Event(replace(event.envelope, recorded_at=at + recorded_after), event.payload)


def generate_referrals(
    n: int, seed: int = 0, *, shape: ForceShape = THAMES_VALLEY
) -> Iterator[Event]:
    """``n`` ReferralSubmitted events, in referral-date order, the same for the same seed."""
    generator = ReferralGenerator(seed, shape)
    for _ in range(n):
        yield generator.next()
