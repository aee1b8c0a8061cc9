"""`tandem up` as a whole: starts, reports health, restarts with its data, names what failed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.kernel.bus import BrokerUnavailable, Publisher
from services.kernel.embedded_broker import free_port
from services.kernel.settings import Settings
from services.stack import Stack, StackError
from tests.factories import referral_event

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def embedded_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(
        data_dir=data_dir,
        embedded_kafka_port=free_port(),
        http_port=free_port(),
        **overrides,
    )


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_lag_zero(url: str, timeout: float = 30, token: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = get_json(url + "/health", token)
        if status == 200 and all(s["lag"] == 0 for s in body["services"].values()):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"lag did not reach zero: {body}")
        time.sleep(0.2)


def test_up_serves_health_and_restarts_with_its_data(tmp_path):
    settings = embedded_settings(tmp_path / "data")
    said: list[str] = []
    stack = Stack(settings, say=said.append)
    stack.start()
    try:
        assert any(line.strip().startswith("broker     embedded") for line in said)
        body = wait_for_lag_zero(stack.url)
        assert body["status"] == "ok"
        assert set(body["services"]) >= {"marac", "sharing"}
        stack.platform.publisher.publish([referral_event(case_id="c-kept")])
        token = stack.platform.tokens.issue("ops", "marac-coord", "coordinator")
        body = wait_for_lag_zero(stack.url, token=token)
        assert body["services"]["marac"]["applied"] >= 1
    finally:
        stack.stop()

    again = Stack(settings.with_overrides(http_port=free_port()), say=lambda _: None)
    again.start()
    try:
        token = again.platform.tokens.issue("ops", "marac-coord", "coordinator")
        body = wait_for_lag_zero(again.url, token=token)
        with again.platform.engine.connect() as conn:
            kept = conn.exec_driver_sql("select case_id from marac_cases").scalars().all()
        assert kept == ["c-kept"]
        cases_topic = f"{settings.topic_prefix}.marac.cases"
        assert body["services"]["marac"]["lag_by_topic"][cases_topic] == 0
    finally:
        again.stop()


def test_up_names_the_broker_when_its_port_is_taken(tmp_path, kafka_bootstrap):
    taken = int(kafka_bootstrap.rsplit(":", 1)[1])
    settings = embedded_settings(tmp_path / "data").with_overrides(embedded_kafka_port=taken)
    with pytest.raises(StackError) as caught:
        Stack(settings, say=lambda _: None).start()
    assert caught.value.component == "broker"
    assert f"port {taken} is already in use" in str(caught.value)


def test_two_data_dirs_get_their_own_broker_port_and_commands_find_it(tmp_path, kafka_bootstrap):
    """The broker port was fixed at 19092, so a second stack (or a leftover broker) blocked
    every start; now each data dir keeps its own free port and commands read it from there."""
    taken = int(kafka_bootstrap.rsplit(":", 1)[1])
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir(mode=0o700)
    (first_dir / "broker-port").write_text(f"{taken}\n")  # its port is now someone else's
    (first_dir / "broker-port").chmod(0o600)
    stacks = [
        Stack(Settings(data_dir=d, http_port=free_port()), say=lambda _: None)
        for d in (first_dir, second_dir)
    ]
    try:
        for stack in stacks:
            stack.start()
        ports = [int((d / "broker-port").read_text()) for d in (first_dir, second_dir)]
        assert taken not in ports and ports[0] != ports[1]
        status = subprocess.run(
            [sys.executable, "-m", "services.cli", "status", "--data-dir", str(second_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=PROJECT_ROOT,
        )
        assert status.returncode == 0, status.stderr
        assert f"127.0.0.1:{ports[1]}" in status.stdout
    finally:
        for stack in stacks:
            stack.stop()


def test_commands_that_need_a_broker_say_how_to_start_one(tmp_path):
    fresh = tmp_path / "never-started"
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "status", "--data-dir", str(fresh)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2
    assert f"tandem up --data-dir {fresh}" in result.stderr
    token = subprocess.run(
        [sys.executable, "-m", "services.cli", "token", "--data-dir", str(fresh),
         "--agency", "marac-coord", "--role", "coordinator"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert token.returncode == 0, token.stderr
    assert token.stdout.startswith("tdm2.")


def test_up_names_the_database_when_it_cannot_be_reached(tmp_path, kafka_bootstrap):
    settings = embedded_settings(
        tmp_path / "data",
        kafka_bootstrap=kafka_bootstrap,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    with pytest.raises(StackError) as caught:
        Stack(settings, say=lambda _: None).start()
    assert caught.value.component == "database"
    assert "database did not start" in str(caught.value)


def test_publishing_to_a_broker_that_is_down_fails_loudly(platform):
    down = f"127.0.0.1:{free_port()}"
    publisher = Publisher(down, platform.codec, platform.topics)  # connects on first send
    with pytest.raises(BrokerUnavailable) as caught:
        publisher.publish([referral_event()])
    assert f"Kafka broker at {down} is not reachable" in str(caught.value)


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120,
    )  # fmt: skip


def test_cli_publish_validates_every_line_before_sending_any(platform, tmp_path):
    import os

    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(platform.settings.data_dir),
        "TANDEM_KAFKA_BOOTSTRAP": platform.bootstrap,
        "TANDEM_DATABASE_URL": platform.settings.resolved_database_url,
        "TANDEM_VAULT_DATABASE_URL": platform.settings.vault_database_url,
        "TANDEM_TOPIC_PREFIX": platform.settings.topic_prefix,
    }
    good = {"event_type": "MeetingScheduled", "aggregate_id": "m-1", "agency": "marac-coord",
            "payload": {"meeting_id": "m-1", "marac_area": "oxford", "meeting_date": "2026-12-10",
                        "cutoff_date": "2026-12-03", "capacity": 20}}  # fmt: skip
    bad = json.loads(json.dumps(good))
    bad["payload"]["capacity"] = "twenty"
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")

    refused = run_cli("publish", str(lines), env=env)
    assert refused.returncode != 0
    assert "line 2: MeetingScheduled: capacity: expected a whole number" in refused.stderr

    lines.write_text(json.dumps(good) + "\n")
    sent = run_cli("publish", str(lines), env=env)
    assert sent.returncode == 0, sent.stderr
    assert f"-> {platform.settings.topic_prefix}.marac.meetings[" in sent.stdout
    assert sent.stdout.count("MeetingScheduled") == 1  # the refused run sent nothing

    tail = run_cli("tail", "marac.meetings", "--from-beginning", "--compact", env=env)
    assert tail.returncode == 0, tail.stderr
    [line] = tail.stdout.strip().splitlines()
    assert json.loads(line)["payload"]["capacity"] == 20


def _leaf_commands(parser, path=()):
    """Every runnable (sub)command's parser, with its path, e.g. ("user", "add")."""
    import argparse

    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        yield path, parser
        return
    for name, sub in actions[0].choices.items():
        yield from _leaf_commands(sub, (*path, name))


