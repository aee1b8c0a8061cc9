"""A force's decade through the event store: prepare, store, relay, replay, against raw SQL.

In one run, on a fresh event store (data from bench/incidents.py and bench/generator.py,
mixed in time order over ten years ending on 31 March 2026):

1. *prepare*: N events through platform.publisher.prepare in chunks: validate, encrypt the
   sensitive fields, Avro-encode, sign;
2. *store write*: the prepared records appended to the event store (store.lock_appends and
   store.append) in transactions of a fixed size, timing the append and the commit only;
   prepare and store alternate chunk by chunk, so nothing holds more than a chunk;
3. *relay*: platform.relay().drain() puts the newest M stored events on Kafka (the relay's
   cursor is first moved to sequence N - M, as if the older events were already published:
   the embedded broker cannot take millions);
4. *replay from store*: for each service, platform.projector(name).replay_from_store() on a
   Platform of its own (cold caches, as a freshly started process): the read model rebuilt
   from the store, no broker;
5. *raw SQL*: the same rows of event_store (the same columns the replay reads, the service's
   streams, in sequence order, in batches of the same size) read with plain SQLAlchemy and
   nothing else.

The ratio replay / raw SQL says what share of the database's read ceiling a rebuild reaches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import math
import random
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice

from bench.generator import THAMES_VALLEY, ReferralGenerator, _event, seeded_uuid
from bench.harness import (
    Measurement,
    Progress,
    add_environment_arguments,
    add_output_arguments,
    bench_environment,
    describe_machine,
    load_average,
    machine_info,
    peak_memory_mib,
    positive_int,
    ratio,
)
from bench.incidents import INCIDENTS, IncidentGenerator
from services.bootstrap import Platform
from services.kernel import store
from services.kernel.events import Event
from services.marac.policy import load_policy
from services.sharing.blind_index import BlindIndexKey, index_terms_for_full_name

NAME = "history"
SUMMARY = "a force's decade through the event store: prepare, store, relay, replay vs raw SQL"
DESCRIPTION = __doc__.split("\n\n", 1)[1].rstrip() + "\n\n" + SUMMARY
EXAMPLES = """\
examples:
  python -m bench history --events 2000                 quick check (under a minute)
  python -m bench history --events 200000               the figures in docs/performance.md
  python -m bench history                               2,000,000 events: a force's decade
  python -m bench history --events 2000000 --relay-events 2000000 --kafka localhost:29092 \\
      --database-url postgresql+psycopg://tandem@localhost/bench
  python -m bench history --events 50000 --json > result.json

Progress goes to stderr; the results (a table, or JSON with --json) to stdout.
"""
SERVICES = ("matac", "marac", "sharing")

# -- the decade ------------------------------------------------------------------------------

DECADE_END = dt.date(2026, 3, 31)
DECADE_DAYS = 3652
"""1 April 2016 to 31 March 2026."""
INCIDENT_SHARE = 0.70
"""Police incidents and the perpetrator status changes planned with them."""
REFERRAL_SHARE = 0.10
"""MARAC referrals and the PersonIndexed events of the people in new cases."""
# the rest (about 20%) is the audit trail: DataAccessed
STATUS_CHANGES_PER_INCIDENT = 0.05
"""Status changes the incident generator plans per incident (about 5%), allowed for."""
SUSPECTS_PER_INCIDENT = 0.4
"""As the MATAC benchmark's default: 40,000 suspects for 100,000 incidents."""
EVENTS_PER_REFERRAL = 3.3
"""ReferralSubmitted plus PersonIndexed per referral, about: sets the referral timeline."""
SLICE_EVENTS = 100_000
"""The decade is generated in consecutive slices (a year, or shorter so that no slice plans
more than this many events), so memory does not grow with the number of events."""
RECENT = 2_000
"""Recently seen suspects and referrals that audit events read about."""
AGREEMENT = "thames-valley-da-isa"
AGREEMENT_V2_FROM = dt.date(2025, 4, 1)

