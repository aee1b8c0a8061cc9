"""What every benchmark shares: a disposable platform, timing, progress and the machine it ran on.

A benchmark gets a ``Platform`` exactly as the services build one, pointed at a broker and a
database of its own: the embedded broker on a free loopback port and a SQLite file in a
temporary directory unless ``--kafka`` / ``--database-url`` say otherwise. Topics get a unique
prefix, so a run never sees another run's events, even on a shared cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform as host_platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from services.bootstrap import Platform
from services.kernel.embedded_broker import EmbeddedBroker, free_port
from services.kernel.events import Event
from services.kernel.settings import Settings

# -- command-line options shared by benchmarks -----------------------------------------------


def add_environment_arguments(parser: argparse.ArgumentParser) -> None:
    """--kafka, --database-url and --partitions: where the benchmark runs."""
    group = parser.add_argument_group("where it runs (default: everything local and temporary)")
    group.add_argument(
        "--kafka",
        metavar="BOOTSTRAP",
        help="use this Kafka cluster (e.g. localhost:9092) instead of starting the embedded "
        "broker; the benchmark creates uniquely named topics and deletes them afterwards",
    )
    group.add_argument(
        "--database-url",
        metavar="URL",
        help="read-model database, e.g. postgresql+psycopg://tandem@localhost/bench; it must "
        "hold no MARAC read model yet (default: a SQLite file in a temporary directory)",
    )
    group.add_argument(
        "--partitions",
        type=positive_int,
        default=3,
        metavar="P",
        help="partitions per topic (default: %(default)s, the platform's default)",
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--json", action="store_true", help="print the results as one JSON object on stdout"
    )
    group.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# -- progress and measurements ---------------------------------------------------------------


class Progress:
    """Progress lines on stderr, at most one a second, so long runs show they are alive."""

    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._label = ""
        self._started = 0.0
        self._last = 0.0
        self._open_line = False

    def say(self, message: str) -> None:
        if self.enabled:
            self._end_line()
            print(message, file=self.stream, flush=True)

    def start(self, label: str) -> None:
        self._label = label
        self._started = self._last = time.perf_counter()

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 1.0 and done < total:
            return
        self._last = now
        elapsed = now - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        percent = 100 * done / total if total else 100.0
        line = f"  {self._label}: {done:,}/{total:,} ({percent:.0f}%), {rate:,.0f} events/s"
        if self._tty:
            print(f"\r{line}\033[K", end="", file=self.stream, flush=True)
            self._open_line = True
        else:
            print(line, file=self.stream, flush=True)

    def _end_line(self) -> None:
        if self._open_line:
            print(file=self.stream, flush=True)
            self._open_line = False

    def done(self) -> None:
        if self.enabled:
            self._end_line()


@dataclass(frozen=True)
class Measurement:
    """One timed phase: how many events in how many seconds."""

    name: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict:
        return {
            "events": self.events,
            "seconds": round(self.seconds, 4),
            "events_per_second": round(self.rate, 1),
        }


def peak_memory_mib() -> float:
    """Peak resident set size of this process so far (``getrusage`` ``ru_maxrss``), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return host_platform.processor() or None


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages. Other work on the machine while a benchmark runs
    skews every figure; a load above the CPU count says there was some."""
    if not hasattr(os, "getloadavg"):
        return None
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict:
    """What a reader needs to compare figures: CPUs, memory, OS, Python and library versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    memory = _memory_gib()
    load = load_average()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory, 1) if memory else None,
        "os": host_platform.platform(),
        "load_average_at_start": load,
        "python": f"{host_platform.python_implementation()} {host_platform.python_version()}",
        "packages": {
            name: _version(name)
            for name in ("kafka-python", "fastavro", "SQLAlchemy", "psycopg", "noida-db")
        },
    }


def describe_machine(info: dict) -> str:
    memory = f"{info['memory_gib']} GiB RAM" if info["memory_gib"] else "RAM unknown"
    cpu = f", {info['cpu_model']}" if info["cpu_model"] else ""
    start, end = info.get("load_average_at_start"), info.get("load_average_at_end")
    busy = f", load average {start[0]:.2f} at start" if start else ""
    busy += f" and {end[0]:.2f} at the end" if end else ""
    return f"{info['cpus']} CPUs{cpu}, {memory}, {info['python']}, {info['os']}{busy}"


# -- a disposable platform -------------------------------------------------------------------


@dataclass
class BenchEnvironment:
    platform: Platform
    """The producing side: what intake would be."""
    bootstrap: str
    broker: str
    """How the broker was reached, for the report: embedded (and its version) or external."""
    database: str
    """The read-model database, for the report (no password)."""
    work_dir: Path
    created_topics: list[str]

    @contextlib.contextmanager
    def separate_process_platform(self) -> Iterator[Platform]:
        """Another ``Platform`` on the same broker, topics, database and key vault.

        In a deployment the projectors run in their own processes, so they start with empty
        in-memory caches (the key vault's data-key cache above all). A consumer measured on the
        producing platform would find the keys publishing just cached and look faster than it
        is; one built here starts as cold as a freshly started projector process.
        """
        platform = Platform(self.platform.settings, self.bootstrap)
        try:
            yield platform
        finally:
            platform.close()


