"""App page timings: every page's main action on a 26- and a 149-server cluster, as the pages call core.

Run: python -m bench pages. Drives the real app with Streamlit's AppTest (in-process, no browser), so a time
is what the server spends on one rerun: the page script, the core calls behind it and building the figures;
the browser's drawing is not included. Caches are cleared before every action (a cold click). The clusters
are bench/synth.py's: servers scattered over the globe, 20% A100 and the rest MIG, BLOOM-176B, and the paper's
scattered workload (100 requests at 0.5 requests/s, l_in 20, l_out 128).
"""
from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from core import api, perf, scenario
from ui import state

from .scale import markdown, write_csv
from .synth import synthetic

APP = Path(__file__).resolve().parent.parent / "app.py"
# (page file, button key or None to time opening the page, what the action is)
ACTIONS = [
    ("pages/home.py", "home_compare", "Home: compare against PETALS"),
    ("pages/cluster.py", None, "Cluster: open the map editor"),
    ("pages/placement.py", "run_placement", "Placement: run CG-BP and PETALS side by side"),
    ("pages/routing.py", "run_simulation", "Routing: simulate proposed, chains map and timeline"),
    ("pages/compare.py", "run_compare", "Compare: 4 policies x 3 seeds"),
    ("pages/what_if.py", "run_sweep", "What-if: default sweep, 5 rates x 4 policies x 3 seeds"),
]


def bench_scenario(n_servers: int) -> scenario.Scenario:
    """The cluster a page timing runs on."""
    return synthetic(n_servers, 100, rate_per_s=0.5, seed=1)


def _app_with(scn: scenario.Scenario) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=900)
    at.session_state[state._K_SCN] = scenario.dumps(scn)
    at.session_state[state._K_UNDO] = []
    at.session_state[state._K_REDO] = []
    at.session_state[state._K_RESULTS] = {}
    return at.run()


def time_actions(n_servers: int) -> list[dict]:
    """Seconds per page action (cold caches) on an n-server cluster."""
    scn = bench_scenario(n_servers)
    at = _app_with(scn)
    rows = []
    for page, key, what in ACTIONS:
        st.cache_data.clear()
        t = time.perf_counter()
        at.switch_page(page).run()
        if key is not None:
            st.cache_data.clear()
            t = time.perf_counter()
            at.button(key=key).click().run()
        sec = time.perf_counter() - t
        if at.exception or at.error:
            raise RuntimeError(f"{what}: {[e.value for e in at.exception] or [e.value for e in at.error]}")
        rows.append({"servers": n_servers, "action": what, "seconds": sec})
    return rows


def core_calls(n_servers: int) -> list[dict]:
    """The bare core calls behind the placement and routing pages, for comparison."""
    scn = bench_scenario(n_servers)
    rows = []
    for what, fn in (("core: derive + place cgbp", lambda: api.place(scn, "cgbp", perf.derive(scn))),
                     ("core: derive + place petals", lambda: api.place(scn, "petals", perf.derive(scn))),
                     ("core: simulate proposed", lambda: api.simulate(scn, "proposed")),
                     ("core: simulate petals", lambda: api.simulate(scn, "petals"))):
        t = time.perf_counter()
        fn()
        rows.append({"servers": n_servers, "action": what, "seconds": time.perf_counter() - t})
    return rows


def page_timings(sizes=(26, 149)) -> str:
    """Markdown tables of page-action and core-call times."""
    rows = []
    for n in sizes:
        rows += time_actions(n) + core_calls(n)
    write_csv("pages", rows)
    return markdown(rows, ["servers", "action", "seconds"])