MARAC_READERS = (
    "tvp",
    "idva-oxon",
    "idva-berks",
    "idva-bucks",
    "housing-oxford",
    "housing-bucks",
    "health-rbft",
    "csc-oxon",
    "probation-tv",
)
FULL_MARAC_READ = ("risk.narrative", "victim.address", "victim.contact", "victim.identity")
"""What police and IDVAs read of a referral; other partners get identity and risk only."""


class _Ring:
    """The last ``size`` items added, with a random pick: bounded, whatever the run's size."""

    def __init__(self, size: int):
        self.size = size
        self.items: list = []
        self.position = 0

    def add(self, item) -> None:
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            self.items[self.position] = item
            self.position = (self.position + 1) % self.size

    def pick(self, rng: random.Random):
        return self.items[rng.randrange(len(self.items))] if self.items else None


class Decade:
    """Exactly ``events`` events of one force over ten years, in time order, streamed.

    Each slice of the decade mixes three seeded streams by ``occurred_at``: the incident
    generator's events (``IncidentRecorded`` and ``PerpetratorStatusChanged``, 70%), MARAC
    referrals with a ``PersonIndexed`` event for each person of a new case who has a name and
    a date of birth (the terms intake publishes, under a seeded blind-index key; 10%), and
    ``DataAccessed`` audit events (the rest, about 20%) about suspects and referrals seen
    shortly before. Only one slice is planned at a time.
    """

    def __init__(self, events: int, seed: int = 0):
        if events < 1:
            raise ValueError("events must be positive")
        self.events = events
        self.seed = seed
        self.slices = max(10, math.ceil(events / SLICE_EVENTS))
        self.start = DECADE_END - dt.timedelta(days=DECADE_DAYS - 1)
        self.end = DECADE_END
        self.counts: Counter[str] = Counter()
        """Events generated so far, by type."""
        self.largest_slice = 0
        """Most events planned at once."""
        self._rng = random.Random(seed)
        self._key = BlindIndexKey(self._rng.randbytes(32))
        self._policy = load_policy()
        self._suspects = _Ring(RECENT)
        self._referrals = _Ring(RECENT)

    def __iter__(self) -> Iterator[Event]:
        for number in range(self.slices):
            yield from self._slice(number)

    def _slice(self, number: int) -> Iterator[Event]:
        first = round(number * DECADE_DAYS / self.slices)
        days = round((number + 1) * DECADE_DAYS / self.slices) - first
        start = self.start + dt.timedelta(days=first)
        end = start + dt.timedelta(days=days - 1)
        size = self.events * (number + 1) // self.slices - self.events * number // self.slices
        if size == 0:
            return
        seeds = [self._rng.getrandbits(32) for _ in range(3)]
        incident_count = max(1, round(size * INCIDENT_SHARE / (1 + STATUS_CHANGES_PER_INCIDENT)))
        incidents = IncidentGenerator(
            min(incident_count, size),
            max(1, round(incident_count * SUSPECTS_PER_INCIDENT)),
            years=days / 365.25,
            seed=seeds[0],
            shape=replace(INCIDENTS, end=end),
        )
        police = min(incidents.total_events, size)
        referrals = min(round(size * REFERRAL_SHARE), size - police)
        audits = size - police - referrals
        self.largest_slice = max(self.largest_slice, incidents.total_events + referrals + audits)
        per_year = max(1, round(referrals / EVENTS_PER_REFERRAL / (days / 365.25)))
        shape = replace(THAMES_VALLEY, referrals_per_year=per_year, start=start)
        referral_events = self._referral_events(ReferralGenerator(seeds[1], shape, self._policy))
        streams = (
            islice(incidents, police),
            islice(referral_events, referrals),
            self._audit_events(random.Random(seeds[2]), start, days, audits, incidents),
        )
        for event in heapq.merge(*streams, key=lambda e: e.envelope.occurred_at):
            self.counts[event.event_type] += 1
            if event.event_type == "IncidentRecorded":
                self._suspects.add(event.payload["suspect_person_id"])
            elif event.event_type == "ReferralSubmitted":
                p = event.payload
                self._referrals.add((p["victim"]["person_id"], p["referral_id"]))
            yield event

    def _referral_events(self, generator: ReferralGenerator) -> Iterator[Event]:
        """Each referral, after the PersonIndexed events of its new people (none for a repeat:
        intake finds them by their exact terms)."""
        rng = generator.rng
        while True:
            referral = generator.next()
            p, envelope = referral.payload, referral.envelope
            if not p["repeat"]:
                people = [("victim", p["victim"])]
                people += [("perpetrator", person) for person in p["perpetrators"]]
                people += [("child", person) for person in p["children"]]
                for role, person in people:
                    if not (person.get("name") and person.get("date_of_birth")):
                        continue
                    terms = index_terms_for_full_name(
                        self._key, person["name"], person["date_of_birth"]
                    )
                    yield _event(
                        "PersonIndexed",
                        {"person_id": person["person_id"], "role": role, "terms": dict(terms)},
                        aggregate_id=person["person_id"],
                        agency=envelope.agency,
                        actor=envelope.actor,
                        at=envelope.occurred_at,
                        event_id=seeded_uuid(rng),
                        recorded_after=envelope.recorded_at - envelope.occurred_at,
                    )
            yield referral

    def _audit_events(
        self,
        rng: random.Random,
        start: dt.date,
        days: int,
        count: int,
        incidents: IncidentGenerator,
    ) -> Iterator[Event]:
        """``count`` DataAccessed events spread evenly over the slice: 60% police and probation
        reading perpetrators (MATAC), 40% partners reading referrals (MARAC)."""
        began = dt.datetime.combine(start, dt.time(), dt.UTC)
        spacing = days * 86_400 / max(count, 1)
        for index in range(count):
            at = began + dt.timedelta(seconds=(index + rng.random()) * spacing)
            referral = self._referrals.pick(rng) if rng.random() < 0.4 else None
            if referral is not None:
                subject, referral_id = referral
                agency = rng.choice(MARAC_READERS)
                full = agency == "tvp" or agency.startswith("idva")
                classes = list(FULL_MARAC_READ if full else ("risk.narrative", "victim.identity"))
                purpose, route = "marac", f"/api/marac/referrals/{referral_id}"
            else:
                subject = self._suspects.pick(rng) or incidents.person_id(
                    rng.randrange(incidents.people)
                )
                agency = "tvp" if rng.random() < 0.85 else "probation-tv"
                draw = rng.random()
                if draw < 0.5:
                    classes, route = ["perpetrator.identity"], "/api/matac/rankings"
                else:
                    classes = ["offending.detail", "perpetrator.identity"]
                    route = f"/api/matac/perpetrators/{subject}"
                    route += "/history" if draw > 0.85 else ""
                purpose = "matac"
            yield _event(
                "DataAccessed",
                {
                    "subject_id": subject,
                    "data_classes": classes,
                    "purpose": purpose,
                    "agreement_id": AGREEMENT,
                    "agreement_version": 2 if at.date() >= AGREEMENT_V2_FROM else 1,
                    "route": route,
                },
                aggregate_id=subject,
                agency=agency,
                actor=f"{agency}-user-{rng.randint(1, 40)}",
                at=at,
                event_id=seeded_uuid(rng),
                recorded_after=dt.timedelta(milliseconds=rng.randint(5, 400)),
            )

    def describe(self) -> dict:
        """The decade in numbers (the counts are those generated so far)."""
        generated = sum(self.counts.values())
        groups = {
            "police (IncidentRecorded, PerpetratorStatusChanged)": (
                "IncidentRecorded",
                "PerpetratorStatusChanged",
            ),
            "referrals (ReferralSubmitted, PersonIndexed)": ("ReferralSubmitted", "PersonIndexed"),
            "audit (DataAccessed)": ("DataAccessed",),
        }
        return {
            "events": self.events,
            "first_day": self.start.isoformat(),
            "last_day": self.end.isoformat(),
            "slices": self.slices,
            "largest_slice_events": self.largest_slice,
            "event_types": dict(sorted(self.counts.items())),
            "shares": {
                name: round(sum(self.counts[t] for t in types) / generated, 4) if generated else 0
                for name, types in groups.items()
            },
        }


