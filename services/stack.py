"""``tandem up``: broker, read models, every projector and the web app, in one process.

Each component is started in order and checked before the next; if one fails, the ones already
started are stopped and ``StackError`` names the component and the reason.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from projections.runtime import Projector
from services.bootstrap import Platform
from services.kernel import store
from services.kernel.archiver import Archiver
from services.kernel.bus import list_topics
from services.kernel.embedded_broker import EmbeddedBroker, free_port
from services.kernel.relay import Relay
from services.kernel.settings import Settings, SettingsError


class StackError(RuntimeError):
    def __init__(self, component: str, reason: str):
        self.component = component
        super().__init__(f"{component} did not start: {reason}")


def secure_data_dir(path: Path, depth: int = 3) -> None:
    """Create the data dir owner-only (0700); refuse one that group or others can open.

    It holds the read models, the key vault, the keys and the broker's control file: any
    local user who can read it can read every case. Files found wider than 0600 (or folders
    wider than 0700) are named with the command that fixes them.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    wide = []
    level = {path: 0}
    for item in [path, *path.rglob("*")]:
        parent_level = level.get(item.parent, 0)
        level[item] = parent_level + 1 if item != path else 0
        if level[item] > depth or item.is_symlink():
            continue
        mode = stat.S_IMODE(item.lstat().st_mode)
        if mode & 0o077:
            wide.append(f"{item} ({mode:04o})")
    if wide:
        shown = ", ".join(wide[:5]) + (f" and {len(wide) - 5} more" if len(wide) > 5 else "")
        raise PermissionError(
            f"the data dir must be readable by its owner only, but {shown} can be read by "
            f"group or others; fix it with: chmod -R go-rwx {path}"
        )


BROKER_PORT_FILE = "broker-port"
"""In the data dir: the embedded broker's port, so every command finds the stack from
``--data-dir`` alone and two stacks (two data dirs) never fight over one port."""


