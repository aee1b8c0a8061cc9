"""An idle ``tandem up`` and the CLI's start-up, against bare Python in the same run.

1. *idle*: starts ``tandem up`` on a fresh data directory (embedded broker, SQLite, every
   projector, the web app), waits for it to be ready and settled, then reads the CPU time of
   the process and of its broker from ``/proc`` over ``--seconds``. The result is the share
   of one core each used: with nothing to do, both should be close to zero.
2. *start-up*: the wall time of ``tandem --help`` and ``tandem token --help`` (the import cost
   every CLI command pays), as a ratio to ``python -c pass`` measured the same way.

The stack is stopped with SIGTERM as an operator's Ctrl-C would, and the benchmark checks
that its whole process group is gone before it returns.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import (
    add_output_arguments,
    describe_machine,
    load_average,
    machine_info,
    positive_int,
)
from services.kernel.embedded_broker import free_port

NAME = "idle"
SUMMARY = "CPU of an idle tandem up, and CLI start-up time vs bare Python"
DESCRIPTION = __doc__
TANDEM = [sys.executable, "-m", "services.cli"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--seconds",
        type=positive_int,
        default=60,
        metavar="S",
        help="how long the idle stack is watched (default: %(default)s)",
    )
    what.add_argument(
        "--settle",
        type=positive_int,
        default=10,
        metavar="S",
        help="seconds to wait after 'running' before watching (default: %(default)s)",
    )
    what.add_argument(
        "--starts",
        type=positive_int,
        default=5,
        metavar="N",
        help="start-up runs of each command; the median is reported (default: %(default)s)",
    )
    add_output_arguments(parser)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def measure_idle(seconds: int, settle: int, say) -> dict:
    with tempfile.TemporaryDirectory(prefix="tandem-idle-") as tmp:
        data_dir = Path(tmp) / "data"
        log_path = Path(tmp) / "up.log"
        command = [*TANDEM, "up", "--data-dir", str(data_dir), "--port", str(free_port())]
        with log_path.open("w") as log:
            stack = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            deadline = time.monotonic() + 120
            while "Tandem is running" not in log_path.read_text():
                if stack.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tandem up did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            say(f"tandem up is running; settling for {settle} s, then watching for {seconds} s")
            time.sleep(settle)
            broker = children(stack.pid)
            before = {pid: cpu_seconds(pid) for pid in [stack.pid, *broker]}
            started = time.monotonic()
            time.sleep(seconds)
            elapsed = time.monotonic() - started
            used = {pid: cpu_seconds(pid) - before[pid] for pid in before}
        finally:
            stack.send_signal(signal.SIGTERM)
            try:
                stack.wait(timeout=60)
            finally:
                with contextlib.suppress(ProcessLookupError):  # anything the stack left
                    os.killpg(stack.pid, signal.SIGKILL)
        return {
            "watched_seconds": round(elapsed, 1),
            "tandem_up_cpu_seconds": round(used[stack.pid], 2),
            "tandem_up_core_share": round(used[stack.pid] / elapsed, 4),
            "broker_cpu_seconds": round(sum(used[p] for p in broker), 2),
            "broker_core_share": round(sum(used[p] for p in broker) / elapsed, 4),
            "stopped_cleanly": "Stopped." in log_path.read_text(),
        }


def median_start(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(args: argparse.Namespace) -> int:
    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    info = machine_info()
    start_load = load_average()
    say("timing start-up: python -c pass, tandem --help, tandem token --help")
    bare = median_start([sys.executable, "-c", "pass"], args.starts)
    cli_help = median_start([*TANDEM, "--help"], args.starts)
    token_help = median_start([*TANDEM, "token", "--help"], args.starts)
    idle = measure_idle(args.seconds, args.settle, say)
    result = {
        "machine": info,
        "load_average_start": start_load,
        "load_average_end": load_average(),
        "python_start_seconds": round(bare, 3),
        "tandem_help_seconds": round(cli_help, 3),
        "tandem_token_help_seconds": round(token_help, 3),
        "tandem_help_vs_python": round(cli_help / bare, 1),
        **idle,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("Tandem idle stack and CLI start-up")
    print(f"  command   python -m bench idle --seconds {args.seconds}")
    print(f"  machine   {describe_machine(info)}")
    print(f"  load      {start_load} at start, {result['load_average_end']} at the end")
    print()
    print(f"  python -c pass              {bare * 1000:8.0f} ms  (median of {args.starts})")
    print(f"  tandem --help               {cli_help * 1000:8.0f} ms  ({cli_help / bare:.1f}x)")
    print(f"  tandem token --help         {token_help * 1000:8.0f} ms  ({token_help / bare:.1f}x)")
    print(
        f"  idle tandem up              {idle['tandem_up_core_share']:8.1%} of a core "
        f"({idle['tandem_up_cpu_seconds']} CPU-s in {idle['watched_seconds']} s)"
    )
    print(
        f"  its embedded broker         {idle['broker_core_share']:8.1%} of a core "
        f"({idle['broker_cpu_seconds']} CPU-s)"
    )
    print(f"  stopped cleanly             {idle['stopped_cleanly']}")
    return 0