# -- command line ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXAMPLES
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--events",
        type=positive_int,
        default=2_000_000,
        metavar="N",
        help="events in the decade (default: %(default)s)",
    )
    what.add_argument(
        "--relay-events",
        type=positive_int,
        default=None,
        metavar="M",
        help="of the stored events, how many (the newest) the relay publishes (default: N or "
        "100,000, whichever is smaller: the embedded broker rewrites its whole state as one "
        "JSON file and cannot take millions)",
    )
    what.add_argument(
        "--services",
        default=",".join(SERVICES),
        metavar="LIST",
        help="services whose read models are replayed from the store, comma-separated, or "
        "'all' (default: %(default)s)",
    )
    what.add_argument(
        "--seed", type=int, default=0, metavar="S", help="generator seed (default: %(default)s)"
    )
    what.add_argument(
        "--batch",
        type=positive_int,
        default=1_000,
        metavar="K",
        help="events per publisher.prepare() call (default: %(default)s)",
    )
    what.add_argument(
        "--append-batch",
        type=positive_int,
        default=1_000,
        metavar="A",
        help="records per event-store transaction (default: %(default)s)",
    )
    what.add_argument(
        "--replay-batch",
        type=positive_int,
        default=2_000,
        metavar="B",
        help="rows per batch (and per read-model transaction) for the replay, and for the raw "
        "SQL read alike (default: %(default)s, replay_from_store's default)",
    )
    what.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on the relay after this long (default: 10 minutes plus 0.1 s per event)",
    )
    add_environment_arguments(parser)
    add_output_arguments(parser)


