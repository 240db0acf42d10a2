"""One real-browser test per page: wait for it, use its main action, check there is no exception box, and save a
screenshot under test-artifacts/. The cluster test adds a server with a real mouse click on the map canvas."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from core import scenario as scn_mod
from ui import maps

expect = pytest.importorskip("playwright.sync_api").expect
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SAMPLE = Path(__file__).resolve().parents[2] / "sample_clusters" / "teaching_small.json"


def _pixel(box: dict, view, lat: float, lon: float) -> tuple[float, float]:
    """Screen position of (lat, lon) in a deck of bounding box `box` showing `view`."""
    dx, dy = maps._screen_xy(lat, lon, view)
    return box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy


def _click_map_until(app, x_frac: float, y_frac: float, effect, tries: int = 6) -> None:
    """Click the deck canvas until `effect` shows (deck.gl picking is ready only after its first full render)."""
    deck = app.page.locator('[data-testid="stDeckGlJsonChart"]').first
    expect(deck.locator("canvas").first).to_be_visible(timeout=60_000)
    box = deck.bounding_box()
    for _ in range(tries):
        app.page.mouse.click(box["x"] + box["width"] * x_frac, box["y"] + box["height"] * y_frac)
        try:
            expect(effect).to_be_visible(timeout=4_000)
            return
        except AssertionError:
            # a second click on the same object deselects it, so wait before trying again
            time.sleep(1.5)
    expect(effect).to_be_visible(timeout=1_000)


def test_home_compare(app):
    """Home: the one-click comparison against PETALS shows per-token times in s/token."""
    app.goto("")
    expect(app.page.get_by_role("heading", name="Swarmscope")).to_be_visible()
    app.page.get_by_role("button", name="Compare against PETALS").click()
    expect(app.page.get_by_text("Per-token time reduction vs PETALS")).to_be_visible(timeout=60_000)
    expect(app.page.get_by_text("s/token").first).to_be_visible()
    app.wait_ready()
    app.no_exception()
    app.shot("home")
    with app.page.expect_download() as download:
        app.page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert scn_mod.loads(text) == scn_mod.load(str(SAMPLE))


def test_cluster_click_to_add(app):
    """Cluster: a real click on the map picks a site, "Add server here" adds a sixth server."""
    app.goto("cluster")
    expect(app.page.get_by_text("5 servers, 1 clients")).to_be_visible()
    app.shot("cluster_before")
    # Central France in the teaching sample's view: land, away from every server and label
    add = app.page.get_by_role("button", name="Add server here")
    _click_map_until(app, 0.42, 0.35, add)
    app.wait_ready()
    app.shot("cluster_picked")
    expect(app.page.get_by_text("Picked", exact=True)).to_have_count(0)  # the heading reads "Picked <site>"
    add.click()
    expect(app.page.get_by_text("6 servers, 1 clients")).to_be_visible(timeout=30_000)
    expect(app.page.get_by_text("Added server", exact=False)).to_be_visible()
    app.wait_ready()
    app.no_exception()
    app.shot("cluster_added")


def test_cluster_click_a_server_shows_its_links(app):
    """Cluster: clicking the Stockholm server's marker selects it and lists its RTTs (ms)."""
    app.goto("cluster")
    scn = scn_mod.load(str(SAMPLE))
    target = next(s for s in scn.servers if s.name.startswith("Stockholm"))
    deck = app.page.locator('[data-testid="stDeckGlJsonChart"]').first
    expect(deck.locator("canvas").first).to_be_visible(timeout=60_000)
    view = maps.cluster_deck(scn).initial_view_state
    x, y = _pixel(deck.bounding_box(), view, target.lat, target.lon)
    box = deck.bounding_box()
    _click_map_until(app, (x - box["x"]) / box["width"], (y - box["y"]) / box["height"],
                     app.page.get_by_role("button", name=f"Remove {target.name}"))
    app.wait_ready()
    expect(app.page.get_by_text(f"Server {target.name}")).to_be_visible()
    grid = app.page.locator('[data-testid="stDataFrame"]').filter(has_text="raw RTT (ms)")
    expect(grid).to_be_visible()  # the RTT table of the picked server
    app.wait_ready()
    app.no_exception()
    app.shot("cluster_links")


def test_direct_page_url_on_fresh_server(browser, fresh_app_url):
    """A bookmark to /cluster on a just-started server shows the app's navigation (titles, wide layout)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pg = ctx.new_page()
        pg.goto(f"{fresh_app_url}/cluster")
        pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        nav = pg.locator('[data-testid="stSidebarNav"]')
        expect(nav).to_be_visible()
        expect(nav.get_by_text("Simulate & compare")).to_be_visible(timeout=5_000)
        expect(nav.get_by_text("app")).to_have_count(0)  # the legacy menu lists app.py as "app"
        expect(pg.get_by_role("heading", name="Cluster map editor")).to_have_count(1)  # rendered once, not twice
        expect(pg.locator('[data-testid="stDeckGlJsonChart"] canvas').first).to_be_visible(timeout=60_000)
        pg.screenshot(path=str(ARTIFACTS / "direct_url_cluster.png"), full_page=True)
        assert pg.locator('[data-testid="stException"]').count() == 0
    finally:
        ctx.close()


def _run_page(app, path: str, button: str, effect_text: str, name: str, timeout_ms: int = 120_000) -> None:
    """Open a page, press its main button, wait for its result and a chart, check and screenshot."""
    app.goto(path)
    app.page.get_by_role("button", name=button).click()
    expect(app.page.get_by_text(effect_text).first).to_be_visible(timeout=timeout_ms)
    app.wait_ready(timeout_ms)
    expect(app.page.locator('[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"]').first) \
        .to_be_visible(timeout=timeout_ms)
    app.no_exception()
    app.shot(name)


def test_placement_page(app):
    """Placement: run the placement and see its charts."""
    _run_page(app, "placement", "Run placement", "blocks", "placement")


def test_routing_page(app):
    """Routing / chains: simulate and see the chains map and the session timeline."""
    _run_page(app, "routing", "Run simulation", "request", "routing")
    expect(app.page.locator('[data-testid="stDeckGlJsonChart"] canvas').first).to_be_visible()


def test_compare_page(app):
    """Simulate & compare: run the default comparison and see the summary."""
    _run_page(app, "compare", "Run comparison", "Summary", "compare")
    app.page.get_by_role("button", name="Solve for the optimum").click()
    expect(app.page.locator('[data-testid="stDataFrame"]').filter(has_text="|R| (concurrent requests)")) \
        .to_be_visible(timeout=120_000)
    app.wait_ready()
    app.no_exception()
    app.shot("compare_optimum")


def test_what_if_page(app):
    """What-if / capacity: run the default sweep and see its chart."""
    _run_page(app, "what_if", "Run sweep", "Plot", "what_if", timeout_ms=240_000)
