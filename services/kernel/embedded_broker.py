"""The embedded Kafka-protocol broker for the one-machine default and the tests.

It is the ``noida-db`` binary from PyPI, started with only its Kafka service, on loopback, with
its data under Tandem's data dir so a restart keeps every event.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BINARY = "noida-db"


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker did not start; the message says why and where its log is."""


def find_binary() -> str:
    """The broker binary itself, from the installed package first.

    The package's console script (``.venv/bin/noida-db``) is a Python launcher that starts the
    binary as a child; signalling the launcher alone left that child running, holding the port
    and the data dir, so Tandem runs the packaged binary directly.
    """
    try:
        from importlib.resources import files

        packaged = files("noida_db").joinpath(BINARY)
        if packaged.is_file():
            if not os.access(str(packaged), os.X_OK):
                os.chmod(str(packaged), 0o755)
            return str(packaged)
    except ModuleNotFoundError:
        pass
    beside_python = Path(sys.executable).parent / BINARY
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(BINARY)
    if found:
        return found
    raise EmbeddedBrokerError(
        f"the {BINARY} binary was not found; install Tandem with `pip install -e .` "
        "(it depends on the noida-db package), or set TANDEM_KAFKA_BOOTSTRAP to an existing Kafka"
    )


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedBroker:
    """Start, wait for and stop one embedded broker process."""

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1"):
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.log_path = data_dir / "broker.log"
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> str:
        if port_is_open(self.host, self.port):
            raise EmbeddedBrokerError(
                f"port {self.port} is already in use, so the embedded broker cannot start; "
                "stop what is using it, pick another with TANDEM_EMBEDDED_KAFKA_PORT, or point "
                "Tandem at that broker with --kafka"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the handle
            self._process = self._spawn(log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedBrokerError(
                    f"the embedded broker exited with code {self._process.returncode}; "
                    f"see {self.log_path}"
                )
            if port_is_open(self.host, self.port):
                return self.bootstrap
            time.sleep(0.1)
        self.stop()
        raise EmbeddedBrokerError(
            f"the embedded broker did not listen on {self.bootstrap} within {timeout:.0f}s; "
            f"see {self.log_path}"
        )

    def _spawn(self, log) -> subprocess.Popen:
        return subprocess.Popen(
            [
                find_binary(),
                "start",
                "--only",
                "kafka",
                "--kafka-port",
                str(self.port),
                "--host",
                self.host,
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process, signal.SIGINT)  # lets the broker save its data
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _signal_group(process, signal.SIGKILL)  # anything it started goes with it

    def kill(self) -> None:
        """SIGKILL, no chance to save: what a crash or the OOM killer does (for tests)."""
        process, self._process = self._process, None
        if process is not None:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    """Signal the broker's whole process group (it runs in a session of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