def _services(text: str, platform: Platform) -> list[str]:
    known = sorted(platform.projections)
    if text.strip() == "all":
        return known
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise SystemExit(
            f"bench history: unknown service(s) {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(known)} or 'all'"
        )
    return names


# -- the phases ------------------------------------------------------------------------------


class Tenths:
    """A phase's rate over each tenth of its events: does it slow down as the store grows?"""

    def __init__(self, total: int):
        self.total = total
        self.marks: list[tuple[int, float]] = [(0, 0.0)]
        self._next = 1

    def record(self, done: int, seconds: float) -> None:
        """``seconds``: the phase's time so far when ``done`` events are through (a batch that
        crosses several tenths makes one coarser step)."""
        if done * 10 >= self._next * self.total:
            self.marks.append((done, seconds))
            while self._next * self.total <= done * 10:
                self._next += 1

    def rates(self) -> list[float]:
        return [
            round((d1 - d0) / (s1 - s0), 1) if s1 > s0 else 0.0
            for (d0, s0), (d1, s1) in zip(self.marks, self.marks[1:], strict=False)
        ]


def prepare_and_store(
    platform: Platform, decade: Decade, *, batch: int, append_batch: int, progress: Progress
) -> tuple[Measurement, Measurement, Measurement, int, dict[str, list[float]]]:
    """Generate, prepare and append the decade chunk by chunk; returns the (generate, prepare,
    store write) timings, the bytes of Avro stored and the rates by tenth."""
    source = iter(decade)
    prepare_tenths, store_tenths = Tenths(decade.events), Tenths(decade.events)
    generating = preparing = storing = 0.0
    done = stored = avro_bytes = 0
    pending: list = []
    total = decade.events
    engine = platform.writer_engine
    progress.start("prepare + store")
    while done < total:
        began = time.perf_counter()
        chunk = list(islice(source, min(batch, total - done)))
        generated = time.perf_counter()
        pending.extend(platform.publisher.prepare(chunk))
        prepared = time.perf_counter()
        generating += generated - began
        preparing += prepared - generated
        done += len(chunk)
        prepare_tenths.record(done, preparing)
        while len(pending) >= append_batch or (pending and done >= total):
            records, pending = pending[:append_batch], pending[append_batch:]
            appending = time.perf_counter()
            with engine.begin() as conn:
                store.lock_appends(conn)
                added = store.append(conn, records)
            storing += time.perf_counter() - appending
            if len(added) != len(records):
                raise SystemExit(f"bench history: {len(records) - len(added)} duplicate event ids")
            stored += len(added)
            avro_bytes += sum(len(r.value) for r in records)
            store_tenths.record(stored, storing)
        progress.update(done, total)
    progress.done()
    return (
        Measurement("generate", done, generating),
        Measurement("prepare", done, preparing),
        Measurement("store_write", stored, storing),
        avro_bytes,
        {"prepare": prepare_tenths.rates(), "store_write": store_tenths.rates()},
    )


