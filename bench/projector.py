"""Projector throughput: the MARAC projector against raw kafka-python on the same topic.

In one run, on one freshly filled topic:

1. publish N synthetic ReferralSubmitted events through platform.publisher;
2. *raw*: a bare KafkaConsumer reads the topic from offset 0 and counts records;
3. *raw + decode*: the same, decoding every record with the platform's Avro codec;
4. *projector*: platform.projector("marac").catch_up() from zero: decode, apply the
   handlers, record applied event ids and offsets, one database transaction per batch.

The ratio projector / raw says what share of the broker-and-client ceiling the projector
reaches; projector / raw+decode leaves out the decoding every consumer must do, so it isolates
the cost of the read model and its exactly-once bookkeeping.
"""

from __future__ import annotations

import argparse
import json
from functools import partial

from bench.generator import THAMES_VALLEY, generate_referrals
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
from services.bootstrap import Platform

NAME = "projector"
SUMMARY = "MARAC projector throughput against raw kafka-python consumption (issue 2)"
DESCRIPTION = __doc__.split("\n\n", 1)[1].rstrip() + "\n\n" + SUMMARY
EXAMPLES = """\
examples:
  python -m bench projector --events 2000               quick check (a few seconds)
  python -m bench projector --events 20000              the figure in docs/performance.md
  python -m bench projector --events 20000 --json > result.json
  python -m bench projector --events 100000 --batch-size 1000 \\
      --database-url postgresql+psycopg://tandem@localhost/bench

Progress goes to stderr; the results (a table, or JSON with --json) to stdout.
"""
PROJECTION = "marac"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXAMPLES
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--events",
        type=positive_int,
        default=20_000,
        metavar="N",
        help="ReferralSubmitted events to publish and read back (default: %(default)s, "
        f"about {20_000 / THAMES_VALLEY.referrals_per_year:.1f} years of Thames Valley MARAC "
        "referrals)",
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
        "--rounds",
        type=positive_int,
        default=1,
        metavar="R",
        help="read the topic R times each way (the projector's read model is emptied between "
        "rounds) and report the best round (default: %(default)s)",
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


# -- the phases ------------------------------------------------------------------------------


def reset_projection(platform: Platform) -> None:
    projector = platform.projector(PROJECTION)
    projector.reset()
    projector.close()


def read_model_counts(platform: Platform) -> tuple[int, int, int]:
    """(referrals, cases, applied event ids) in the MARAC read model."""
    from sqlalchemy import func, select

    from projections.marac import marac_cases, marac_referrals
    from projections.tracking import projection_applied_events

    def count(conn, table, *where) -> int:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    with platform.engine.connect() as conn:
        return (
            count(conn, marac_referrals),
            count(conn, marac_cases),
            count(
                conn,
                projection_applied_events,
                projection_applied_events.c.projection == PROJECTION,
            ),
        )


def crc32c_implementation() -> str:
    """kafka-python checks every fetched batch's CRC-32C, in C only if ``crc32c`` is installed."""
    try:
        from kafka.record import util
    except ImportError:  # pragma: no cover - kafka-python layout changed
        return "unknown"
    if getattr(util, "crc32c_c", None) is not None:
        return "C (crc32c package)"
    return "pure Python (the crc32c package is not installed)"


def best(measurements: list[Measurement]) -> Measurement:
    return max(measurements, key=lambda m: m.rate)


# -- the benchmark ---------------------------------------------------------------------------

RAW = "raw"
RAW_NO_CRC = "raw_no_crc_check"
RAW_DECODE = "raw_decode"
RAW_DECODE_VERIFY = "raw_decode_verify"
PROJECTOR = "projector"


