"""AppTest: the Routing / chains page simulates a policy, shows core's numbers per request, highlights a selected
chain, keeps results across pages and reports an infeasible cluster with st.error."""
from __future__ import annotations

import dataclasses
import json

import pytest
from streamlit.testing.v1 import AppTest

from core import api, scenario as scn_mod
from core.errors import Infeasible
from tests.helpers import ROOT, SAMPLES
from ui.state import _K_SCN

PAGE = "pages/routing.py"


@pytest.fixture
def scn():
    return scn_mod.load(str(SAMPLES / "teaching_small.json"))


@pytest.fixture
def at():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _deck(at):
    (d,) = at.get("deck_gl_json_chart")
    return {layer["id"]: layer for layer in json.loads(d.proto.json)["layers"]}


def test_simulation_shows_core_numbers(at, scn):
    assert at.info and not at.metric  # nothing before the button
    at.button(key="run_simulation").click().run()
    assert not at.exception and not at.error
    res = api.simulate(scn, "proposed")
    s = res.summary
    assert _metrics(at) == {
        "mean per-token time": f"{s['avg_per_token_ms'] / 1e3:.3f} s/token",
        "mean time to first token": f"{s['avg_ttft_ms'] / 1e3:.1f} s",
        "mean wait for cache": f"{s['avg_wait_ms'] / 1e3:.1f} s",
        "peak concurrent requests": f"{s['max_concurrent']} requests"}
    table = at.dataframe[0].value
    assert len(table) == len(res.records) == scn.workload.n_requests
    for (_, row), rec in zip(table.iterrows(), res.records):
        assert row["arrival (s)"] == pytest.approx(rec.arrival_ms / 1e3)
        assert row["time (s)"] == pytest.approx(rec.time_ms / 1e3)
        assert row["wait (s)"] == pytest.approx(rec.wait_ms / 1e3)
        assert row["chain (server [blocks))"].split(" → ")[0].split(" ")[0] == rec.path[0]
    deck = _deck(at)
    assert len(deck["chains"]["data"]) == sum(len(r.path) for r in res.records)  # one spoke per hop
    assert "highlight" not in deck
    assert len(at.get("plotly_chart")) == 2  # sessions timeline and cache occupancy


def test_selecting_a_request_highlights_its_chain(at, scn):
    at.button(key="run_simulation").click().run()
    at.session_state["rt_table"] = {"selection": {"rows": [5], "columns": []}}
    at.run()
    assert not at.exception
    rec = api.simulate(scn, "proposed").records[5]
    assert any(c.value.startswith(f"Request 5 from {rec.client}:") for c in at.caption)
    deck = _deck(at)
    assert [row["server"] for row in deck["highlight"]["data"]] == list(rec.path)
    assert [row["k"] for row in deck["highlight"]["data"]] == list(rec.k)


def test_colour_by_wait_and_another_policy(at, scn):
    at.radio(key="rt_color").set_value("wait").run()
    at.selectbox(key="rt_policy").set_value("petals").run()
    assert at.info and not at.metric
    at.button(key="run_simulation").click().run()
    assert not at.exception
    s = api.simulate(scn, "petals").summary
    assert _metrics(at)["mean per-token time"] == f"{s['avg_per_token_ms'] / 1e3:.3f} s/token"


def test_results_survive_a_page_change(at):
    at.button(key="run_simulation").click().run()
    shown = _metrics(at)
    at.switch_page("pages/compare.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert _metrics(at) == shown


def test_infeasible_cluster_is_an_error_and_the_scenario_stays(at, scn):
    bad = scn_mod.with_changes(scn, policy=dataclasses.replace(scn.policy, R=100_000))
    at.session_state[_K_SCN] = scn_mod.dumps(bad)
    at.run()
    before = at.session_state[_K_SCN]
    at.button(key="run_simulation").click().run()
    assert not at.exception
    with pytest.raises(Infeasible) as e:
        api.simulate(bad, "proposed")
    assert [x.value for x in at.error] == [str(e.value)]
    assert at.session_state[_K_SCN] == before
    assert not at.get("deck_gl_json_chart")


def test_a_stale_selection_beyond_the_table_is_ignored(at, scn):
    short = scn_mod.with_changes(scn, workload=dataclasses.replace(scn.workload, n_requests=5))
    at.session_state[_K_SCN] = scn_mod.dumps(short)
    at.run()
    at.button(key="run_simulation").click().run()
    at.session_state["rt_table"] = {"selection": {"rows": [40], "columns": []}}
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 5
    assert "highlight" not in _deck(at)