def relay_newest(
    platform: Platform, events: int, *, timeout: float, progress: Progress
) -> Measurement:
    """Move the relay's cursor to leave only the newest ``events`` unpublished; drain them."""
    engine = platform.writer_engine
    with engine.begin() as conn:
        last = store.last_sequence(conn)
        holder = "bench-history"
        store.take_lease(conn, "relay", holder, 5.0)  # creates the cursor row
        store.advance_cursor(conn, "relay", max(0, last - events))
        store.release_lease(conn, "relay", holder)
    relay = platform.relay()
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(1.0):
            progress.update(relay.status.published, events)

    watcher = threading.Thread(target=report, daemon=True)
    progress.start("relay")
    watcher.start()
    try:
        began = time.perf_counter()
        sent = relay.drain(timeout=timeout)
        elapsed = time.perf_counter() - began
    finally:
        stop.set()
        watcher.join()
    progress.update(sent, events)
    progress.done()
    with engine.connect() as conn:
        left = store.backlog(conn, "relay")
    if sent != events or left:
        raise SystemExit(
            f"bench history: the relay sent {sent} events, expected {events}; {left} left over"
        )
    return Measurement("relay", sent, elapsed)


def replay(
    platform: Platform, name: str, *, batch: int, progress: Progress
) -> tuple[Measurement, int, list[float]]:
    """Rebuild one service's read model from the store; returns its timing, dead letters and
    rates by tenth."""
    projector = platform.projector(name)
    tenths: Tenths | None = None

    def observe(done: int, total: int) -> None:
        nonlocal tenths
        if tenths is None:
            tenths = Tenths(total)
        tenths.record(done, time.perf_counter() - began)
        progress.update(done, total)

    try:
        progress.start(f"replay {name}")
        began = time.perf_counter()
        read = projector.replay_from_store(
            platform.writer_engine, progress=observe, batch_size=batch
        )
        elapsed = time.perf_counter() - began
        progress.done()
    finally:
        projector.close()
    return (
        Measurement(f"replay_{name}", read, elapsed),
        projector.status.dead_lettered,
        tenths.rates() if tenths else [],
    )


RAW_QUERY = (
    'SELECT sequence, event_id, event_type, stream, "key", value, mac, origin, kafka_partition, '
    "kafka_offset FROM event_store WHERE sequence > :after AND stream IN ({streams}) "
    "ORDER BY sequence LIMIT :limit"
)


def raw_sql_read(
    url: str, name: str, streams: tuple[str, ...], *, batch: int, progress: Progress
) -> tuple[Measurement, int]:
    """The rows a replay of these streams reads, with plain SQLAlchemy (an engine of its own,
    keyset batches of ``batch``); returns the timing and the bytes of Avro read."""
    from sqlalchemy import create_engine, text

    names = {f"s{i}": stream for i, stream in enumerate(streams)}
    query = text(RAW_QUERY.format(streams=", ".join(f":{k}" for k in names)))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            expected = store.count(conn, list(streams))
        progress.start(f"raw SQL {name}")
        began = time.perf_counter()
        rows = values = 0
        after = 0
        with engine.connect() as conn:
            while True:
                batch_rows = conn.execute(query, {"after": after, "limit": batch, **names}).all()
                if not batch_rows:
                    break
                rows += len(batch_rows)
                values += sum(len(row.value) for row in batch_rows)
                after = batch_rows[-1].sequence
                progress.update(rows, expected)
        elapsed = time.perf_counter() - began
        progress.done()
    finally:
        engine.dispose()
    return Measurement(f"raw_sql_{name}", rows, elapsed), values


