"""Time to build one MARAC meeting's agenda on a realistic read model, and on a 10x one.

The read model holds a force's year of referrals (about 2,700 cases, 31% repeats; ``--scale
10`` for ten times that), actions on most cases (some done, some open and overdue) and
fortnightly meetings in every MARAC area, all published to Kafka and projected as in
production. Then, for one meeting late in the year in the busiest area, it times:

* ``draft``: the agenda the rules give (queries + the pure ordering/capacity rules);
* ``render``: the full agenda as a coordinator sees it (draft + decrypting names and action
  descriptions under the ISA + publishing the DataAccessed audit events).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import statistics
import time
from collections import Counter

from bench.generator import THAMES_VALLEY, generate_referrals
from bench.harness import (
    Progress,
    add_environment_arguments,
    add_output_arguments,
    bench_environment,
    describe_machine,
    machine_info,
    peak_memory_mib,
    positive_int,
    publish_all,
)
from services.kernel.events import Event, new_event
from services.marac import agendas, queries
from services.marac.domain.working_days import agenda_cutoff
from services.marac.intake import marac_policy
from services.sharing.service import Caller

NAME = "agenda"
SUMMARY = "time to build one meeting's agenda on a year's read model (and 10x)"
DESCRIPTION = __doc__
ACTION_OWNERS = ("tvp", "housing-oxford", "health-ouh", "csc-oxon", "probation-tv", "idva-oxon")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=positive_int, default=1,
                        help="multiply the force's yearly referrals (2,700) by this")  # fmt: skip
    parser.add_argument("--repeat", type=positive_int, default=5, help="timed runs of each step")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="load the read model by applying the (encrypted) events with the projection's "
        "handlers directly, skipping Kafka: for read models too large for the embedded broker",
    )
    add_environment_arguments(parser)
    add_output_arguments(parser)


def _meetings(area: str, start: dt.date, end: dt.date, cutoff_days: int) -> list[Event]:
    events, day, number = [], start + dt.timedelta(days=14), 0
    while day <= end:
        meeting_id = f"m-{area}-{number:03d}"
        payload = {
            "meeting_id": meeting_id, "marac_area": area, "meeting_date": day,
            "cutoff_date": agenda_cutoff(day, cutoff_days), "capacity": 20,
        }  # fmt: skip
        events.append(new_event("MeetingScheduled", payload, aggregate_id=meeting_id,
                                agency="marac-coord", actor="bench"))  # fmt: skip
        day += dt.timedelta(days=14)
        number += 1
    return events


def _actions(referrals: list[Event], rng: random.Random) -> list[Event]:
    """Two actions on most cases, due a month after referral; half of them closed."""
    events = []
    seen: set[str] = set()
    for referral in referrals:
        case_id = referral.payload["case_id"]
        if case_id in seen or rng.random() > 0.8:
            continue
        seen.add(case_id)
        for number in range(2):
            action_id = f"a-{case_id}-{number}"
            due = referral.payload["referral_date"] + dt.timedelta(days=30)
            events.append(new_event("ActionAssigned", {
                "case_id": case_id, "action_id": action_id, "meeting_id": None,
                "owner_agency": rng.choice(ACTION_OWNERS), "due_date": due,
                "description": "Research records and share what is relevant before the meeting",
            }, aggregate_id=case_id, agency="marac-coord", actor="bench"))  # fmt: skip
            if rng.random() < 0.5:
                events.append(new_event("ActionCompleted", {
                    "case_id": case_id, "action_id": action_id, "outcome": "done",
                    "completed_on": due - dt.timedelta(days=3),
                }, aggregate_id=case_id, agency="marac-coord", actor="bench"))  # fmt: skip
    return events


def _apply_directly(platform, events: list[Event], progress: Progress) -> None:
    """The read model the projector would build, without the broker: encrypt as the publisher
    does, then apply each event with the MARAC projection's handlers, a batch a transaction."""
    handlers = platform.projections["marac"].handlers
    progress.start("apply directly")
    for start in range(0, len(events), 500):
        chunk = [platform.codec.conformed(e) for e in events[start : start + 500]]
        with platform.writer_engine.begin() as conn:
            for event in platform.sharing.encrypt_events(chunk):
                handlers[event.event_type](conn, event)
        progress.update(min(start + 500, len(events)), len(events))
    progress.done()