def recorded_broker_port(data_dir: Path) -> int | None:
    try:
        return int((data_dir / BROKER_PORT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_broker_port(settings: Settings) -> int:
    """The embedded broker's port: as configured, else the data dir's own (a new free one
    if it has none yet or another program took it), recorded for the commands."""
    if settings.embedded_kafka_port:
        return settings.embedded_kafka_port
    port = recorded_broker_port(settings.data_dir)
    if port is None or not _port_is_free(port):
        port = free_port()
    (settings.data_dir / BROKER_PORT_FILE).write_text(f"{port}\n")
    return port


def default_bootstrap(settings: Settings) -> str:
    """Where the broker is: configured, or the embedded one `tandem up` runs for the data dir."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    port = settings.embedded_kafka_port or recorded_broker_port(settings.data_dir)
    if port is None:
        raise SettingsError(
            f"no broker is configured and no stack has run with the data dir "
            f"{settings.data_dir}: start one with `tandem up --data-dir {settings.data_dir}`, "
            "or give --kafka / TANDEM_KAFKA_BOOTSTRAP"
        )
    return f"127.0.0.1:{port}"


@dataclass
class Stack:
    settings: Settings
    say: Callable[[str], None] = print
    broker: EmbeddedBroker | None = None
    platform: Platform | None = None
    projectors: dict[str, Projector] = field(default_factory=dict)
    relay: Relay | None = None
    archiver: Archiver | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: uvicorn.Server | None = None
    retention_last: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    def start(self, ready_timeout: float = 60.0) -> None:
        try:
            self._start(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, ready_timeout: float) -> None:
        settings = self.settings
        os.umask(0o077)  # every file the stack (and its broker) creates: owner only
        try:
            secure_data_dir(settings.data_dir)
        except PermissionError as exc:
            raise StackError("data dir", str(exc)) from exc
        if settings.uses_embedded_broker:
            port = choose_broker_port(settings)
            self.broker = EmbeddedBroker(settings.data_dir / "broker", port)
            try:
                bootstrap = self.broker.start()
            except Exception as exc:
                raise StackError("broker", str(exc)) from exc
            self.say(f"  broker     embedded, {bootstrap} (data in {self.broker.data_dir})")
        else:
            bootstrap = settings.kafka_bootstrap or ""
            try:
                list_topics(bootstrap)
            except Exception as exc:
                raise StackError("broker", str(exc)) from exc
            self.say(f"  broker     external, {bootstrap}")

        self.platform = Platform(settings, bootstrap)
        try:
            created = self.platform.create_topics()
        except Exception as exc:
            raise StackError("topics", f"{exc.__class__.__name__}: {exc}") from exc
        try:
            self.platform.migrate()
        except Exception as exc:
            raise StackError("database", f"{exc.__class__.__name__}: {exc}") from exc
        self.say(
            f"  database   {self.platform.engine.url.render_as_string(hide_password=True)}"
            f" (migrated; {len(created)} topics created)"
        )

        self.relay = self.platform.relay()
        self._thread("relay", self.relay.run, self._stop, self.platform.commands.committed)
        with self.platform.engine.connect() as conn:
            stored = store.count(conn)
        self.say(f"  store      {stored} events; relay publishing to Kafka in order")

        for name in self.platform.projections:
            projector = self.platform.projector(name)
            self.projectors[name] = projector
            self._thread(f"projector-{name}", projector.run, self._stop, self.platform.published)
        self.archiver = self.platform.archiver()
        self._thread("archiver", self.archiver.run, self._stop, self.platform.published)
        self._thread("retention", self._retention_loop, self._stop)
        self._wait_for_projectors(ready_timeout)
        self.say(f"  services   {', '.join(self.projectors)} (projectors running; archiver on)")

        from services.intake.app import create_app

        app = create_app(
            self.platform,
            {name: p.status for name, p in self.projectors.items()},
            relay=self.relay.status,
        )
        config = uvicorn.Config(
            app, host=settings.http_host, port=settings.http_port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + ready_timeout
        while not self._server.started:
            if not thread.is_alive():
                raise StackError(
                    "web app", f"could not serve on {self.url} (is the port already in use?)"
                )
            if time.monotonic() > deadline:
                raise StackError("web app", f"not ready on {self.url} within {ready_timeout}s")
            time.sleep(0.05)
        (settings.data_dir / "stack.json").write_text(
            json.dumps({"url": self.url, "kafka": bootstrap}, indent=2)
        )

    def _retention_loop(self, stop: threading.Event) -> None:
        """Apply the agreement's retention now and then every interval, until stopped.

        A failed run is reported and tried again at the next interval; it never stops the
        stack. The first run waits a minute, so a stack that fails to start erases nothing.
        """
        from services.sharing.retention import RetentionJob

        assert self.platform is not None
        platform = self.platform
        job = RetentionJob(platform.sharing, platform.record)
        wait = min(60.0, float(self.settings.retention_interval_seconds))
        while not stop.wait(wait):
            wait = float(self.settings.retention_interval_seconds)
            try:
                report = job.run(platform.today())
            except Exception as exc:  # noqa: BLE001 - reported, retried next interval
                self.retention_last = f"failed: {exc.__class__.__name__}: {exc}"
                self.say(f"  retention  {self.retention_last}")
                continue
            self.retention_last = report.render().splitlines()[-1]
            if report.due:
                self.say(f"  retention  {self.retention_last}")

    def _thread(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _wait_for_projectors(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = {n: p.status.state for n, p in self.projectors.items()}
            if all(s == "running" for s in states.values()):
                return
            time.sleep(0.05)
        failing = {
            n: p.status.last_error
            for n, p in self.projectors.items()
            if p.status.state != "running"
        }
        raise StackError(f"projector(s) {', '.join(failing)}", str(failing))

    def wait(self) -> None:
        """Block until interrupted (Ctrl-C)."""
        while not self._stop.is_set():
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        if self.platform is not None:
            self.platform.published.ring()  # idle consumers wake to see the stop
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()
        if self.platform is not None:
            self.platform.close()
        if self.broker is not None:
            self.broker.stop()