def read_model_counts(platform: Platform) -> dict[str, int]:
    from sqlalchemy import func, select

    from projections.marac import marac_referrals
    from projections.matac import matac_incidents, matac_status_changes
    from projections.sharing import access_log, person_terms

    def count(conn, table) -> int:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()

    with platform.engine.connect() as conn:
        return {
            "matac_incidents": count(conn, matac_incidents),
            "matac_status_changes": count(conn, matac_status_changes),
            "marac_referrals": count(conn, marac_referrals),
            "sharing_person_terms": count(conn, person_terms),
            "sharing_access_log": count(conn, access_log),
        }


def expected_counts(counts: Counter[str], services: list[str]) -> dict[str, int]:
    expected = {}
    if "matac" in services:
        expected["matac_incidents"] = counts["IncidentRecorded"]
        expected["matac_status_changes"] = counts["PerpetratorStatusChanged"]
    if "marac" in services:
        expected["marac_referrals"] = counts["ReferralSubmitted"]
    if "sharing" in services:
        expected["sharing_person_terms"] = 3 * counts["PersonIndexed"]
        expected["sharing_access_log"] = counts["DataAccessed"]
    return expected


def database_file_bytes(env) -> int | None:
    """The SQLite file and its write-ahead log, when the benchmark made the database."""
    if env.database != "SQLite file in a temporary directory":
        return None
    files = [env.work_dir / name for name in ("readmodels.db", "readmodels.db-wal")]
    return sum(path.stat().st_size for path in files if path.exists())


def data_key_cache_entries(platform: Platform) -> int | None:
    """Unwrapped data keys the platform's key vault holds in memory (bounded by its cache's
    size, 200,000 by default): what makes a process's memory grow with the subjects seen."""
    cache = getattr(platform.vault, "_cache", None)
    return len(cache) if cache is not None else None


