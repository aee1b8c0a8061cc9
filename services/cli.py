"""The ``tandem`` command line.

Every command reads the same settings (``TANDEM_*`` environment variables, see
``tandem settings``); the common options below override them for one run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from services.kernel.settings import SETTINGS_DOC, Settings, SettingsError

EPILOG = textwrap.dedent(
    """\
    Start here:
      tandem up                      broker, read models, services and web app on this machine
      tandem status                  consumer lag per service
      tandem tail marac.cases        decode and print a stream's events

    Settings come from TANDEM_* environment variables (`tandem settings` lists them).
    """
)


def _common_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where Tandem's parts are")
    group.add_argument(
        "--data-dir",
        type=Path,
        help="embedded broker data, SQLite files and local keys (default ./.tandem)",
    )
    group.add_argument(
        "--kafka",
        metavar="BOOTSTRAP",
        help="use this Kafka instead of the embedded broker, e.g. kafka:9092",
    )
    group.add_argument(
        "--database-url",
        metavar="URL",
        help="read-model database, e.g. postgresql+psycopg://tandem@db/tandem (default SQLite)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number is needed, not {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"it must be positive, not {value}")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    if getattr(args, "kafka", None):
        overrides["kafka_bootstrap"] = args.kafka
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "port", None):
        overrides["http_port"] = args.port
    return settings.with_overrides(**overrides)


def _platform(args: argparse.Namespace, needs_broker: bool = True):
    """The platform for a command; the embedded broker is found from the data dir.

    A command that works without a broker (tokens, accounts, keys, erasure, which is stored
    and published later) runs even where no stack has started yet.
    """
    from services.bootstrap import Platform
    from services.stack import default_bootstrap

    settings = _settings(args)
    try:
        bootstrap = default_bootstrap(settings)
    except SettingsError:
        if needs_broker:
            raise
        bootstrap = ""
    return Platform(settings, bootstrap)


# -- commands --------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    import signal

    from services.stack import Stack, StackError

    def interrupt(*_):  # docker stop and systemd send SIGTERM: stop as cleanly as Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    settings = _settings(args)
    print(f"Starting Tandem (data dir {settings.data_dir.resolve()})")
    stack = Stack(settings)
    try:  # whatever happens from here (a failed start, SIGTERM while seeding), stop it all
        try:
            stack.start()
        except StackError as exc:
            print(f"tandem up: {exc}", file=sys.stderr)
            return 1
        if getattr(args, "demo", False):
            from services.demo import seed

            seed(stack.platform)
        print(f"\nTandem is running at {stack.url}  (API docs: {stack.url}/docs)")
        if not stack.platform.accounts.has_people():
            data_dir = "" if args.data_dir is None else f" --data-dir {args.data_dir}"
            print(
                "No one can sign in yet. In another terminal, create the first account:\n"
                f"  .venv/bin/tandem user add{data_dir} --username YOUR-NAME "
                "--agency marac-coord --role coordinator\n"
                "or stop and start again with --demo for demo accounts and fictional cases."
            )
        print("Press Ctrl-C to stop; data is kept for the next start.", flush=True)
        stack.wait()
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
    print("Stopped.", flush=True)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The web app alone, for deployments that run projectors as their own processes."""
    import uvicorn

    from services.intake.app import create_app

    platform = _platform(args)
    platform.prepare()
    uvicorn.run(
        create_app(platform), host=platform.settings.http_host, port=platform.settings.http_port
    )
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    import signal
    import threading

    platform = _platform(args)
    _require_service(platform, args.service)
    platform.prepare()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    projector = platform.projector(args.service)
    print(f"projector {args.service} consuming {', '.join(projector.topic_names)}", flush=True)
    try:
        projector.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        platform.close()
    return 0


def _require_service(platform, name: str) -> None:
    if name not in platform.projections:
        raise SystemExit(
            f"tandem: unknown service {name!r}; services are: {', '.join(platform.projections)}"
        )


