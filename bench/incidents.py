"""Seeded synthetic police domestic abuse incidents, for the MATAC benchmark.

``IncidentGenerator(incidents, people, years, seed)`` yields ``IncidentRecorded`` events in
date order over ``years`` years ending on 31 March 2026, with ``PerpetratorStatusChanged``
events (custody, release, death, leaving and returning to the area) on their effective
dates. Every event is keyed by the suspect's person id. Everything is drawn from one
``random.Random(seed)``, so the same seed gives the same events, ids and timestamps
included, on any machine.

The shape, for the default 100,000 incidents over three years (one force's volume, about
35,000 a year) and 40,000 suspects:

* incidents per suspect follow a truncated power law: about 60% of suspects have one
  incident, a tail of repeat perpetrators has several and a few serial perpetrators have
  dozens; the exponent is solved so the total is exactly ``incidents`` with exactly
  ``people`` distinct suspects;
* a repeat perpetrator's incidents cluster in a span of months; the more incidents, the
  more likely some are against a new victim (serial offending), and about 3% of incidents
  name a second victim (a relative of the partner, say);
* about 43% are non-crime incidents (national: ~1.5 million incidents and crimes, ~851,000
  crimes); crimes carry one offence category, 15% a second, weighted so common assault,
  assault occasioning actual bodily harm, harassment, criminal damage and coercive control
  are common and rape and attempted murder rare; the codes are the default MATAC policy's
  harm table keys;
* suspects are 16 or older at their first incident except about 1.5% who are 14 or 15,
  to exercise the age rule; 2% of incidents do not record the age;
* the 12 Thames Valley local policing areas, weighted as in ``bench.generator``; 4% of a
  suspect's incidents happen outside their usual area;
* the encrypted fields are filled as police records would fill them: the suspect's name
  (92% of incidents) and date of birth (75%), the crime reference of every crime and a
  short summary (85%).

Person ids are a keyed bijection of a counter, so they never collide; names and summaries
come from the word lists of ``bench.generator`` and below, so nothing generated belongs to
a real person.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.generator import (
    FEMALE_NAMES,
    MALE_NAMES,
    SURNAMES,
    THAMES_VALLEY_AREAS,
    PolicingArea,
    _event,
    adult_age,
    birth_date,
    seeded_uuid,
)
from services.kernel.events import Event

# -- the shape -----------------------------------------------------------------------------

# fmt: off
OFFENCE_WEIGHTS: dict[str, float] = {
    "common_assault": 26, "abh": 15, "harassment": 15, "criminal_damage": 10,
    "coercive_control": 9, "breach_of_order_or_bail": 8, "stalking": 6,
    "threats_to_kill": 3, "non_fatal_strangulation": 3, "wounding_gbh": 1.5,
    "sexual_assault": 1.5, "rape": 1.2, "attempted_murder": 0.08,
}
"""Relative frequency of each offence category among domestic abuse crimes."""

HOUR_WEIGHTS = (
    4, 3, 2, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8, 8, 8, 7, 6,
)
"""Incidents by hour of day: most in the evening, fewest before dawn."""

SUMMARIES: dict[str, tuple[str, ...]] = {
    "non_crime": (
        "Verbal argument at the home address; no offences disclosed",
        "Third-party report of shouting; both parties safe on police arrival",
        "Argument over child contact arrangements; no injuries, words of advice given",
        "Ex-partner attended the address uninvited and left before police arrived",
    ),
    "common_assault": (
        "Pushed the victim during an argument; no visible injury",
        "Slapped the victim in front of the children",
        "Grabbed the victim by the arms to stop her leaving",
    ),
    "abh": (
        "Punched the victim causing bruising to the face",
        "Kicked the victim while she was on the floor; bruising to the ribs",
    ),
    "harassment": (
        "Repeated unwanted messages and calls after the relationship ended",
        "Abusive messages sent to the victim and her family over several weeks",
    ),
    "criminal_damage": (
        "Smashed the victim's phone during an argument",
        "Damaged the front door of the victim's address",
    ),
    "coercive_control": (
        "Controls the victim's money and phone; checks where she goes",
        "Isolated the victim from friends and family over many months",
    ),
    "breach_of_order_or_bail": (
        "Attended the victim's address in breach of bail conditions",
        "Contacted the victim in breach of a non-molestation order",
    ),
    "stalking": (
        "Waits outside the victim's workplace; followed her home",
        "Tracked the victim's car and turned up where she was",
    ),
    "threats_to_kill": ("Threatened to kill the victim if she leaves",),
    "non_fatal_strangulation": ("Put his hands around the victim's neck during an argument",),
    "wounding_gbh": ("Attacked the victim with a bottle causing a head wound",),
    "sexual_assault": ("Sexual assault disclosed by the victim to an officer",),
    "rape": ("Rape disclosed by the victim; specialist officer assigned",),
    "attempted_murder": ("Stabbed the victim; victim taken to hospital",),
}
# fmt: on

STATUSES = ("custody", "released", "deceased", "left_area", "returned")
CUSTODY, RELEASED, DECEASED, LEFT_AREA, RETURNED = range(len(STATUSES))


@dataclass(frozen=True)
class IncidentShape:
    """The mixes the incident generator draws from; every share is a fraction of 1."""

    end: dt.date = dt.date(2026, 3, 31)
    """The last day incidents are generated for: the benchmark ranks "as of" this day."""
    areas: tuple[PolicingArea, ...] = THAMES_VALLEY_AREAS
    police_agency: str = "tvp"
    force_code: str = "43"
    non_crime_share: float = 0.43
    offences: dict[str, float] = field(default_factory=lambda: dict(OFFENCE_WEIGHTS))
    second_offence_share: float = 0.15
    extra_victim_share: float = 0.03
    new_victim_chance: float = 0.12
    """Chance that each incident after a suspect's first marks a move to a new victim."""
    max_victims: int = 5
    male_suspect_share: float = 0.85
    juvenile_share: float = 0.015
    """Suspects aged 14 or 15 at their first incident."""
    age_unknown_share: float = 0.02
    other_area_share: float = 0.04
    named_share: float = 0.92
    date_of_birth_share: float = 0.75
    summary_share: float = 0.85
    mean_gap_days: float = 45.0
    """Mean spacing of a repeat perpetrator's incidents (sets the span they fall in)."""
    max_incidents_per_year: int = 20
    """Caps the tail: nobody has more than this many incidents a year of the period."""


