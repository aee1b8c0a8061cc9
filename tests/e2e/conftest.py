"""Browser tests: the web pages in real headless Chromium, on a real broker and SQLite.

Each test gets its own running Tandem: the session's broker (tests/conftest.py), a fresh
SQLite read-model database and topic prefix, every projector in a background thread (as
``tandem up`` runs them) and the web app served by uvicorn on a free loopback port, with
one account per role.

Chromium is Debian's ``chromium`` package (``scripts/install test`` installs it), driven by
Playwright for Python through ``executable_path``; no browser is downloaded. Set
``TANDEM_SCREENSHOTS=1`` to (re)write the screenshots in docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from services.bootstrap import Platform
from services.kernel.embedded_broker import free_port
from services.kernel.settings import PROJECT_ROOT, Settings
from tests.broker import drop_topics

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"

USERS = {
    "idva": ("idva-oxon", "referrer"),
    "housing": ("housing-oxford", "referrer"),
    "chair": ("marac-coord", "coordinator"),
    "analyst": ("tvp", "analyst"),
    "mappa": ("mappa-coord", "mappa_coordinator"),
    "dpo": ("idva-oxon", "dpo"),
}


def _chromium() -> str | None:
    configured = os.environ.get("TANDEM_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright (no downloaded browser)."""
    executable = _chromium()
    missing = None
    if executable is None:
        missing = "Chromium (Debian package chromium) is not installed: run scripts/install test"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed: run scripts/install test"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing + " (CI needs the browser tests)")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """SQLite only: the browser tests check pages, not the database (integration tests do)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'readmodels.db'}",
        vault_url=f"sqlite:///{tmp_path / 'vault.db'}",
        topic_prefix=f"t{uuid.uuid4().hex[:10]}",
        topic_partitions=3,
    )


@pytest.fixture
def platform(settings: Settings, kafka_bootstrap: str) -> Iterator[Platform]:
    platform = Platform(settings, kafka_bootstrap)
    platform.prepare()
    try:
        yield platform
    finally:
        platform.close()
        drop_topics(platform)


@dataclass
class Site:
    """A running Tandem: its URL, its platform, and its sign-in accounts."""

    url: str
    platform: Platform
    users: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(USERS))

    def sign_in(self, page, who: str) -> None:
        page.goto(f"{self.url}/sign-in")
        page.get_by_label("Username").fill(who)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.url}/")


@pytest.fixture
def site(platform: Platform) -> Iterator[Site]:
    from services.intake.accounts import Accounts
    from services.intake.app import create_app

    accounts = Accounts(platform.settings.vault_database_url)
    for username, (agency, role) in USERS.items():
        accounts.add(username, agency, role, PASSWORD)
    accounts.close()

    stop = threading.Event()
    projectors = {name: platform.projector(name) for name in platform.projections}
    threads = [
        threading.Thread(target=p.run, args=(stop,), name=f"projector-{n}", daemon=True)
        for n, p in projectors.items()
    ]
    relay = platform.relay()
    threads.append(
        threading.Thread(
            target=relay.run, args=(stop, platform.commands.committed), name="relay", daemon=True
        )
    )
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while any(p.status.state != "running" for p in projectors.values()):
        assert time.monotonic() < deadline, {n: p.status for n, p in projectors.items()}
        time.sleep(0.05)

    port = free_port()
    app = create_app(platform, {n: p.status for n, p in projectors.items()}, relay.status)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    web = threading.Thread(target=server.run, name="web", daemon=True)
    web.start()
    while not server.started:
        assert web.is_alive(), "the web app did not start"
        assert time.monotonic() < deadline, "the web app did not start in time"
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", platform)
    finally:
        server.should_exit = True
        stop.set()
        web.join(timeout=15)
        for thread in threads:
            thread.join(timeout=15)
        for projector in projectors.values():
            projector.close()


@pytest.fixture
def context(browser):
    # bypass_csp lets the test inject axe-core; the pages' own policy is checked separately.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def new_page(browser):
    """Another user's browser: a separate context (its own cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def check_accessibility(page, label: str) -> None:
    """axe-core in the page: no violation of serious or critical impact."""
    assert AXE.is_file(), f"axe-core not found at {AXE}: run scripts/install test (npm install)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{label}: accessibility violations:\n" + "\n".join(serious)


def screenshot(page, name: str) -> None:
    """docs/screenshots/<name>.png, only when TANDEM_SCREENSHOTS=1."""
    if os.environ.get("TANDEM_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