def _progress(label: str, unit: str = "events") -> Callable[[int, int], None]:
    """Progress on stderr: done of total, rate and time left, at most twice a second."""
    state = {"last": 0.0, "start": time.monotonic()}

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - state["last"] >= 0.5 or done >= total:
            state["last"] = now
            percent = 100 * done / total if total else 100
            elapsed = max(now - state["start"], 1e-6)
            rate = done / elapsed
            left = (total - done) / rate if rate else 0.0
            print(
                f"\r  {label}: {done}/{total} {unit} ({percent:.0f}%), {rate:,.0f} {unit}/s, "
                f"about {left:,.0f} s left ",
                end="",
                file=sys.stderr,
                flush=True,
            )

    return report


def cmd_replay(args: argparse.Namespace) -> int:
    platform = _platform(args)
    services = list(platform.projections) if args.service == "all" else [args.service]
    for name in services:
        _require_service(platform, name)
    if args.from_kafka:
        platform.prepare()
    else:
        platform.migrate()  # the store is read directly: no broker needed
    for name in services:
        projector = platform.projector(name)
        started = time.monotonic()
        if args.from_kafka:
            print(f"Replaying {name} from Kafka offset 0 (read model emptied first)")
            projector.reset()
            projector.catch_up(timeout=args.timeout, progress=_progress(name))
        else:
            print(f"Replaying {name} from the event store (read model emptied first)")
            projector.replay_from_store(platform.writer_engine, progress=_progress(name))
        projector.close()
        seconds = time.monotonic() - started
        print(
            f"\n  {name}: {projector.status.applied} events applied, "
            f"{projector.status.dead_lettered} dead-lettered, in {seconds:.1f} s"
        )
    platform.close()
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from services.kernel import store
    from services.kernel.relay import CURSOR, LEASE_SECONDS

    platform = _platform(args)
    platform.prepare()
    holder = f"tandem-reconcile:{os.getpid()}"
    with platform.writer_engine.begin() as conn:
        if not store.take_lease(conn, CURSOR, holder, LEASE_SECONDS * 20):
            print(
                "tandem reconcile: a running Tandem relay holds the store; it checks the topics "
                "every few seconds and repairs them itself (see /health). Stop it to run this.",
                file=sys.stderr,
            )
            return 1
    try:
        print(f"Comparing every topic with the event store ({platform.bootstrap})")
        report = platform.reconcile(say=print)
    finally:
        with platform.writer_engine.begin() as conn:
            store.release_lease(conn, CURSOR, holder)
        platform.close()
    damaged = report.damaged
    print(
        f"{len(report.partitions)} partition(s) checked, {len(damaged)} repaired, "
        f"{report.republished} event(s) re-published"
    )
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    import signal
    import threading

    platform = _platform(args)
    platform.prepare()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    relay, archiver = platform.relay(), platform.archiver()
    worker = threading.Thread(target=archiver.run, args=(stop,), name="archiver", daemon=True)
    worker.start()
    print(f"relay publishing the event store to {platform.bootstrap}; archiver on", flush=True)
    try:
        relay.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        worker.join(timeout=15)
        platform.close()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    platform = _platform(args)
    created = platform.prepare()
    print(
        f"topics: {len(created)} created; read models migrated "
        f"({platform.engine.url.render_as_string(hide_password=True)}); key vault ready"
    )
    platform.close()
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from services.kernel.bus import list_topics

    platform = _platform(args)
    if args.create:
        created = platform.create_topics()
        print(f"created {len(created)} topic(s)" + (": " + ", ".join(created) if created else ""))
    existing = set(list_topics(platform.bootstrap))
    for topic in platform.topics.all_topics():
        print(f"{'present' if topic in existing else 'MISSING':8} {topic}")
    return 0


def _read_event_lines(path: str):
    from services.kernel.events import new_event

    events = []
    with contextlib.nullcontext(sys.stdin) if path == "-" else open(path) as source:
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"tandem publish: line {number}: not JSON ({exc.msg})") from None
            missing = [k for k in ("event_type", "aggregate_id", "payload") if k not in item]
            if missing:
                raise SystemExit(f"tandem publish: line {number}: missing {', '.join(missing)}")
            events.append(
                (
                    number,
                    new_event(
                        item["event_type"],
                        item["payload"],
                        aggregate_id=item["aggregate_id"],
                        agency=item.get("agency", "cli"),
                        actor=item.get("actor", "cli"),
                        event_id=item.get("event_id"),
                    ),
                )
            )
    return events


