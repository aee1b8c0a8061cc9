"""MATAC at a force's and a nation's scale: projection throughput and one area's ranking.

In one run, on freshly filled topics (data from bench/incidents.py):

1. publish N IncidentRecorded events, with the PerpetratorStatusChanged events planned with
   them, through platform.publisher (validate, encrypt the suspect's name and date of
   birth, the crime reference and the summary, encode, acks=all);
2. *raw*: a bare KafkaConsumer reads the MATAC projection's topics (police incidents and
   MATAC perpetrators) from offset 0 and counts records;
3. *raw + decode*, then *raw + decode + verify*: the same, decoding every record with the
   platform's Avro codec, then also authenticating its encrypted fields (loading each
   polled batch's data keys in one query first, as the projector does);
4. *projector*: platform.projector("matac").catch_up() from zero, on a Platform of its own
   (cold caches, as a freshly started projector process);
5. *ranking*: on another fresh Platform, the busiest policing area's ranking as of the last
   generated day, timed as GET /api/matac/rankings computes it, without HTTP: the read-model
   queries and the rules (queries.ranking), disclosing the listed names to a police analyst
   (decrypt under the agreement, publish the DataAccessed audit events), and the route's
   whole body (both, plus the cohort lookup and the response model).

The ratios projector / raw and projector / raw+decode say what share of the client-and-broker
ceiling the projector reaches, as in the projector benchmark.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace

from bench.harness import (
    Measurement,
    Progress,
    add_environment_arguments,
    add_output_arguments,
    bench_environment,
    consume_raw,
    describe_machine,
    load_average,
    machine_info,
    peak_memory_mib,
    positive_int,
    publish_all,
    ratio,
    run_projector,
)
from bench.incidents import IncidentGenerator
from bench.projector import crc32c_implementation
from services.bootstrap import Platform

NAME = "matac"
SUMMARY = "MATAC projection against raw consumption, and one area's ranking (issue 5)"
DESCRIPTION = __doc__.split("\n\n", 1)[1].rstrip() + "\n\n" + SUMMARY
EXAMPLES = """\
examples:
  python -m bench matac --incidents 5000 --people 2000      quick check (a minute or two)
  python -m bench matac                                     a force's three years (100,000)
  python -m bench matac --incidents 160000 --people 64000 --years 1
                                                            the largest the embedded broker serves
  python -m bench matac --incidents 1500000 --people 600000 --years 1 --kafka localhost:29092
                                                            a national year: a real Kafka cluster
                                                            and about an hour or more
  python -m bench matac --json > result.json

