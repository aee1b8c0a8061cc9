"""``python -m bench``: one subcommand per benchmark.

A benchmark is a module in this package with ``NAME``, ``SUMMARY``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; list it in ``BENCHMARKS`` to add it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

BENCHMARKS: tuple[str, ...] = (
    "bench.projector",
    "bench.encryption",
    "bench.agenda",
    "bench.matac",
    "bench.history",
    "bench.idle",
    "bench.referral_post",
)

EPILOG = """\
Every benchmark starts its own embedded Kafka-protocol broker on a free loopback port and
uses a temporary SQLite database, unless --kafka / --database-url point it elsewhere. Data
comes from a seeded generator (bench/generator.py) shaped like a Thames Valley-sized
partnership, so the same seed gives the same events on every machine.

Results and how to read them: docs/performance.md.
Help for one benchmark: python -m bench BENCHMARK --help
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Reproducible Tandem benchmarks on synthetic data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    benchmarks = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for module_name in BENCHMARKS:
        module = importlib.import_module(module_name)
        sub = benchmarks.add_parser(
            module.NAME,
            help=module.SUMMARY,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
