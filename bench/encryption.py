"""What field-level encryption costs on the publish path, measured against no encryption.

Same events, same run, same broker: the publish path without encryption is the baseline, then
the real publish path (validate, encrypt every sensitive field under its subject's data key,
encode, send, wait for acks=all). Encryption is measured twice: "cold", when most subjects are
new and their data keys are created and wrapped, and "warm", when the keys exist. The CPU-only
rows (no broker) isolate the cryptography from the network.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence

from bench.generator import generate_referrals
from bench.harness import (
    Measurement,
    Progress,
    add_environment_arguments,
    add_output_arguments,
    bench_environment,
    describe_machine,
    machine_info,
    peak_memory_mib,
    positive_int,
    ratio,
)
from services.kernel.bus import Publisher
from services.kernel.events import Event, new_event

NAME = "encryption"
SUMMARY = "publish-path throughput with and without field-level encryption"
DESCRIPTION = __doc__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=positive_int, default=5000, help="events per phase")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--batch", type=positive_int, default=500, help="events per publish call")
    add_environment_arguments(parser)
    add_output_arguments(parser)


def _fresh_ids(events: Sequence[Event]) -> list[Event]:
    """The same payloads as new events: every phase publishes events never seen before."""
    return [
        new_event(
            e.event_type,
            e.payload,
            aggregate_id=e.aggregate_id,
            agency=e.envelope.agency,
            actor=e.envelope.actor,
        )
        for e in events
    ]


def _timed(name: str, events: Sequence[Event], work: Callable[[list[Event]], None], batch: int,
           progress: Progress) -> Measurement:  # fmt: skip
    progress.start(name)
    elapsed = 0.0
    for start in range(0, len(events), batch):
        chunk = list(events[start : start + batch])
        began = time.perf_counter()
        work(chunk)
        elapsed += time.perf_counter() - began
        progress.update(min(start + batch, len(events)), len(events))
    progress.done()
    return Measurement(name, len(events), elapsed)


def run(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    events = list(generate_referrals(args.events, seed=args.seed))
    with bench_environment(
        kafka=args.kafka, database_url=args.database_url, partitions=args.partitions,
        progress=progress,
    ) as env:  # fmt: skip
        platform = env.platform
        sharing, codec = platform.sharing, platform.codec
        plain = Publisher(env.bootstrap, codec, platform.topics, client_id="bench-plain")
        try:
            cpu_plain = _timed(
                "encode only (no broker)", _fresh_ids(events),
                lambda chunk: [codec.encode(e) for e in chunk], args.batch, progress,
            )  # fmt: skip
            cpu_cold = _timed(
                "encrypt + encode, new keys (no broker)", _fresh_ids(events),
                lambda chunk: _encrypt_and_encode(codec, sharing, chunk),
                args.batch, progress,
            )  # fmt: skip
            cpu_warm = _timed(
                "encrypt + encode, existing keys (no broker)", _fresh_ids(events),
                lambda chunk: _encrypt_and_encode(codec, sharing, chunk),
                args.batch, progress,
            )  # fmt: skip
            publish_plain = _timed(
                "publish without encryption", _fresh_ids(events), plain.publish, args.batch,
                progress,
            )  # fmt: skip
            publish_encrypted = _timed(
                "publish with encryption (keys exist)", _fresh_ids(events),
                platform.publisher.publish, args.batch, progress,
            )  # fmt: skip
        finally:
            plain.close()
        fields = sum(len(_tokens(codec.encode(sharing.encrypt_event(e)))) for e in events[:100])
        results = {
            "benchmark": NAME,
            "events": args.events,
            "seed": args.seed,
            "machine": machine_info(),
            "broker": env.broker,
            "sensitive_fields_per_event": round(fields / min(100, len(events)), 1),
            "phases": {
                m.name: m.as_dict()
                for m in (cpu_plain, cpu_cold, cpu_warm, publish_plain, publish_encrypted)
            },
            "ratios": {
                "publish_encrypted_vs_plain": ratio(publish_encrypted.rate, publish_plain.rate),
                "cpu_encrypt_new_keys_vs_encode": ratio(cpu_cold.rate, cpu_plain.rate),
                "cpu_encrypt_existing_keys_vs_encode": ratio(cpu_warm.rate, cpu_plain.rate),
            },
            "peak_memory_mib": round(peak_memory_mib(), 1),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"\nEncryption on the publish path: {args.events} referral events, seed {args.seed}")
    print(f"machine: {describe_machine(results['machine'])}")
    print(f"broker:  {results['broker']}")
    print(f"sensitive fields per event: {results['sensitive_fields_per_event']}\n")
    for name, phase in results["phases"].items():
        print(f"  {name:45} {phase['events_per_second']:>10,.0f} events/s")
    print()
    for name, value in results["ratios"].items():
        print(f"  {name:45} {value:>10.2f}")
    print(f"\npeak memory: {results['peak_memory_mib']} MiB")
    return 0


def _encrypt_and_encode(codec, sharing, chunk: list[Event]) -> list[bytes]:
    """What the publisher does to a batch before sending it."""
    encrypted = sharing.encrypt_events([codec.conformed(e) for e in chunk])
    return [codec.encode(e, conformed=True) for e in encrypted]


def _tokens(data: bytes) -> list[bytes]:
    return data.split(b"enc:v1:")[1:]
