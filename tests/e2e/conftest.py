"""Browser-test harness: one `streamlit run app.py` per session on a free loopback port, Playwright driving
Debian's chromium, every request recorded so a test fails if anything but localhost is contacted.

Skips cleanly when playwright or /usr/bin/chromium is missing. Screenshots go to test-artifacts/ (gitignored).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SWARMSCOPE_CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# Flags from the shared notes: headless, no sandbox in containers, software GL, and no background traffic
# (component updates, sync, QUIC probes) so that the offline check only sees what the app asks for.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-default-apps", "--disable-extensions"]

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # the whole folder is skipped below
    Page = expect = sync_playwright = None

if sync_playwright is None:
    SKIP_REASON = "playwright is not installed (pip install -r requirements-dev.txt)"
elif not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    SKIP_REASON = f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
else:
    SKIP_REASON = None


def pytest_collection_modifyitems(config, items):
    """Skip every browser test (cleanly, with the reason) when playwright or chromium is missing."""
    if SKIP_REASON is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(log_name: str = "streamlit.log"):
    """Run `streamlit run app.py` on a free loopback port (headless, no file watcher, no telemetry); yield its URL."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),  # .streamlit/config.toml turns usage stats off
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (exit {proc.poll()}); see test-artifacts/{log_name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def app_url():
    """The app, started once for the session."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def ready_url(browser, app_url) -> str:
    """The app after one visit to its root. Until some session has run app.py (and so st.navigation), Streamlit
    runs a fresh server in its legacy pages/-folder mode (see test_direct_page_url_on_fresh_server)."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.goto(app_url)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    pg.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    ctx.close()
    return app_url


@pytest.fixture
def requests_seen() -> list[str]:
    """Every URL the page requests during a test (filled by the `page` fixture)."""
    return []


@pytest.fixture
def page(browser, requests_seen, request):
    """A fresh page that records requests; after the test, asserts only localhost was contacted."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.on("request", lambda r: requests_seen.append(r.url))
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()
    foreign = sorted({u for u in requests_seen if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in LOCAL_HOSTS})
    assert not foreign, f"{request.node.name} contacted hosts other than localhost: {foreign}"


class AppDriver:
    """What the page tests need: open an app page, wait for reruns, check for exceptions, save screenshots."""

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url

    def wait_ready(self, timeout_ms: int = 60_000) -> None:
        """Wait until the app is connected and its script has finished running."""
        self.page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                                    timeout=timeout_ms)
        self.page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                    timeout=timeout_ms)

    def goto(self, path: str = "") -> None:
        """Open one of the app's pages by its URL path ("" for Home) and wait for it."""
        self.page.goto(f"{self.url}/{path}")
        self.wait_ready()

    def no_exception(self) -> None:
        """Assert that no exception box is shown."""
        expect(self.page.locator('[data-testid="stException"]')).to_have_count(0)

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot as test-artifacts/<name>.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # Streamlit scrolls inside stMain, so full_page alone captures one screen: grow the viewport instead
        size = self.page.viewport_size
        height = self.page.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 0; }")
        self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 6000))})
        try:
            self.page.wait_for_timeout(500)
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path


@pytest.fixture
def app(page, ready_url) -> AppDriver:
    """The app in a fresh browser page (a new Streamlit session, so the default scenario)."""
    return AppDriver(page, ready_url)


@pytest.fixture
def fresh_app_url():
    """A second, freshly started app that no session has visited yet."""
    with streamlit_server("streamlit_fresh.log") as url:
        yield url