def test_every_command_has_help():
    from services.cli import build_parser

    leaves = dict(_leaf_commands(build_parser()))
    assert ("up",) in leaves and ("user", "add") in leaves
    for path, sub in leaves.items():
        text = sub.format_help()
        assert sub.description, path
        assert "--data-dir" in text, path


def _processes_using(path: Path) -> list[str]:
    """Command lines of live processes that name ``path`` (e.g. a broker on its data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def test_sigterm_stops_tandem_up_and_every_process_it_started(tmp_path):
    import os
    import signal

    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_EMBEDDED_KAFKA_PORT": str(free_port()),
        "TANDEM_HTTP_PORT": str(free_port()),
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("TANDEM_KAFKA_BOOTSTRAP", None)
    up = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert up.stdout is not None
        for line in up.stdout:
            lines.append(line)
            if "Tandem is running" in line:
                break
        assert any("Tandem is running" in line for line in lines), "".join(lines)
        assert _processes_using(data_dir / "broker"), "the embedded broker should be running"
        up.send_signal(signal.SIGTERM)
        rest, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, "".join(lines) + rest
    assert "Stopped." in rest
    assert _processes_using(data_dir / "broker") == []


def test_the_data_dir_is_owner_only_and_a_wider_one_is_refused(tmp_path):
    import os
    import stat

    data_dir = tmp_path / "data"
    os.umask(0o022)  # a permissive umask: the stack must not depend on the caller's
    stack = Stack(embedded_settings(data_dir), say=lambda _: None)
    stack.start()
    stack.stop()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    wide = [
        p
        for p in [data_dir, *data_dir.rglob("*")]
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert wide == []
    for name in ("tandem.db", "vault.db"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600

    (data_dir / "tandem.db").chmod(0o644)
    with pytest.raises(StackError) as refused:
        Stack(embedded_settings(data_dir), say=lambda _: None).start()
    assert "tandem.db" in str(refused.value) and "chmod -R go-rwx" in str(refused.value)
    (data_dir / "tandem.db").chmod(0o600)
    data_dir.chmod(0o755)
    with pytest.raises(StackError) as refused:
        Stack(embedded_settings(data_dir), say=lambda _: None).start()
    assert "0755" in str(refused.value)