def run(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    timeout = args.timeout or 600 + args.events / 10
    machine = machine_info()
    with bench_environment(
        kafka=args.kafka,
        database_url=args.database_url,
        partitions=args.partitions,
        progress=progress,
    ) as env:
        if any(read_model_counts(env.platform)):
            raise SystemExit(
                "bench projector: the database already holds a MARAC read model; point "
                "--database-url at an empty database (or schema) the benchmark may fill"
            )
        topic = env.platform.topics.for_event("ReferralSubmitted")
        progress.say(f"topic {topic}, {args.partitions} partitions; database: {env.database}")

        cases: set[str] = set()
        repeats = 0

        def observe(event) -> None:
            nonlocal repeats
            cases.add(event.aggregate_id)
            repeats += event.payload["repeat"]

        generate, publish = publish_all(
            env.platform,
            generate_referrals(args.events, args.seed),
            args.events,
            batch=args.publish_batch,
            progress=progress,
            observe=observe,
        )
        memory = {"publish": peak_memory_mib()}

        rounds: dict[str, list[Measurement]] = {
            name: [] for name in (RAW, RAW_NO_CRC, RAW_DECODE, RAW_DECODE_VERIFY, PROJECTOR)
        }
        dead_letters = 0
        counts = (0, 0, 0)
        sizes = 0

        def measure_size(value: bytes) -> None:
            nonlocal sizes
            sizes += len(value)

        common = {"batch_size": args.batch_size, "timeout": timeout, "progress": progress}
        for round_number in range(1, args.rounds + 1):
            if args.rounds > 1:
                progress.say(f"round {round_number} of {args.rounds}")
            raw = partial(consume_raw, env.bootstrap, [topic], args.events, **common)
            rounds[RAW].append(raw(label="raw"))
            memory[RAW] = peak_memory_mib()
            sizes = 0
            rounds[RAW_NO_CRC].append(
                raw(label="raw, no CRC check", handle=measure_size, check_crcs=False)
            )
            memory[RAW_NO_CRC] = peak_memory_mib()
            # Consumers below run on a platform of their own, as a separate projector process
            # would: same vault and database, cold caches.
            with env.separate_process_platform() as consumer:
                codec = consumer.codec
                rounds[RAW_DECODE].append(raw(label="raw + decode", handle=codec.decode))
                memory[RAW_DECODE] = peak_memory_mib()
                sharing = getattr(consumer, "sharing", None)
                if sharing is not None:

                    def decode_verify(values: list[bytes], codec=codec, sharing=sharing) -> None:
                        # as the projector does: the batch's keys in one round trip, then verify
                        events = [codec.decode(value) for value in values]
                        sharing.prefetch_keys(events)
                        for event in events:
                            sharing.verify_event(event)

                    rounds[RAW_DECODE_VERIFY].append(
                        raw(label="raw + decode + verify", handle_batch=decode_verify)
                    )
                    memory[RAW_DECODE_VERIFY] = peak_memory_mib()
            with env.separate_process_platform() as consumer:
                if round_number > 1:
                    reset_projection(consumer)
                measured, dead_letters = run_projector(consumer, PROJECTION, **common)
                rounds[PROJECTOR].append(measured)
                memory[PROJECTOR] = peak_memory_mib()
                counts = read_model_counts(consumer)
            if counts != (args.events, len(cases), args.events) or dead_letters:
                raise SystemExit(
                    f"bench projector: the read model is wrong after catch-up: {counts[0]} "
                    f"referrals, {counts[1]} cases, {counts[2]} applied ids, {dead_letters} dead "
                    f"letters (expected {args.events}, {len(cases)}, {args.events}, 0)"
                )
    machine["load_average_at_end"] = load_average()

    bests = {name: best(ms) for name, ms in rounds.items() if ms}
    projector_rate = bests[PROJECTOR].rate
    result = {
        "benchmark": NAME,
        "command": _command(args),
        "machine": machine,
        "setup": {
            "broker": env.broker,
            "database": env.database,
            "topic": topic,
            "partitions": args.partitions,
            "batch_size": args.batch_size,
            "publish_batch": args.publish_batch,
            "rounds": args.rounds,
            "kafka_python_crc32c": crc32c_implementation(),
        },
        "data": {
            "event_type": "ReferralSubmitted",
            "events": args.events,
            "seed": args.seed,
            "cases": len(cases),
            "repeat_share": round(repeats / args.events, 4),
            "mean_message_bytes": round(sizes / args.events, 1),
        },
        "results": {
            "generate": generate.as_dict(),
            "publish": publish.as_dict(),
            **{name: m.as_dict() for name, m in bests.items()},
        },
        "rounds": {name: [round(m.rate, 1) for m in ms] for name, ms in rounds.items() if ms},
        "ratios": {
            f"projector_to_{name}": _round(ratio(projector_rate, bests[name].rate))
            for name in (RAW, RAW_DECODE, RAW_DECODE_VERIFY, RAW_NO_CRC)
            if name in bests
        },
        "read_model": {"referrals": counts[0], "cases": counts[1], "dead_letters": dead_letters},
        "peak_memory_mib_after": {k: round(v, 1) for k, v in memory.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result))
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _command(args: argparse.Namespace) -> str:
    parts = ["python -m bench projector", f"--events {args.events}"]
    for flag, value, default in (
        ("--seed", args.seed, 0),
        ("--batch-size", args.batch_size, 500),
        ("--publish-batch", args.publish_batch, 1000),
        ("--rounds", args.rounds, 1),
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
    labels = {
        "generate": "generate (synthetic data; not the platform)",
        "publish": "publish (validate, encrypt, encode, acks=all)",
        RAW: "raw kafka-python consume",
        RAW_NO_CRC: "  the same without CRC checks (reference)",
        RAW_DECODE: "raw consume + Avro decode",
        RAW_DECODE_VERIFY: "raw consume + decode + verify ciphertexts",
        PROJECTOR: f"projector catch-up ({PROJECTION}, batch {setup['batch_size']})",
    }
    rows = [(labels[name], results[name]) for name in labels if name in results]
    width = max(len(label) for label, _ in rows)
    ratios = result["ratios"]
    memory = result["peak_memory_mib_after"]
    model = result["read_model"]
    lines = [
        "Tandem projector throughput",
        f"  command   {result['command']}",
        f"  machine   {describe_machine(result['machine'])}",
        f"  broker    {setup['broker']}",
        f"  topic     {setup['topic']} ({setup['partitions']} partitions)",
        f"  database  {setup['database']}",
        f"  crc32c    {setup['kafka_python_crc32c']}",
        f"  data      {data['events']:,} {data['event_type']} events (seed {data['seed']}), "
        f"{data['cases']:,} cases, {100 * data['repeat_share']:.1f}% repeats, "
        f"{data['mean_message_bytes']:,.0f} bytes a message on average",
    ]
    if setup["rounds"] > 1:
        lines.append(f"  rounds    {setup['rounds']} (best of each shown)")
    lines += ["", f"  {'phase':{width}}  {'seconds':>9}  {'events/s':>10}"]
    for label, figures in rows:
        lines.append(
            f"  {label:{width}}  {figures['seconds']:>9.2f}  {figures['events_per_second']:>10,.0f}"
        )
    lines.append("")
    for name, label in (
        (RAW, "projector / raw"),
        (RAW_DECODE, "projector / raw+decode"),
        (RAW_DECODE_VERIFY, "projector / raw+decode+verify"),
    ):
        key = f"projector_to_{name}"
        if key in ratios:
            lines.append(f"  {label:31} {_ratio_text(ratios[key])}")
    lines += [
        f"  {'peak memory (ru_maxrss), MiB':31} "
        + ", ".join(f"{v:,.0f} after {k}" for k, v in memory.items()),
        f"  {'read model':31} {model['referrals']:,} referrals, {model['cases']:,} cases, "
        f"{model['dead_letters']} dead letters",
    ]
    return "\n".join(lines)


def _ratio_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}  (the projector runs at {100 * value:.1f}% of that rate)"
