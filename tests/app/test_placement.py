"""AppTest: the Placement page runs two placements, shows core's numbers, keeps them across pages, and turns an
infeasible cluster into st.error while the scenario stays."""
from __future__ import annotations

import dataclasses
import json

import pytest
from streamlit.testing.v1 import AppTest

from core import api, scenario as scn_mod
from core.errors import Infeasible
from tests.helpers import ROOT, SAMPLES
from ui.state import _K_SCN

PAGE = "pages/placement.py"
SPAN_COL = "span (0-based, [start, end))"


@pytest.fixture
def scn():
    return scn_mod.load(str(SAMPLES / "teaching_small.json"))


@pytest.fixture
def at():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _server_tables(at):
    return [d.value for d in at.dataframe if SPAN_COL in d.value.columns]


def test_run_shows_the_numbers_core_computes(at, scn):
    at.button(key="run_placement").click().run()
    assert not at.exception and not at.error
    p, q = api.place(scn, "cgbp"), api.place(scn, "petals")
    assert _metric(at, "K (servers to cover |R|)") == f"{p.info['K']}"
    assert _metric(at, "Theorem-2 bound (ms/token)") == f"{p.info['bound_ms']:.1f}"
    assert _metric(at, "|R| placed for (requests)") == f"{p.info['R']}"
    assert _metric(at, "cache slots (block-sessions)") == f"{sum(p.cache_slots)}"
    order = at.dataframe[0].value
    assert list(order["server"]) == p.info["order"]
    ids = scn.server_ids
    assert list(order["t~ (ms/token per block)"]) == pytest.approx([p.info["t_tilde_ms"][ids.index(s)]
                                                                     for s in p.info["order"]])
    a, b = _server_tables(at)
    for table, pl in ((a, p), (b, q)):
        assert list(table["blocks"]) == [e - s for s, e in zip(pl.start, pl.end)]
        assert list(table[SPAN_COL]) == [f"[{s}, {e})" for s, e in zip(pl.start, pl.end)]
        assert list(table["cache slots (block-sessions)"]) == list(pl.cache_slots)
    # both maps label each server with its span
    decks = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    assert len(decks) == 2
    labels = [row["label"] for layer in decks[0]["layers"] if layer["id"] == "labels" for row in layer["data"]]
    assert any(f"[{p.start[0]}, {p.end[0]})" in x for x in labels)
    assert len(at.get("plotly_chart")) == 4  # spans and capacity, per side


def test_fixed_R_and_another_algorithm(at, scn):
    at.toggle(key="pl_auto_A").set_value(False).run()
    at.number_input(key="pl_R_A").set_value(4).run()
    at.selectbox(key="pl_alg_B").set_value("petals-opt-num").run()
    at.button(key="run_placement").click().run()
    assert not at.exception and not at.error
    fixed = scn_mod.with_changes(scn, policy=dataclasses.replace(scn.policy, R=4))
    p = api.place(fixed, "cgbp")
    assert _metric(at, "|R| placed for (requests)") == "4"
    assert _metric(at, "K (servers to cover |R|)") == f"{p.info['K']}"
    q = api.place(scn, "petals-opt-num")  # side B keeps its own setting: |R| from the arrival rate
    assert list(_server_tables(at)[1]["blocks"]) == [e - s for s, e in zip(q.start, q.end)]
    # keeping |R| writes it into the scenario, as an undoable edit
    before = at.session_state[_K_SCN]
    at.button(key="pl_keepR_A").click().run()
    assert scn_mod.loads(at.session_state[_K_SCN]).policy.R == 4
    assert at.session_state[_K_SCN] != before


def test_infeasible_R_is_an_error_and_the_scenario_stays(at, scn):
    before = at.session_state[_K_SCN]
    at.toggle(key="pl_auto_A").set_value(False).run()
    at.number_input(key="pl_R_A").set_value(100_000).run()
    at.button(key="run_placement").click().run()
    assert not at.exception
    with pytest.raises(Infeasible) as e:
        api.place(scn_mod.with_changes(scn, policy=dataclasses.replace(scn.policy, R=100_000)), "cgbp")
    assert [x.value for x in at.error] == [str(e.value)]
    assert at.session_state[_K_SCN] == before
    assert len(_server_tables(at)) == 1  # side B (PETALS, no |R|) still placed


def test_results_and_choices_survive_a_page_change(at):
    at.selectbox(key="pl_alg_B").set_value("petals-opt-order").run()
    at.button(key="run_placement").click().run()
    k = _metric(at, "K (servers to cover |R|)")
    at.switch_page("pages/routing.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert _metric(at, "K (servers to cover |R|)") == k
    assert at.selectbox(key="pl_alg_B").value == "petals-opt-order"
    assert len(_server_tables(at)) == 2


def test_a_new_scenario_drops_old_results(at, scn):
    at.button(key="run_placement").click().run()
    assert at.metric
    changed = scn_mod.with_changes(scn, workload=dataclasses.replace(scn.workload, rate_per_s=0.05))
    at.session_state[_K_SCN] = scn_mod.dumps(changed)
    at.run()
    assert not at.metric and at.info  # results belong to the scenario they were computed for


def test_milp_reports_status_bound_and_gap(at):
    from core.placement import PLACERS

    if "milp" not in PLACERS:
        pytest.skip("no MILP placer registered")
    at.selectbox(key="pl_alg_B").set_value("milp").run()
    at.number_input(key="pl_milp_B").set_value(1.0).run()
    at.button(key="run_placement").click().run()
    assert not at.exception
    if at.error:  # no incumbent within 1 s is a legitimate, explained outcome
        assert "milp_time_limit_s" in at.error[0].value
        return
    labels = {m.label for m in at.metric}
    assert {"solver status", "per-token time, objective (ms/token)"} <= labels
    assert any("MILP limit 1 s" in c.value for c in at.caption)