def cmd_publish(args: argparse.Namespace) -> int:
    from services.kernel.codec import EventValidationError

    platform = _platform(args)
    numbered = _read_event_lines(args.file)
    prepared = []
    for number, event in numbered:  # validate every line before sending any
        try:
            platform.codec.validate(event)
            prepared.append(event)
        except EventValidationError as exc:
            raise SystemExit(f"tandem publish: line {number}: {exc}") from None
    positions = platform.publisher.publish(prepared)
    for event, (topic, partition, offset) in zip(prepared, positions, strict=True):
        print(f"{event.event_type} {event.event_id} -> {topic}[{partition}]@{offset}")
    platform.close()
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    from kafka import TopicPartition

    from services.kernel import bus
    from services.kernel.codec import DecodeError
    from services.kernel.conform import to_json

    platform = _platform(args)
    topic = (
        args.topic
        if args.topic.startswith(platform.topics.prefix + ".")
        else platform.topics.topic(args.topic)
    )
    consumer = bus.consumer(
        platform.bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=None if args.follow else 2000,
    )
    partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
    if not partitions:
        raise SystemExit(f"tandem tail: topic {topic} does not exist")
    consumer.assign(partitions)
    if args.from_beginning:
        consumer.seek_to_beginning(*partitions)
    else:
        ends = consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(0, ends[tp] - args.last))
    shown = 0
    try:
        for record in consumer:
            location = f"{record.topic}[{record.partition}]@{record.offset}"
            headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
            try:
                event = platform.codec.decode(record.value)
                body = {
                    "at": location,
                    "envelope": to_json(event.envelope.to_record()),
                    "payload": to_json(event.payload),
                }
            except DecodeError as exc:
                body = {"at": location, "undecodable": str(exc), "headers": headers}
            print(json.dumps(body, indent=None if args.compact else 2), flush=True)
            shown += 1
            if args.max and shown >= args.max:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from projections.database import migrate
    from services.health import lag_by_service

    platform = _platform(args)
    migrate(platform.writer_engine)  # a fresh data dir has no tables yet
    lags = lag_by_service(platform)
    print(f"broker {platform.bootstrap}")
    print(f"{'service':10} {'lag':>8}  topics")
    for name, per_topic in lags.items():
        detail = ", ".join(f"{t}={n}" for t, n in per_topic.items())
        print(f"{name:10} {sum(per_topic.values()):>8}  {detail}")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from services.kernel.bus import read_dead_letters

    platform = _platform(args)
    topic = platform.topics.dead_letter(args.stream)
    letters = read_dead_letters(platform.bootstrap, topic)
    for letter, value in letters:
        print(
            f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset} "
            f"({letter.consumer}, {letter.failed_at}): {letter.reason}  [{len(value)} bytes]"
        )
    print(f"{len(letters)} dead letter(s) on {topic}")
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from services.kernel.compatibility import full_transitive_problems
    from services.kernel.schemas import SchemaCatalogue, write_lock

    settings = _settings(args)
    if args.action == "lock":
        entries = write_lock(settings.schemas_dir)
        print(f"{len(entries)} schema versions pinned in {settings.schemas_dir / 'ids.json'}")
        return 0
    catalogue = SchemaCatalogue.load(settings.schemas_dir)
    failures = 0
    for event_type in catalogue.event_types():
        versions = catalogue.versions(event_type)
        problems = full_transitive_problems([v.definition for v in versions])
        for problem in problems:
            print(f"{event_type}: {problem}")
        failures += len(problems)
        print(f"{'ok ' if not problems else 'BAD'} {event_type} (v{versions[-1].version})")
    return 1 if failures else 0