def children_peak_memory_mib() -> float:
    """Largest peak resident set of the child processes waited for (the embedded broker)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# -- the benchmark ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    machine = machine_info()
    began = time.perf_counter()
    relay_events = min(args.relay_events or min(args.events, 100_000), args.events)
    timeout = args.timeout or 600 + relay_events / 10
    decade = Decade(args.events, args.seed)
    with bench_environment(
        kafka=args.kafka,
        database_url=args.database_url,
        partitions=args.partitions,
        progress=progress,
        prefix="hist",
    ) as env:
        platform = env.platform
        services = _services(args.services, platform)
        with platform.engine.connect() as conn:
            if store.count(conn):
                raise SystemExit(
                    "bench history: the database already holds an event store; point "
                    "--database-url at an empty database (or schema) the benchmark may fill"
                )
        progress.say(
            f"{args.events:,} events over {decade.slices} slices of the decade "
            f"(seed {args.seed}); database: {env.database}"
        )
        generate, prepare, store_write, avro_bytes, trends = prepare_and_store(
            platform, decade, batch=args.batch, append_batch=args.append_batch, progress=progress
        )
        memory = {"prepare_and_store_write": peak_memory_mib()}
        key_cache = {"prepare_and_store_write": data_key_cache_entries(platform)}
        with platform.engine.connect() as conn:
            stored = store.count(conn)
        on_disk = database_file_bytes(env)
        if stored != args.events:
            raise SystemExit(f"bench history: {stored} events stored, expected {args.events}")

        results: dict[str, Measurement] = {
            "generate": generate,
            "prepare": prepare,
            "store_write": store_write,
        }
        results["relay"] = relay_newest(platform, relay_events, timeout=timeout, progress=progress)
        memory["relay"] = peak_memory_mib()

        dead_letters: dict[str, int] = {}
        raw_bytes = 0
        url = platform.settings.resolved_database_url
        for name in services:
            # each replay on a platform of its own, as a freshly started process would run it
            with env.separate_process_platform() as fresh:
                results[f"replay_{name}"], dead_letters[name], trends[f"replay_{name}"] = replay(
                    fresh, name, batch=args.replay_batch, progress=progress
                )
                memory[f"replay_{name}"] = peak_memory_mib()
                key_cache[f"replay_{name}"] = data_key_cache_entries(fresh)
                streams = tuple(fresh.projections[name].streams)
            results[f"raw_sql_{name}"], read_bytes = raw_sql_read(
                url, name, streams, batch=args.replay_batch, progress=progress
            )
            raw_bytes += read_bytes
            memory[f"raw_sql_{name}"] = peak_memory_mib()
            if results[f"raw_sql_{name}"].events != results[f"replay_{name}"].events:
                raise SystemExit(
                    f"bench history: replay {name} read {results[f'replay_{name}'].events} "
                    f"events, raw SQL {results[f'raw_sql_{name}'].events}"
                )
        counts = read_model_counts(platform)
        expected = expected_counts(decade.counts, services)
        wrong = {k: (counts[k], v) for k, v in expected.items() if counts[k] != v}
        if wrong or any(dead_letters.values()):
            raise SystemExit(
                f"bench history: the read models are wrong after replay: {wrong} "
                f"(found, expected), dead letters {dead_letters}"
            )
    machine["load_average_at_end"] = load_average()
    # the embedded broker runs as a child process: its peak, now that it has stopped
    broker_memory = None if args.kafka else round(children_peak_memory_mib(), 1)

    replayed = [results[f"replay_{n}"] for n in services]
    raws = [results[f"raw_sql_{n}"] for n in services]
    results["replay_total"] = Measurement(
        "replay_total", sum(m.events for m in replayed), sum(m.seconds for m in replayed)
    )
    results["raw_sql_total"] = Measurement(
        "raw_sql_total", sum(m.events for m in raws), sum(m.seconds for m in raws)
    )
    ratios = {
        f"replay_to_raw_sql_{name}": _round(
            ratio(results[f"replay_{name}"].rate, results[f"raw_sql_{name}"].rate)
        )
        for name in [*services, "total"]
    }
    result = {
        "benchmark": NAME,
        "command": _command(args),
        "machine": machine,
        "setup": {
            "broker": env.broker,
            "database": env.database,
            "partitions": args.partitions,
            "services": services,
            "batch": args.batch,
            "append_batch": args.append_batch,
            "replay_batch": args.replay_batch,
            "relay_events": relay_events,
        },
        "data": {
            **decade.describe(),
            "seed": args.seed,
            "avro_bytes_stored": avro_bytes,
            "avro_bytes_per_event": round(avro_bytes / args.events, 1),
            "database_file_bytes_after_store_write": on_disk,
            "raw_sql_avro_bytes_read": raw_bytes,
        },
        "results": {name: m.as_dict() for name, m in results.items()},
        "ratios": ratios,
        "read_model": {**counts, "dead_letters": sum(dead_letters.values())},
        "peak_memory_mib_after": {k: round(v, 1) for k, v in memory.items()},
        "embedded_broker_peak_memory_mib": broker_memory,
        "data_key_cache_entries_after": key_cache,
        "rates_by_tenth": trends,
        "wall_seconds": round(time.perf_counter() - began, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result))
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _command(args: argparse.Namespace) -> str:
    parts = ["python -m bench history", f"--events {args.events}"]
    for flag, value, default in (
        ("--relay-events", args.relay_events, None),
        ("--services", args.services, ",".join(SERVICES)),
        ("--seed", args.seed, 0),
        ("--batch", args.batch, 1000),
        ("--append-batch", args.append_batch, 1000),
        ("--replay-batch", args.replay_batch, 2000),
        ("--partitions", args.partitions, 3),
    ):
        if value != default:
            parts.append(f"{flag} {value}")
    if args.kafka:
        parts.append(f"--kafka {args.kafka}")
    if args.database_url:
        parts.append("--database-url URL")
    return " ".join(parts)


def format_report(result: dict) -> str:
    setup, data, results = result["setup"], result["data"], result["results"]
    services = setup["services"]
    labels = {
        "generate": "generate (synthetic; not the platform)",
        "prepare": f"prepare (validate, encrypt, encode, sign; {setup['batch']:,} a call)",
        "store_write": f"store write (append + commit, {setup['append_batch']:,} a transaction)",
        "relay": f"relay drain to the broker (newest {setup['relay_events']:,})",
    }
    for name in services:
        labels[f"replay_{name}"] = f"replay from store: {name}"
        labels[f"raw_sql_{name}"] = f"  raw SQL read of the same rows ({name})"
    labels["replay_total"] = "replay from store, all replayed services"
    labels["raw_sql_total"] = "  raw SQL read of the same rows, all"
    width = max(len(label) for label in labels.values())
    types = ", ".join(f"{n:,} {t}" for t, n in data["event_types"].items())
    shares = ", ".join(f"{name} {100 * v:.1f}%" for name, v in data["shares"].items())
    disk = data["database_file_bytes_after_store_write"]
    lines = [
        "Tandem history: a force's decade through the event store",
        f"  command   {result['command']}",
        f"  machine   {describe_machine(result['machine'])}",
        f"  broker    {setup['broker']} ({setup['partitions']} partitions a topic)",
        f"  database  {setup['database']}",
        f"  data      {data['events']:,} events, {data['first_day']} to {data['last_day']} in "
        f"{data['slices']} slices (seed {data['seed']}; at most {data['largest_slice_events']:,} "
        "planned at once)",
        f"            {types}",
        f"            {shares}",
        f"  stored    {data['avro_bytes_stored']:,} bytes of Avro, "
        f"{data['avro_bytes_per_event']:,.1f} per event"
        + (f"; database file {disk / 1024**2:,.1f} MiB after the store write" if disk else ""),
        "",
        f"  {'phase':{width}}  {'events':>10}  {'seconds':>9}  {'events/s':>10}",
    ]
    for name, label in labels.items():
        figures = results[name]
        lines.append(
            f"  {label:{width}}  {figures['events']:>10,}  {figures['seconds']:>9.2f}  "
            f"{figures['events_per_second']:>10,.0f}"
        )
    lines.append("")
    for name in [*services, "total"]:
        value = result["ratios"][f"replay_to_raw_sql_{name}"]
        text = "n/a" if value is None else f"{value:.4f}  ({100 * value:.2f}% of the raw rate)"
        lines.append(f"  {'replay / raw SQL, ' + name:31} {text}")
    model = result["read_model"]
    memory = result["peak_memory_mib_after"]
    lines += [
        f"  {'read models':31} "
        + ", ".join(f"{v:,} {k}" for k, v in model.items() if k != "dead_letters")
        + f", {model['dead_letters']} dead letters",
        f"  {'peak memory (ru_maxrss), MiB':31} "
        + ", ".join(f"{v:,.0f} after {k}" for k, v in memory.items()),
    ]
    if result["embedded_broker_peak_memory_mib"] is not None:
        lines.append(
            f"  {'':31} (the embedded broker, a process of its own: "
            f"{result['embedded_broker_peak_memory_mib']:,.0f} MiB at its peak)"
        )
    cache = result["data_key_cache_entries_after"]
    lines.append(
        f"  {'data keys cached, entries':31} "
        + ", ".join(f"{v:,} after {k}" for k, v in cache.items() if v is not None)
    )
    lines.append(f"  {'events/s over each tenth':31} (does a phase slow down as it goes?)")
    for name, rates in result["rates_by_tenth"].items():
        if rates:
            lines.append(f"    {name:29} " + " ".join(f"{r:,.0f}" for r in rates))
    lines.append(f"  {'wall time':31} {result['wall_seconds'] / 60:.1f} min")
    return "\n".join(lines)