INCIDENTS = IncidentShape()

# -- ids -------------------------------------------------------------------------------------

_MASK = (1 << 48) - 1


def _mix(value: int, salt: int) -> int:
    """A bijection on 48-bit integers, so distinct counters give distinct ids."""
    x = (value ^ salt) & _MASK
    x = (x * 0x9E3779B97F4B) & _MASK
    x ^= x >> 23
    x = (x * 0xD6E8FEB86659) & _MASK
    x ^= x >> 21
    return x


# -- incidents per suspect -------------------------------------------------------------------


def _power_law_weights(exponent: float, largest: int) -> list[float]:
    return [k**-exponent for k in range(1, largest + 1)]


def _mean(weights: list[float]) -> float:
    return sum(k * w for k, w in enumerate(weights, start=1)) / sum(weights)


def incident_counts(rng: random.Random, incidents: int, people: int, largest: int) -> array:
    """Incidents per suspect: ``people`` counts, each 1..``largest``, summing to ``incidents``.

    Drawn from P(k) proportional to k^-s with s solved so the mean is incidents / people,
    then nudged one at a time (random suspects) to the exact total.
    """
    if not 1 <= people <= incidents <= people * largest:
        raise ValueError(
            f"cannot give {people} suspects {incidents} incidents at 1 to {largest} each"
        )
    target = incidents / people
    low, high = 0.0, 12.0  # mean falls as the exponent rises
    for _ in range(60):
        middle = (low + high) / 2
        if _mean(_power_law_weights(middle, largest)) > target:
            low = middle
        else:
            high = middle
    weights = _power_law_weights(high, largest)
    counts = array("H", rng.choices(range(1, largest + 1), weights=weights, k=people))
    difference = incidents - sum(counts)
    step, limit = (1, largest) if difference > 0 else (-1, 1)
    while difference:
        index = rng.randrange(people)
        if counts[index] != limit:
            counts[index] += step
            difference -= step
    return counts


# -- the generator ---------------------------------------------------------------------------