def cmd_token(args: argparse.Namespace) -> int:
    import datetime as dt

    from services.intake.accounts import AccountError
    from services.intake.auth import TokenError, check_role

    platform = _platform(args, needs_broker=False)
    try:
        check_role(platform.sharing.agreements.get(), args.agency, args.role, platform.today())
        lifetime = dt.timedelta(days=args.days) if args.days is not None else None
        token = platform.tokens.issue(
            args.user or f"{args.role}@{args.agency}", args.agency, args.role, lifetime
        )
    except (TokenError, AccountError) as exc:
        raise SystemExit(f"tandem token: {exc}") from None
    finally:
        platform.close()
    print(token)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from services.sharing.errors import SubjectAlreadyErased
    from services.sharing.service import Caller, SubjectNotFound

    platform = _platform(args, needs_broker=False)
    caller = Caller(user=args.user, agency=args.agency, role="dpo")
    try:
        event = platform.sharing.erasure_event(
            args.subject,
            args.reason,
            caller,
            requested_by=args.requested_by,
            requested_by_agency=args.agency,
        )
    except SubjectNotFound as exc:
        platform.close()
        raise SystemExit(f"tandem erase: {exc}") from None
    except SubjectAlreadyErased:
        erased_at = platform.vault.erased_at(args.subject)
        platform.close()
        when = f" on {erased_at:%Y-%m-%d}" if erased_at else ""
        raise SystemExit(
            f"tandem erase: {args.subject} was already erased{when}; "
            "an erasure is done once and cannot be repeated"
        ) from None
    platform.record([event])
    print(
        f"erased {args.subject}: {event.payload['keys_destroyed']} data key(s) destroyed; "
        f"SubjectErased {event.event_id} recorded"
    )
    _relay_now(platform)
    platform.close()
    return 0


def cmd_register_subjects(args: argparse.Namespace) -> int:
    from services.kernel import store

    platform = _platform(args)
    platform.migrate()
    with platform.engine.connect() as conn:
        total = store.count(conn)
    progress = _progress("register-subjects")
    done = 0
    for rows in store.iterate(platform.writer_engine):
        events = [platform.codec.decode(row.value) for row in rows]
        platform.sharing.note_stored(events)
        done += len(rows)
        progress(done, total)
    if total:
        print(file=sys.stderr)
    print(f"subject register brought up to date from {done} stored event(s)")
    platform.close()
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from services.sharing.retention import RetentionJob

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise SystemExit(
            f"tandem retention: --as-of must be a date like 2026-12-02, not {args.as_of!r}"
        ) from None
    platform = _platform(args)
    platform.migrate()
    job = RetentionJob(platform.sharing, platform.record)
    report = job.run(
        as_of or platform.today(), dry_run=args.dry_run, progress=_progress("retention", "subjects")
    )
    if not args.dry_run and report.due:
        print(file=sys.stderr)  # end the progress line
    print(report.render())
    if not args.dry_run and report.due:
        _relay_now(platform)
    platform.close()
    return 1 if any(a.startswith("failed") for a in report.actions.values()) else 0


def _relay_now(platform) -> None:
    """Publish what this command stored, unless a running stack's relay does it anyway."""
    if not platform.bootstrap:
        print("(stored; no stack has run here yet: the relay publishes it when one starts)")
        return
    try:
        platform.relay().drain(timeout=15)
    except Exception as exc:  # stored all the same: the relay publishes it when it can
        print(f"(stored; publishing is delayed: {exc.__class__.__name__}: {exc})")


def cmd_rotate_mac_key(args: argparse.Namespace) -> int:
    platform = _platform(args, needs_broker=False)
    new_key = platform.signer.rotate()
    print(f"new event MAC key {new_key}: events are signed with it from now on; old ones verify")
    return 0