Progress goes to stderr; the results (a table, or JSON with --json) to stdout.
"""
PROJECTION = "matac"
ROUTE = "/api/matac/rankings"
EVENT_TYPES = ("IncidentRecorded", "PerpetratorStatusChanged")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXAMPLES
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--incidents",
        type=positive_int,
        default=100_000,
        metavar="N",
        help="IncidentRecorded events (default: %(default)s, about three years of one force)",
    )
    what.add_argument(
        "--people",
        type=positive_int,
        default=40_000,
        metavar="P",
        help="distinct suspects among them (default: %(default)s)",
    )
    what.add_argument(
        "--years",
        type=float,
        default=3,
        metavar="Y",
        help="years the incidents span, ending on 31 March 2026 (default: %(default)s)",
    )
    what.add_argument(
        "--seed", type=int, default=0, metavar="S", help="generator seed (default: %(default)s)"
    )
    what.add_argument(
        "--batch-size",
        type=positive_int,
        default=500,
        metavar="B",
        help="records per poll, for the projector and the raw consumers alike; the projector "
        "commits one transaction per batch (default: %(default)s, the platform's default)",
    )
    what.add_argument(
        "--publish-batch",
        type=positive_int,
        default=1_000,
        metavar="K",
        help="events per publisher.publish() call (default: %(default)s)",
    )
    what.add_argument(
        "--ranking-runs",
        type=positive_int,
        default=5,
        metavar="R",
        help="timed runs of each ranking step after the first (default: %(default)s)",
    )
    what.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on a phase after this long (default: 10 minutes plus 0.1 s per event)",
    )
    add_environment_arguments(parser)
    add_output_arguments(parser)


# -- reading the topics ------------------------------------------------------------------------


def read_model_counts(platform: Platform) -> dict[str, int]:
    from sqlalchemy import func, select

    from projections.matac import matac_incidents, matac_perpetrators, matac_status_changes
    from projections.tracking import projection_applied_events

    def count(conn, table, *where) -> int:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    with platform.engine.connect() as conn:
        return {
            "incidents": count(conn, matac_incidents),
            "perpetrators": count(conn, matac_perpetrators),
            "status_changes": count(conn, matac_status_changes),
            "applied_event_ids": count(
                conn,
                projection_applied_events,
                projection_applied_events.c.projection == PROJECTION,
            ),
        }


# -- the ranking -------------------------------------------------------------------------------


def _timings(step: Callable[[], object], runs: int) -> dict:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - began)
    return {
        "runs": runs,
        "min_ms": round(min(seconds) * 1000, 1),
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def time_ranking(platform: Platform, area: str, as_of, runs: int, progress: Progress) -> dict:
    """Time the rankings route's steps for ``area`` on ``as_of``; ``platform`` must be fresh."""
    from services.matac import api, queries
    from services.matac.config import matac_policy
    from services.sharing.service import Caller

    platform.today = lambda: as_of  # "today" is the last generated day
    policy = matac_policy(platform.settings.policy_dir)
    analyst = Caller(user="bench-analyst", agency="tvp", role="analyst")
    request = SimpleNamespace(url=SimpleNamespace(path=ROUTE))

    def route():
        return api.rankings(
            request, analyst, platform, conn, policy, area=area, as_of=as_of, output="json"
        )

    progress.say(f"ranking {area} as of {as_of.isoformat()} ...")
    with platform.engine.connect() as conn:
        began = time.perf_counter()
        response = route()  # cold: nothing cached in this platform yet
        first_ms = round((time.perf_counter() - began) * 1000, 1)
        result = queries.ranking(conn, policy, as_of, area=area)
        listed = [row.person_id for row in result.rows]
        timings = {
            "route_first_run_cold_ms": first_ms,
            "ranking": _timings(lambda: queries.ranking(conn, policy, as_of, area=area), runs),
            "names": _timings(lambda: api._names(platform, conn, analyst, ROUTE, listed), runs),
            "route": _timings(route, runs),
        }
    top = result.rows[0] if result.rows else None
    return {
        "area": area,
        "as_of": as_of.isoformat(),
        "candidates": len(result.facts),
        "incidents_loaded": sum(len(f.incidents) for f in result.facts.values()),
        "listed": len(result.rows),
        "unranked_age_unknown": len(result.unranked),
        "named": sum(1 for row in response.rows if row.name is not None),
        "top": None
        if top is None
        else {
            "score": float(top.score),
            "recency": top.recency,
            "frequency": top.frequency,
            "gravity": top.gravity,
            "victims": top.victims,
            "incidents": top.explanation.incident_count,
        },
        **timings,
    }


# -- the benchmark -----------------------------------------------------------------------------

RAW = "raw"
RAW_DECODE = "raw_decode"
RAW_DECODE_VERIFY = "raw_decode_verify"
PROJECTOR = "projector"