class IncidentGenerator:
    """Plans every suspect's incidents and status changes up front (compactly), then yields
    the events day by day. ``total_events`` is known before the first event is drawn."""

    def __init__(
        self,
        incidents: int = 100_000,
        people: int = 40_000,
        years: float = 3,
        seed: int = 0,
        shape: IncidentShape = INCIDENTS,
    ):
        if incidents < 1 or people < 1 or years <= 0:
            raise ValueError("incidents, people and years must be positive")
        self.rng = rng = random.Random(seed)
        self.shape = shape
        self.incidents = incidents
        self.people = min(people, incidents)
        self.days = max(1, round(years * 365.25))
        self.end = shape.end
        self.start = shape.end - dt.timedelta(days=self.days - 1)
        self._salt = rng.getrandbits(48)
        self._area_weights = [a.weight for a in shape.areas]
        self._offences = list(shape.offences)
        self._offence_weights = list(shape.offences.values())
        self._names = MALE_NAMES + FEMALE_NAMES
        largest = max(2, round(shape.max_incidents_per_year * self.days / 365.25))
        self.counts = incident_counts(rng, incidents, self.people, largest)
        self._plan()
        self.generated = 0
        self.area_incidents: Counter[str] = Counter()
        """Incidents generated so far, by policing area."""

    # Planning ------------------------------------------------------------------------------

    def _plan(self) -> None:
        rng, shape, days = self.rng, self.shape, self.days
        people = self.people
        self._by_day = [array("I") for _ in range(days)]
        self._statuses: dict[int, list[tuple[int, int]]] = {}
        self._victims = array("B", bytes(people))
        self._area = array("B", bytes(people))
        self._first_name = array("B", bytes(people))
        self._surname = array("B", bytes(people))
        self._born = array("i", bytes(4 * people))
        self._seen = array("H", bytes(2 * people))
        male = len(MALE_NAMES)
        area_indexes = range(len(shape.areas))
        self.juveniles = 0
        for index, count in enumerate(self.counts):
            if count == 1:
                dates = [rng.randrange(days)]
            else:
                span = min(days - 1, count + int(count * rng.expovariate(1 / shape.mean_gap_days)))
                first = rng.randrange(days - span)
                dates = sorted(first + rng.randint(0, span) for _ in range(count))
            for day in dates:
                self._by_day[day].append(index)
            victims = 1 + sum(rng.random() < shape.new_victim_chance for _ in range(count - 1))
            self._victims[index] = min(victims, shape.max_victims)
            self._area[index] = rng.choices(area_indexes, weights=self._area_weights)[0]
            self._first_name[index] = (
                rng.randrange(male)
                if rng.random() < shape.male_suspect_share
                else male + rng.randrange(len(FEMALE_NAMES))
            )
            self._surname[index] = rng.randrange(len(SURNAMES))
            first_day = self.start + dt.timedelta(days=dates[0])
            if rng.random() < shape.juvenile_share:
                low, high = 14, 15
                self.juveniles += 1
            else:
                low, high = adult_age(rng)
            self._born[index] = birth_date(rng, first_day, low, high).toordinal()
            self._plan_statuses(index, dates)
        self.status_changes = sum(len(changes) for changes in self._statuses.values())
        self.total_events = self.incidents + self.status_changes

    def _plan_statuses(self, index: int, dates: list[int]) -> None:
        """Remands between incidents, and custody, death or moving away after the last one;
        always in an order the MATAC rules accept (released only from custody, and so on)."""
        rng = self.rng
        planned: list[tuple[int, int]] = []
        for earlier, later in zip(dates, dates[1:], strict=False):
            if later - earlier > 30 and rng.random() < 0.03:
                planned.append((earlier + 1, CUSTODY))
                planned.append(
                    (earlier + 1 + rng.randint(7, min(later - earlier - 2, 120)), RELEASED)
                )
        last, draw = dates[-1], rng.random()
        custody = min(0.3, 0.02 + 0.02 * len(dates))
        if draw < custody:
            held = last + rng.randint(0, 10)
            planned.append((held, CUSTODY))
            if rng.random() < 0.5:
                planned.append((held + rng.randint(30, 400), RELEASED))
        elif draw < custody + 0.003:
            planned.append((last + rng.randint(20, 700), DECEASED))
        elif draw < custody + 0.023:
            gone = last + rng.randint(14, 400)
            planned.append((gone, LEFT_AREA))
            if rng.random() < 0.25:
                planned.append((gone + rng.randint(60, 300), RETURNED))
        for day, status in planned:
            if day < self.days:
                self._statuses.setdefault(day, []).append((index, status))

    # Ids and people ------------------------------------------------------------------------

    def person_id(self, index: int) -> str:
        """The suspect's Tandem person id."""
        return f"p-{_mix(index * 8, self._salt):012x}"

    def victim_id(self, index: int, slot: int) -> str:
        """Victim ``slot`` (1-7) of suspect ``index``: distinct from every other person id."""
        return f"p-{_mix(index * 8 + slot, self._salt):012x}"

    def suspect_name(self, index: int) -> str:
        return f"{self._names[self._first_name[index]]} {SURNAMES[self._surname[index]]}"

    def suspect_date_of_birth(self, index: int) -> dt.date:
        return dt.date.fromordinal(self._born[index])

    # Events --------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        for day in range(self.days):
            on = self.start + dt.timedelta(days=day)
            suspects = list(self._by_day[day])
            self.rng.shuffle(suspects)
            for number, index in enumerate(suspects, start=1):
                yield self._incident(index, on, number)
            for index, status in self._statuses.get(day, ()):
                yield self._status(index, status, on)

    def _incident(self, index: int, on: dt.date, number: int) -> Event:
        rng, shape = self.rng, self.shape
        seq = self._seen[index]
        self._seen[index] = seq + 1
        count, victims = self.counts[index], self._victims[index]
        victim_ids = [self.victim_id(index, 1 + seq * victims // count)]
        if rng.random() < shape.extra_victim_share:
            victim_ids.append(self.victim_id(index, 7))
        area = shape.areas[self._area[index]]
        if rng.random() < shape.other_area_share:
            area = rng.choices(shape.areas, weights=self._area_weights)[0]
        is_crime = rng.random() >= shape.non_crime_share
        offences: list[str] = []
        if is_crime:
            offences.append(rng.choices(self._offences, weights=self._offence_weights)[0])
            if rng.random() < shape.second_offence_share:
                second = rng.choices(self._offences, weights=self._offence_weights)[0]
                if second != offences[0]:
                    offences.append(second)
        born = self.suspect_date_of_birth(index)
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        harm_key = offences[0] if offences else "non_crime"
        person_id = self.person_id(index)
        payload = {
            "incident_id": f"{shape.police_agency.upper()}-{on:%Y%m%d}-{number:05d}",
            "occurred_on": on,
            "policing_area": area.code,
            "is_crime": is_crime,
            "offence_categories": offences,
            "suspect_person_id": person_id,
            "suspect_age": None if rng.random() < shape.age_unknown_share else age,
            "suspect_name": self.suspect_name(index) if rng.random() < shape.named_share else None,
            "suspect_date_of_birth": (
                born.isoformat() if rng.random() < shape.date_of_birth_share else None
            ),
            "victim_person_ids": victim_ids,
            "crime_reference": (
                f"{shape.force_code}{on:%y}{rng.randint(0, 9_999_999):07d}" if is_crime else None
            ),
            "summary": (
                rng.choice(SUMMARIES[harm_key]) if rng.random() < shape.summary_share else None
            ),
        }
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        at = dt.datetime.combine(on, dt.time(hour), dt.UTC) + dt.timedelta(
            seconds=rng.randrange(3600)
        )
        self.generated += 1
        self.area_incidents[area.code] += 1
        return _event(
            "IncidentRecorded",
            payload,
            aggregate_id=person_id,
            agency=shape.police_agency,
            actor=f"{shape.police_agency}-analyst-{rng.randint(1, 25)}",
            at=at,
            event_id=seeded_uuid(rng),
            recorded_after=dt.timedelta(minutes=rng.randint(10, 36 * 60)),
        )

    def _status(self, index: int, status: int, on: dt.date) -> Event:
        rng, shape = self.rng, self.shape
        person_id = self.person_id(index)
        at = dt.datetime.combine(on, dt.time(), dt.UTC) + dt.timedelta(
            seconds=rng.randint(8 * 3600, 18 * 3600)
        )
        return _event(
            "PerpetratorStatusChanged",
            {"person_id": person_id, "status": STATUSES[status], "effective_on": on},
            aggregate_id=person_id,
            agency=shape.police_agency,
            actor=f"{shape.police_agency}-analyst-{rng.randint(1, 25)}",
            at=at,
            event_id=seeded_uuid(rng),
            recorded_after=dt.timedelta(minutes=rng.randint(30, 3 * 24 * 60)),
        )

    # Summary -------------------------------------------------------------------------------

    def describe(self) -> dict:
        """The planned data in numbers (the same before and after generating)."""
        counts = Counter(self.counts)
        statuses = Counter(
            STATUSES[status] for changes in self._statuses.values() for _, status in changes
        )
        return {
            "incidents": self.incidents,
            "suspects": self.people,
            "first_day": self.start.isoformat(),
            "last_day": self.end.isoformat(),
            "days": self.days,
            "suspects_with_one_incident": counts[1],
            "suspects_with_5_or_more": sum(n for k, n in counts.items() if k >= 5),
            "most_incidents_for_one_suspect": max(self.counts),
            "suspects_with_2_or_more_victims": sum(1 for v in self._victims if v >= 2),
            "suspects_14_or_15_at_first_incident": self.juveniles,
            "status_changes": dict(sorted(statuses.items())),
            "events": self.total_events,
        }


def generate_incidents(
    incidents: int, people: int, years: float = 3, seed: int = 0
) -> Iterator[Event]:
    """``incidents`` IncidentRecorded events (and the status changes planned with them), in
    date order, the same for the same arguments."""
    return iter(IncidentGenerator(incidents, people, years, seed))