def cmd_rotate_kek(args: argparse.Namespace) -> int:
    platform = _platform(args, needs_broker=False)
    provider = platform.vault._kek
    new_key = provider.rotate()
    count = platform.vault.rotate_kek()
    print(f"new key-encryption key {new_key}; {count} data key(s) rewrapped; no event touched")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    import datetime as dt
    import getpass

    from services.intake.accounts import AccountError, Accounts
    from services.intake.auth import ROLES, TokenError, check_role
    from services.intake.sign_in_throttle import ACCOUNT, FailureCount

    settings = _settings(args)
    accounts = Accounts(settings.vault_database_url)
    try:
        if args.user_command == "list":
            now = dt.datetime.now(dt.UTC)
            locked = {
                subject: until for scope, subject, until in accounts.locked(now) if scope == ACCOUNT
            }
            found = accounts.list()
            for account in found:
                note = (
                    f"  locked until {locked[account.username]:%Y-%m-%d %H:%M} UTC"
                    if (account.username in locked)
                    else ""
                )
                print(
                    f"{account.username:24} {account.agency:20} {account.role:18} "
                    f"{account.kind}{note}"
                )
            print(f"{len(found)} account(s)")
            return 0
        if args.user_command in ("remove", "revoke", "unlock"):
            name = args.username
            if args.user_command == "unlock":
                accounts.save_failures(ACCOUNT, name, FailureCount())
                print(f"{name}: sign-in lockout cleared")
                return 0
            done = accounts.remove(name) if args.user_command == "remove" else accounts.revoke(name)
            if not done:
                raise SystemExit(f"tandem user {args.user_command}: no account named {name!r}")
            print(
                f"{name}: removed; its tokens and sessions no longer work"
                if args.user_command == "remove"
                else f"{name}: every token and session issued until now is revoked"
            )
            return 0
        platform = _platform(args, needs_broker=False)
        try:
            check_role(platform.sharing.agreements.get(), args.agency, args.role, platform.today())
        except TokenError as exc:
            raise SystemExit(f"tandem user add: {exc}") from None
        finally:
            platform.close()
        password = args.password
        if password is None:
            if not sys.stdin.isatty():
                raise SystemExit("tandem user add: give --password, or run in a terminal")
            password = getpass.getpass(f"Password for {args.username}: ")
            if getpass.getpass("Again: ") != password:
                raise SystemExit("tandem user add: the passwords do not match")
        try:
            accounts.add(args.username, args.agency, args.role, password, replace=args.replace)
        except AccountError as exc:
            raise SystemExit(f"tandem user add: {exc}") from None
        print(f"account {args.username}: {ROLES[args.role]} for {args.agency}")
        return 0
    finally:
        accounts.close()


def cmd_settings(args: argparse.Namespace) -> int:
    for name, doc in SETTINGS_DOC.items():
        print(f"{name:30} {doc}")
    return 0


