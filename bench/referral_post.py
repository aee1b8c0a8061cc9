"""The API's referral POST on the embedded default, against a trivial request in the same run.

Starts the stack as ``tandem up`` does (embedded broker, SQLite in a temporary directory, every
projector, the web app on a free port), issues an IDVA referrer's token, and sends ``--requests``
referrals one after another over HTTP: the API reference's own first example, each for a new
victim (so none is a duplicate) referred today. Each POST scores DASH, matches persons, encrypts,
stores the event and projects it before it answers. The baseline is ``GET /docs`` (a static page:
an HTTP round trip through the same server with no work) timed the same way between the
referrals, so the ratio says what a referral costs over the round trip.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from bench.harness import (
    add_output_arguments,
    describe_machine,
    load_average,
    machine_info,
    positive_int,
)
from services.kernel.embedded_broker import free_port
from services.kernel.settings import Settings
from services.stack import Stack

NAME = "referral-post"
SUMMARY = "latency of POST /api/marac/referrals (p50/p95) vs a bare HTTP round trip"
DESCRIPTION = __doc__
PATH = "/api/marac/referrals"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--requests",
        type=positive_int,
        default=200,
        metavar="N",
        help="referrals to post (default: %(default)s); the first 10 warm up and are not counted",
    )
    add_output_arguments(parser)


def referral_example(spec: dict) -> dict:
    """The first example of the referral POST's body, as the API reference shows it."""
    body = spec["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return copy.deepcopy(spec["components"]["schemas"][name]["examples"][0])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> int:
    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    info = machine_info()
    start_load = load_average()
    warm_up = min(10, args.requests - 1)
    posts: list[float] = []
    round_trip: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tandem-post-") as tmp:
        settings = replace(
            Settings.from_env(),
            data_dir=Path(tmp) / "data",
            http_port=free_port(),
            kafka_bootstrap=None,
            database_url=None,
        )
        stack = Stack(settings, say=say)
        stack.start()
        try:
            token = stack.platform.tokens.issue("bench-idva", "idva-oxon", "referrer")
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=stack.url, timeout=30) as client:
                example = referral_example(client.get("/openapi.json").json())
                today = stack.platform.today().isoformat()
                for i in range(args.requests):
                    body = copy.deepcopy(example)
                    body["victim"]["name"] = f"Bench Victim {i:05d}"
                    body["referral_date"] = today
                    started = time.perf_counter()
                    answer = client.post(PATH, json=body, headers=headers)
                    elapsed = time.perf_counter() - started
                    if answer.status_code != 201:
                        raise RuntimeError(f"referral {i}: {answer.status_code} {answer.text}")
                    started = time.perf_counter()
                    client.get("/docs").raise_for_status()
                    round_trip_elapsed = time.perf_counter() - started
                    if i >= warm_up:
                        posts.append(elapsed)
                        round_trip.append(round_trip_elapsed)
                    if (i + 1) % 50 == 0:
                        say(f"  {i + 1} of {args.requests} referrals posted")
        finally:
            stack.stop()
    result = {
        "machine": info,
        "load_average_start": start_load,
        "load_average_end": load_average(),
        "requests_timed": len(posts),
        "post_p50_ms": round(statistics.median(posts) * 1000, 1),
        "post_p95_ms": round(percentile(posts, 0.95) * 1000, 1),
        "round_trip_p50_ms": round(statistics.median(round_trip) * 1000, 1),
        "post_vs_round_trip_p50": round(
            statistics.median(posts) / statistics.median(round_trip), 1
        ),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("Tandem referral POST on the embedded default")
    print(f"  command   python -m bench referral-post --requests {args.requests}")
    print(f"  machine   {describe_machine(info)}")
    print(f"  load      {start_load} at start, {result['load_average_end']} at the end")
    print()
    p50, p95 = result["post_p50_ms"], result["post_p95_ms"]
    print(f"  POST {PATH}   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  GET /docs (round trip)      p50 {result['round_trip_p50_ms']:7.1f} ms")
    print(f"  POST / round trip (p50)    {result['post_vs_round_trip_p50']}x")
    print(f"  timed                      {len(posts)} requests after {warm_up} to warm up")
    return 0