@contextlib.contextmanager
def bench_environment(
    *,
    kafka: str | None,
    database_url: str | None,
    partitions: int,
    progress: Progress,
    prefix: str = "bench",
) -> Iterator[BenchEnvironment]:
    """A prepared ``Platform`` on its own topics; everything it started is stopped afterwards.

    Its data dir (where a local key file and key vault would live) is a temporary directory,
    so nothing a benchmark writes outlives it unless ``--database-url`` points elsewhere.
    """
    from sqlalchemy.engine import make_url

    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        work = Path(tmp)
        broker: EmbeddedBroker | None = None
        if kafka:
            bootstrap, broker_label = kafka, f"external Kafka at {kafka}"
        else:
            broker = EmbeddedBroker(work / "broker", free_port())
            progress.say(f"starting the embedded broker on port {broker.port} ...")
            bootstrap = broker.start()
            version = _version("noida-db") or "unknown version"
            broker_label = f"embedded broker (noida-db {version}) on {bootstrap}"
        url = database_url or f"sqlite:///{work / 'readmodels.db'}"
        settings = Settings(
            data_dir=work / "data",
            kafka_bootstrap=bootstrap,
            database_url=url,
            vault_url=f"sqlite:///{work / 'vault.db'}",
            topic_prefix=f"{prefix}{uuid.uuid4().hex[:10]}",
            topic_partitions=partitions,
        )
        platform = Platform(settings, bootstrap)
        created: list[str] = []
        try:
            created = platform.prepare()
            database = make_url(url).render_as_string(hide_password=True)
            if not database_url:
                database = "SQLite file in a temporary directory"
            yield BenchEnvironment(platform, bootstrap, broker_label, database, work, created)
        finally:
            platform.close()
            if kafka and created:
                _delete_topics(bootstrap, created, progress)
            if broker is not None:
                broker.stop()


def _delete_topics(bootstrap: str, topics: list[str], progress: Progress) -> None:
    from services.kernel.bus import admin_client

    try:
        admin = admin_client(bootstrap)
        try:
            admin.delete_topics(topics)
        finally:
            admin.close()
    except Exception as exc:  # a benchmark's result must not be lost to clean-up trouble
        names = ", ".join(topics)
        progress.say(f"could not delete the topics ({exc}); delete them by hand: {names}")


def publish_all(
    platform: Platform,
    events: Iterable[Event],
    total: int,
    *,
    batch: int,
    progress: Progress,
    observe: Callable[[Event], None] | None = None,
) -> tuple[Measurement, Measurement]:
    """Generate and publish ``events`` in batches; returns (generate, publish) timings.

    Generating is timed apart from publishing, so the publish rate is the platform's alone:
    validation, Avro encoding (and whatever else the publisher does to an event) and the
    broker's acknowledgement (acks=all).
    """
    source = iter(events)
    generating = publishing = 0.0
    sent = 0
    progress.start("publish")
    while sent < total:
        started = time.perf_counter()
        chunk = [next(source) for _ in range(min(batch, total - sent))]
        generated = time.perf_counter()
        platform.publisher.publish(chunk)
        published = time.perf_counter()
        generating += generated - started
        publishing += published - generated
        if observe:
            for event in chunk:
                observe(event)
        sent += len(chunk)
        progress.update(sent, total)
    progress.done()
    return Measurement("generate", total, generating), Measurement("publish", total, publishing)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


STALL_SECONDS = 120
"""A raw read that sees no record for this long has lost records: fail, do not hang."""


def consume_raw(
    bootstrap: str,
    topics: list[str],
    expected: int,
    *,
    label: str,
    batch_size: int,
    timeout: float,
    progress: Progress,
    handle: Callable[[bytes], object] | None = None,
    handle_batch: Callable[[list[bytes]], object] | None = None,
    check_crcs: bool = True,
) -> Measurement:
    """Read every partition of ``topics`` from offset 0 with a bare KafkaConsumer until
    ``expected`` records arrive, passing each value to ``handle``, or each poll's values (all
    partitions, as the projector applies them) to ``handle_batch``; timed from creating the
    consumer, as the projector's catch-up is, to the last record."""
    from kafka import KafkaConsumer, TopicPartition

    progress.start(label)
    started = time.perf_counter()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        check_crcs=check_crcs,
        max_poll_records=batch_size,
    )
    try:
        partitions = [
            TopicPartition(topic, number)
            for topic in topics
            for number in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        count, moved = 0, started
        while count < expected:
            polled = consumer.poll(timeout_ms=500, max_records=batch_size)
            values = [record.value for records in polled.values() for record in records]
            if values:
                if handle is not None:
                    for value in values:
                        handle(value)
                if handle_batch is not None:
                    handle_batch(values)
                count += len(values)
                moved = time.perf_counter()
            progress.update(count, expected)
            now = time.perf_counter()
            if now - started > timeout:
                raise TimeoutError(f"{label}: {count} of {expected} records within {timeout}s")
            if now - moved > STALL_SECONDS:
                raise TimeoutError(
                    f"{label}: no record for {STALL_SECONDS}s after {count} of {expected}; the "
                    "broker is not answering fetches (the embedded broker stops answering reads "
                    "from offset 0 once it holds about 100 MB of records: use --kafka for "
                    "larger runs)"
                )
        elapsed = time.perf_counter() - started
    finally:
        consumer.close()
    progress.done()
    if count != expected:
        raise RuntimeError(f"{label}: read {count} records, expected {expected}")
    return Measurement(label, count, elapsed)


def run_projector(
    platform: Platform, name: str, *, batch_size: int, timeout: float, progress: Progress
) -> tuple[Measurement, int]:
    """Catch one service's projector up from where its read model is; returns its timing
    and how many events it dead-lettered."""
    projector = platform.projector(name, batch_size=batch_size)
    try:
        progress.start("projector")
        started = time.perf_counter()
        projector.catch_up(timeout=timeout, progress=progress.update)
        elapsed = time.perf_counter() - started
        progress.done()
    finally:
        projector.close()
    return Measurement(
        "projector", projector.status.applied, elapsed
    ), projector.status.dead_lettered