# -- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem: event-sourced multi-agency case sharing (MARAC, MATAC, MAPPA).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func, help_text: str, description: str | None = None):
        sub = commands.add_parser(
            name,
            help=help_text,
            description=description or help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(func=func)
        _common_options(sub)
        return sub

    up = add(
        "up",
        cmd_up,
        "start broker, read models, services and web app on this machine",
        "Start the embedded default: a Kafka-protocol broker on loopback, the read-model\n"
        "database (SQLite in the data dir), every service's projector and the web app.\n"
        "Prints the URL when all are ready; Ctrl-C stops everything; data is kept.",
    )
    up.add_argument("--port", type=int, help="web app port (default 8000)")
    up.add_argument(
        "--demo",
        action="store_true",
        help="also create demo accounts (printed) and a few fictional cases; never on real data",
    )

    serve = add("serve", cmd_serve, "run the web app alone (projectors run elsewhere)")
    serve.add_argument("--port", type=int, help="web app port (default 8000)")

    add(
        "relay",
        cmd_relay,
        "publish the event store to Kafka, and archive events partners put on Kafka",
        "Run the relay (stored events to Kafka, in order, until acknowledged; repairs topics\n"
        "a broker truncated) and the archiver (events from outside into the store) until\n"
        "stopped. `tandem up` runs both itself; production runs one of these.",
    )
    add(
        "reconcile",
        cmd_reconcile,
        "repair topics from the event store after a broker lost events",
        "Compare every partition of every topic with where the event store recorded each\n"
        "event; re-publish what a topic lost and move projectors back to where the damage\n"
        "starts, so they catch up without doubling anything. A running relay does this by\n"
        "itself; run this with the stack stopped.",
    )
    project = add("project", cmd_project, "run one service's projector until stopped")
    project.add_argument("service", help="marac, matac or mappa")

    replay = add(
        "replay",
        cmd_replay,
        "drop a service's read model and rebuild it from the event store",
        "Empty the service's read-model tables and its stored offsets, then apply every event\n"
        "of its streams again, in the store's order (no broker needed; --from-kafka reads the\n"
        "topics instead). Progress, rate and time left go to stderr. Stop the service's\n"
        "projector first (or `tandem up`).",
    )
    replay.add_argument("service", help="marac, matac, mappa, sharing, or all")
    replay.add_argument(
        "--from-kafka",
        action="store_true",
        help="read the topics from offset 0 instead of the event store (a real Kafka cluster)",
    )
    replay.add_argument(
        "--timeout", type=float, default=3600, help="give up after this many seconds"
    )

    add(
        "migrate",
        cmd_migrate,
        "create topics, migrate the read models and set up the key vault, then exit",
        "Everything `tandem up` prepares before it starts the services: for deployments\n"
        "that run the projectors and the web app as separate processes.",
    )

    topics = add("topics", cmd_topics, "list Tandem's topics, or create the missing ones")
    topics.add_argument(
        "--create", action="store_true", help="create missing topics (retention forever)"
    )

    publish = add(
        "publish",
        cmd_publish,
        "publish events from a JSON-lines file through the codec",
        'Each line: {"event_type": "MeetingScheduled", "aggregate_id": "...",\n'
        '"agency": "marac-coord", "actor": "...", "payload": {...}}.\n'
        "Every line is validated before any is sent; a bad line names the field.",
    )
    publish.add_argument("file", help="path of the JSON-lines file, or - for standard input")

    tail = add("tail", cmd_tail, "decode and print events from a topic")
    tail.add_argument("topic", help="stream (e.g. marac.cases) or full topic name")
    tail.add_argument("--from-beginning", action="store_true", help="start at offset 0")
    tail.add_argument("--last", type=int, default=10, help="start this many events before the end")
    tail.add_argument("--follow", "-f", action="store_true", help="keep waiting for new events")
    tail.add_argument("--max", type=int, default=0, help="stop after this many events")
    tail.add_argument("--compact", action="store_true", help="one line per event")

    add("status", cmd_status, "consumer lag per service")

    dead = add("dead-letters", cmd_dead_letters, "list a stream's dead letters and their reasons")
    dead.add_argument("stream", help="e.g. marac.cases")

    schemas = add("schemas", cmd_schemas, "check schema compatibility or pin ids for new versions")
    schemas.add_argument(
        "action", choices=["check", "lock"], help="check: FULL_TRANSITIVE; lock: pin ids"
    )

    token = add(
        "token",
        cmd_token,
        "print a bearer token for a named service (embedded default)",
        "Print a bearer token for a script or integration. The agency must be a party to the\n"
        "information sharing agreement in force and the role one it may hold.\n"
        "Roles: referrer, coordinator, agency_contact, analyst, mappa_coordinator, dpo.\n"
        "The token expires (TANDEM_SERVICE_TOKEN_DAYS, default 30, or --days) and ends\n"
        "at once with tandem user revoke USER, or when the account is removed or moved to\n"
        "another agency or role. The user is recorded as a service account.",
    )
    token.add_argument("--agency", required=True, help="agency id from agreements/, e.g. idva-oxon")
    token.add_argument("--role", required=True, help="e.g. referrer, coordinator, analyst")
    token.add_argument("--user", help="user id to record in the audit trail (default role@agency)")
    token.add_argument(
        "--days", type=_positive_int, help="lifetime in days (default TANDEM_SERVICE_TOKEN_DAYS)"
    )

    erase = add(
        "erase",
        cmd_erase,
        "erase a data subject: destroy their keys and record SubjectErased",
        "Crypto-shredding: the subject's data keys are destroyed, so every copy of their\n"
        "sensitive fields (topics, backups, read models) reads as erased, in replays too.\n"
        "Irreversible, and done once: a subject already erased, or unknown, is refused.\n"
        "Scoped as the API is: --agency must have recorded data about the subject, or be\n"
        "named partnership-wide by the agreement in force (data_protection).",
    )
    erase.add_argument("subject", help="person, case or nominal id")
    erase.add_argument(
        "--reason", required=True, help="why, e.g. the request reference (recorded encrypted)"
    )
    erase.add_argument(
        "--requested-by", required=True, help="who asked for the erasure, e.g. the DPO's name"
    )
    erase.add_argument(
        "--agency",
        default="marac-coord",
        help="agency on whose behalf the erasure is made (default marac-coord)",
    )
    erase.add_argument("--user", default="cli", help="operator recording the erasure")

    add(
        "register-subjects",
        cmd_register_subjects,
        "rebuild the subject register (who recorded data about whom, and which agency wrote\n"
        "each event) from the event store",
        "The register scopes erasure and the audit trail to the data controller and starts\n"
        "retention's clock; the events' writers let an agency read back what it recorded\n"
        "(the agreement's originator_reads_own). The publish path keeps both up to date; run\n"
        "this once after upgrading, so what was recorded before they existed is known too.\n"
        "Safe to run again: it only ever adds agencies and widens first/last days.",
    )

    retention = add(
        "retention",
        cmd_retention,
        "crypto-shred the subjects past the agreement's retention, and report",
        "Each purpose's retention (agreements/*.yaml retention:) runs from the last day any\n"
        "agency recorded data about the subject for it. A subject is erased when every purpose\n"
        "holding them has passed (keys are per subject), through the same path as a DPO's\n"
        "erasure: SubjectErased records 'retention job' and the rule. Prints a table of\n"
        "subject, purpose, ended on, retention, due since and action; progress on stderr.\n"
        "The running stack does this daily (TANDEM_RETENTION_INTERVAL_SECONDS).",
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="report what is due; erase nothing"
    )
    retention.add_argument(
        "--as-of", help="decide as on this date (default today), e.g. 2032-01-01"
    )

    add(
        "rotate-kek",
        cmd_rotate_kek,
        "rotate the key-encryption key and rewrap every data key (no event is touched)",
    )
    add(
        "rotate-mac-key",
        cmd_rotate_mac_key,
        "add a new key for the events' integrity MAC (events signed before still verify)",
    )

    user = commands.add_parser(
        "user",
        help="add, list, revoke, unlock or remove accounts (embedded default)",
        description="Local accounts: people sign in to the web pages (a username, an agency\n"
        "that is a party to the information sharing agreement, a role and a password hashed\n"
        "with scrypt); services hold tokens from tandem token. They are kept in the key\n"
        "vault's database (TANDEM_VAULT_DATABASE_URL). Changing or removing an account, or\n"
        "revoking it, ends every token and web session it holds.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    user.set_defaults(func=cmd_user)
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    user_add = user_commands.add_parser(
        "add",
        help="add an account (or --replace one)",
        description="Add a web sign-in account; the agency and role are checked against the\n"
        "agreement in force. Without --password, the password is asked for twice.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(user_add)
    user_add.add_argument("--username", required=True, help="the sign-in name, e.g. sam.patel")
    user_add.add_argument("--agency", required=True, help="agency id from agreements/")
    user_add.add_argument(
        "--role", required=True, help="referrer, coordinator, agency_contact, analyst, ..."
    )
    user_add.add_argument("--password", help="at least 10 characters (asked for if not given)")
    user_add.add_argument(
        "--replace", action="store_true", help="reset an existing account's agency, role, password"
    )
    _common_options(
        user_commands.add_parser(
            "list",
            help="list the accounts",
            description="List the accounts: name, agency, role, person or service, and any\n"
            "sign-in lockout in force.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    for action, text in (
        ("revoke", "end every token and web session the account holds (it may sign in again)"),
        ("unlock", "clear a sign-in lockout on the account after too many wrong passwords"),
        ("remove", "remove the account; its tokens and sessions stop working at once"),
    ):
        parser_for = user_commands.add_parser(
            action, help=text, description=text[0].upper() + text[1:] + "."
        )
        _common_options(parser_for)
        parser_for.add_argument("username", help="the account name")

    add("settings", cmd_settings, "list the TANDEM_* environment variables")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from services.kernel.bus import BrokerUnavailable, PublishError

    # Everything Tandem writes (SQLite files, keys, the broker's data and control file, which
    # holds the token that can stop or reset the broker) is for its owner alone.
    os.umask(0o077)

    try:
        return args.func(args) or 0
    except (SettingsError, BrokerUnavailable, PublishError) as exc:
        print(f"tandem {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