def _timings(step, repeat: int) -> dict:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - began)
    return {
        "runs": repeat,
        "min_ms": round(min(seconds) * 1000, 1),
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def run(args: argparse.Namespace) -> int:
    progress = Progress(enabled=not args.quiet)
    shape = dataclasses.replace(
        THAMES_VALLEY, referrals_per_year=THAMES_VALLEY.referrals_per_year * args.scale
    )
    total = shape.referrals_per_year
    referrals = list(generate_referrals(total, seed=args.seed, shape=shape))
    busiest = Counter(e.payload["marac_area"] for e in referrals).most_common(1)[0][0]
    first_day = min(e.payload["referral_date"] for e in referrals)
    last_day = max(e.payload["referral_date"] for e in referrals)
    with bench_environment(
        kafka=args.kafka, database_url=args.database_url, partitions=args.partitions,
        progress=progress,
    ) as env:  # fmt: skip
        platform = env.platform
        policy = marac_policy(platform)
        extra = _actions(referrals, random.Random(args.seed))
        areas = sorted({e.payload["marac_area"] for e in referrals})
        meetings = [
            m
            for a in areas
            for m in _meetings(a, first_day, last_day, policy.agenda_cutoff_working_days)
        ]
        if args.direct:
            _apply_directly(platform, referrals + extra + meetings, progress)
        else:
            publish_all(platform, iter(referrals), len(referrals), batch=500, progress=progress)
            publish_all(platform, iter(extra + meetings), len(extra) + len(meetings), batch=500,
                        progress=progress)  # fmt: skip
            progress.say("projecting the MARAC read model ...")
            projector = platform.projector("marac", batch_size=500)
            projector.catch_up(timeout=3600, progress=progress.update)
            projector.close()
            progress.done()

        with platform.engine.connect() as conn:
            area_meetings = queries.meetings(conn, busiest)
            meeting = area_meetings[int(len(area_meetings) * 0.8)]
            platform.today = lambda: meeting["meeting_date"] - dt.timedelta(days=7)
            agenda = agendas.draft(platform, conn, meeting)
            coordinator = Caller(user="bench", agency="marac-coord", role="coordinator")
            draft = _timings(lambda: agendas.draft(platform, conn, meeting), args.repeat)
            render = _timings(
                lambda: agendas.view(platform, conn, coordinator, meeting, route="bench"),
                args.repeat,
            )
            cases = conn.exec_driver_sql("select count(*) from marac_cases").scalar()
            actions = conn.exec_driver_sql("select count(*) from marac_actions").scalar()
        results = {
            "benchmark": NAME,
            "scale": args.scale,
            "seed": args.seed,
            "machine": machine_info(),
            "broker": env.broker,
            "database": env.database,
            "loaded": "directly with the projection's handlers" if args.direct else "via Kafka",
            "read_model": {
                "referrals": total,
                "cases": cases,
                "actions": actions,
                "meetings": len(meetings),
            },  # fmt: skip
            "meeting": {
                "area": busiest,
                "date": meeting["meeting_date"].isoformat(),
                "listed": len(agenda.items),
                "overflow": len(agenda.overflow),
                "excluded": len(agenda.excluded),
            },  # fmt: skip
            "draft": draft,
            "render_for_coordinator": render,
            "peak_memory_mib": round(peak_memory_mib(), 1),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    model, listed = results["read_model"], results["meeting"]
    print(f"\nAgenda for one meeting, read model x{args.scale}: {model['cases']} cases, "
          f"{model['actions']} actions, {model['meetings']} meetings")  # fmt: skip
    print(f"machine:  {describe_machine(results['machine'])}")
    print(f"database: {results['database']} (read model loaded {results['loaded']})")
    print(f"meeting:  {listed['area']} on {listed['date']}: {listed['listed']} listed, "
          f"{listed['overflow']} overflow, {listed['excluded']} candidates excluded\n")  # fmt: skip
    for name in ("draft", "render_for_coordinator"):
        t = results[name]
        print(f"  {name:24} median {t['median_ms']:>8.1f} ms   min {t['min_ms']:>8.1f}   "
              f"max {t['max_ms']:>8.1f}   ({t['runs']} runs)")  # fmt: skip
    print(f"\npeak memory: {results['peak_memory_mib']} MiB")
    return 0