def run(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    machine = machine_info()
    began = time.perf_counter()
    progress.say(
        f"planning {args.incidents:,} incidents for {args.people:,} suspects over "
        f"{args.years:g} years (seed {args.seed}) ..."
    )
    planning = time.perf_counter()
    generator = IncidentGenerator(args.incidents, args.people, args.years, args.seed)
    plan = Measurement("plan", args.incidents, time.perf_counter() - planning)
    total = generator.total_events
    timeout = args.timeout or 600 + total / 10
    with bench_environment(
        kafka=args.kafka,
        database_url=args.database_url,
        partitions=args.partitions,
        progress=progress,
    ) as env:
        if any(read_model_counts(env.platform).values()):
            raise SystemExit(
                "bench matac: the database already holds a MATAC read model; point "
                "--database-url at an empty database (or schema) the benchmark may fill"
            )
        topics = sorted({env.platform.topics.for_event(t) for t in EVENT_TYPES})
        progress.say(
            f"topics {', '.join(topics)}, {args.partitions} partitions; database: {env.database}"
        )
        sizes = 0

        generate, publish = publish_all(
            env.platform, generator, total, batch=args.publish_batch, progress=progress
        )
        memory = {"publish": peak_memory_mib()}

        def measure_size(value: bytes) -> None:
            nonlocal sizes
            sizes += len(value)

        common = {"batch_size": args.batch_size, "timeout": timeout, "progress": progress}
        results: dict[str, Measurement] = {}
        results[RAW] = consume_raw(
            env.bootstrap, topics, total, label="raw", handle=measure_size, **common
        )
        memory[RAW] = peak_memory_mib()
        with env.separate_process_platform() as consumer:
            codec = consumer.codec
            results[RAW_DECODE] = consume_raw(
                env.bootstrap, topics, total, label="raw + decode", handle=codec.decode, **common
            )
            memory[RAW_DECODE] = peak_memory_mib()
        with env.separate_process_platform() as consumer:
            codec, sharing = consumer.codec, consumer.sharing

            def decode_verify(values: list[bytes]) -> None:
                # as the projector does: the batch's keys in one round trip, then verify
                events = [codec.decode(value) for value in values]
                sharing.prefetch_keys(events)
                for event in events:
                    sharing.verify_event(event)

            results[RAW_DECODE_VERIFY] = consume_raw(
                env.bootstrap,
                topics,
                total,
                label="raw + decode + verify",
                handle_batch=decode_verify,
                **common,
            )
            memory[RAW_DECODE_VERIFY] = peak_memory_mib()
        with env.separate_process_platform() as consumer:
            results[PROJECTOR], dead_letters = run_projector(consumer, PROJECTION, **common)
            memory[PROJECTOR] = peak_memory_mib()
            counts = read_model_counts(consumer)
        expected = {
            "incidents": args.incidents,
            "perpetrators": generator.people,
            "status_changes": generator.status_changes,
            "applied_event_ids": total,
        }
        if counts != expected or dead_letters:
            raise SystemExit(
                f"bench matac: the read model is wrong after catch-up: {counts}, "
                f"{dead_letters} dead letters (expected {expected}, 0 dead letters)"
            )
        busiest = generator.area_incidents.most_common(1)[0][0]
        with env.separate_process_platform() as reader:
            ranking = time_ranking(reader, busiest, generator.end, args.ranking_runs, progress)
        memory["ranking"] = peak_memory_mib()
    machine["load_average_at_end"] = load_average()
    projector_rate = results[PROJECTOR].rate
    result = {
        "benchmark": NAME,
        "command": _command(args),
        "machine": machine,
        "setup": {
            "broker": env.broker,
            "database": env.database,
            "topics": topics,
            "partitions": args.partitions,
            "batch_size": args.batch_size,
            "publish_batch": args.publish_batch,
            "kafka_python_crc32c": crc32c_implementation(),
        },
        "data": {
            **generator.describe(),
            "seed": args.seed,
            "busiest_area": busiest,
            "busiest_area_incidents": generator.area_incidents[busiest],
            "mean_message_bytes": round(sizes / total, 1),
        },
        "results": {
            "plan": plan.as_dict(),
            "generate": generate.as_dict(),
            "publish": publish.as_dict(),
            **{name: m.as_dict() for name, m in results.items()},
        },
        "ratios": {
            f"projector_to_{name}": _round(ratio(projector_rate, results[name].rate))
            for name in (RAW, RAW_DECODE, RAW_DECODE_VERIFY)
        },
        "read_model": {**counts, "dead_letters": dead_letters},
        "ranking": ranking,
        "peak_memory_mib_after": {k: round(v, 1) for k, v in memory.items()},
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
    parts = ["python -m bench matac"]
    for flag, value, default in (
        ("--incidents", args.incidents, 100_000),
        ("--people", args.people, 40_000),
        ("--years", args.years, 3),
        ("--seed", args.seed, 0),
        ("--batch-size", args.batch_size, 500),
        ("--publish-batch", args.publish_batch, 1000),
        ("--ranking-runs", args.ranking_runs, 5),
        ("--partitions", args.partitions, 3),
    ):
        if value != default:
            parts.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    if args.kafka:
        parts.append(f"--kafka {args.kafka}")
    if args.database_url:
        parts.append("--database-url URL")
    return " ".join(parts)


def format_report(result: dict) -> str:
    setup, data, results = result["setup"], result["data"], result["results"]
    labels = {
        "plan": "plan the data (synthetic; not the platform)",
        "generate": "generate events (synthetic; not the platform)",
        "publish": "publish (validate, encrypt, encode, acks=all)",
        RAW: "raw kafka-python consume",
        RAW_DECODE: "raw consume + Avro decode",
        RAW_DECODE_VERIFY: "raw consume + decode + verify ciphertexts",
        PROJECTOR: f"projector catch-up ({PROJECTION}, batch {setup['batch_size']})",
    }
    width = max(len(label) for label in labels.values())
    statuses = ", ".join(f"{n:,} {k}" for k, n in data["status_changes"].items())
    lines = [
        "Tandem MATAC projection and ranking",
        f"  command   {result['command']}",
        f"  machine   {describe_machine(result['machine'])}",
        f"  broker    {setup['broker']}",
        f"  topics    {', '.join(setup['topics'])} ({setup['partitions']} partitions each)",
        f"  database  {setup['database']}",
        f"  crc32c    {setup['kafka_python_crc32c']}",
        f"  data      {data['incidents']:,} incidents, {data['suspects']:,} suspects, "
        f"{data['first_day']} to {data['last_day']} (seed {data['seed']}); "
        f"{data['suspects_with_one_incident']:,} suspects with one incident, "
        f"{data['suspects_with_5_or_more']:,} with 5 or more (most: "
        f"{data['most_incidents_for_one_suspect']}), {data['suspects_with_2_or_more_victims']:,} "
        f"with 2 or more victims, {data['suspects_14_or_15_at_first_incident']:,} aged 14-15 at "
        f"their first",
        f"            status changes: {statuses}; {data['events']:,} events, "
        f"{data['mean_message_bytes']:,.0f} bytes a message on average",
        "",
        f"  {'phase':{width}}  {'seconds':>9}  {'events/s':>10}",
    ]
    for name, label in labels.items():
        figures = results[name]
        lines.append(
            f"  {label:{width}}  {figures['seconds']:>9.2f}  {figures['events_per_second']:>10,.0f}"
        )
    lines.append("")
    ratios = result["ratios"]
    for name, label in (
        (RAW, "projector / raw"),
        (RAW_DECODE, "projector / raw+decode"),
        (RAW_DECODE_VERIFY, "projector / raw+decode+verify"),
    ):
        value = ratios[f"projector_to_{name}"]
        text = "n/a" if value is None else f"{value:.3f}  ({100 * value:.1f}% of that rate)"
        lines.append(f"  {label:31} {text}")
    model = result["read_model"]
    lines.append(
        f"  {'read model':31} {model['incidents']:,} incidents, {model['perpetrators']:,} "
        f"perpetrators, {model['status_changes']:,} status changes, "
        f"{model['dead_letters']} dead letters"
    )
    r = result["ranking"]
    top = r["top"]
    lines += [
        "",
        f"  ranking   {r['area']} ({data['busiest_area_incidents']:,} incidents in all) as of "
        f"{r['as_of']}: {r['candidates']:,} candidates, {r['incidents_loaded']:,} incidents "
        f"loaded, {r['listed']} listed ({r['named']} named), {r['unranked_age_unknown']} "
        "unranked (age unknown)",
    ]
    if top:
        lines.append(
            f"            top score {top['score']:g} (R{top['recency']} F{top['frequency']} "
            f"G{top['gravity']}, {top['victims']} victims, {top['incidents']} incidents)"
        )
    lines.append(
        f"  {'route, first run on a fresh platform':46} {r['route_first_run_cold_ms']:>9.1f} ms"
    )
    for name, label in (
        ("ranking", "queries.ranking (read model + rules)"),
        ("names", "disclose names (decrypt + audit)"),
        ("route", "whole route body, no HTTP"),
    ):
        t = r[name]
        lines.append(
            f"  {label:46} median {t['median_ms']:>9.1f} ms  min {t['min_ms']:>9.1f}  "
            f"max {t['max_ms']:>9.1f}  ({t['runs']} runs)"
        )
    memory = result["peak_memory_mib_after"]
    lines += [
        "",
        f"  {'peak memory (ru_maxrss), MiB':31} "
        + ", ".join(f"{v:,.0f} after {k}" for k, v in memory.items()),
        f"  {'wall time':31} {result['wall_seconds'] / 60:.1f} min",
    ]
    return "\n".join(lines)
