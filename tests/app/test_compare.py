"""AppTest: the Simulate & compare page runs the policies on the same arrivals over seeds, shows core's numbers,
the breakdown and the calibrated constants, shares its runs with the Routing page, and reports infeasible
policies with st.error while the others still show."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import api, breakdown, scenario as scn_mod
from core.errors import Infeasible
from core.presets import PAPER_DELAYS, PAPER_GPUS
from core.sweep import with_seed
from tests.helpers import ROOT, SAMPLES
from ui import figures
from ui.state import _K_SCN

PAGE = "pages/compare.py"
PT = "mean per-token time (s/token)"


@pytest.fixture
def scn():
    return scn_mod.load(str(SAMPLES / "teaching_small.json"))


@pytest.fixture
def at():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _run(at, seeds, policies=None):
    at.number_input(key="cmp_seeds").set_value(seeds)
    if policies is not None:
        at.multiselect(key="cmp_policies").set_value(policies)
    at.run()
    at.button(key="run_compare").click().run()
    assert not at.exception


def test_one_seed_matches_core_compare(at, scn):
    _run(at, 1)
    assert not at.error
    core = api.compare(scn)["rows"]
    t = _table(at, PT).set_index("policy")
    for name, row in core.items():
        shown = t.loc[figures.policy_label(name)]
        assert shown[PT] == pytest.approx(row["avg_per_token_ms"] / 1e3)
        assert shown["mean time to first token (s)"] == pytest.approx(row["avg_ttft_ms"] / 1e3)
        assert shown["mean wait for cache (s)"] == pytest.approx(row["avg_wait_ms"] / 1e3)
        assert shown["per-token reduction vs PETALS (%)"] == pytest.approx(100 * row["reduction_vs_petals"])
        assert shown["seeds"] == 1
    # where the time goes: the parts add up to each policy's per-token time
    parts = _table(at, "decode compute (s/token)").set_index("policy")
    for name, row in core.items():
        assert parts.loc[figures.policy_label(name)].sum() == pytest.approx(row["avg_per_token_ms"] / 1e3)
    res = api.simulate(scn, "proposed")
    assert parts.loc[figures.policy_label("proposed"), "wait for cache (after backoff) (s/token)"] == \
        pytest.approx(breakdown.per_token_parts(scn, res)["wait_ms"] / 1e3)
    assert len(at.get("plotly_chart")) == 4  # bars, CDF, reduction, breakdown


def test_seeds_are_averaged(at, scn):
    _run(at, 2, ["proposed", "petals"])
    t = _table(at, PT).set_index("policy")
    other = with_seed(scn, scn.workload.seed + 1)
    for name in ("proposed", "petals"):
        runs = [api.simulate(scn, name).summary["avg_per_token_ms"], api.simulate(other, name).summary[
            "avg_per_token_ms"]]
        row = t.loc[figures.policy_label(name)]
        assert row["seeds"] == 2
        assert row[PT] == pytest.approx(np.mean(runs) / 1e3)
        assert row["mean per-token time spread, max - min over seeds (s/token)"] == \
            pytest.approx((max(runs) - min(runs)) / 1e3)


def test_constants_are_listed_with_sources(at):
    delays = _table(at, "constant")
    assert set(delays["constant"]) == set(PAPER_DELAYS)
    assert all(src for src in delays["source"])
    assert all(v.endswith("ms") for v in delays["paper value"])
    gpus = _table(at, "decode tau (ms/block/token)")
    assert list(gpus["GPU"]) == [g["label"] for g in PAPER_GPUS.values()]
    assert list(gpus["decode tau (ms/block/token)"]) == [g["tau_ms"] for g in PAPER_GPUS.values()]


def test_runs_are_shared_with_routing_and_survive_page_changes(at, scn):
    _run(at, 1, ["proposed", "petals"])
    shown = _table(at, PT)
    at.switch_page("pages/routing.py").run()
    s = api.simulate(scn, "proposed").summary
    assert {m.label: m.value for m in at.metric}["mean per-token time"] == \
        f"{s['avg_per_token_ms'] / 1e3:.3f} s/token"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert _table(at, PT).equals(shown)


def test_infeasible_policy_is_an_error_and_the_others_still_show(at, scn):
    bad = scn_mod.with_changes(scn, policy=dataclasses.replace(scn.policy, R=100_000))
    at.session_state[_K_SCN] = scn_mod.dumps(bad)
    before = scn_mod.dumps(bad)
    _run(at, 1, ["proposed", "petals"])
    with pytest.raises(Infeasible) as e:
        api.simulate(bad, "proposed")
    assert [x.value for x in at.error] == [f"{figures.policy_label('proposed')}: {e.value}"]
    t = _table(at, PT)
    assert list(t["policy"]) == [figures.policy_label("petals")]
    assert at.session_state[_K_SCN] == before


def test_no_policy_disables_the_run(at):
    at.multiselect(key="cmp_policies").set_value([]).run()
    assert at.button(key="run_compare").disabled
    assert at.warning


def test_distance_from_the_optimum_shows_core_gap_report(at, scn):
    """The optimum section solves MILP-BPRR per |R| and shows core.optimum.gap_report's numbers; it stays
    after a page switch; a bad |R| list is one st.error."""
    from core import optimum

    at.text_input(key="gap_R").set_value("1, 2").run()
    at.button(key="run_gap").click().run()
    assert not at.exception and not at.error
    table = _table(at, "|R| (concurrent requests)")
    want = optimum.gap_report(scn, [1, 2], time_limit_s=10.0)["rows"]
    assert list(table["|R| (concurrent requests)"]) == [1, 2]
    assert list(table["status"]) == [r["status"] for r in want]
    for label_key, label in figures.GAP_SERIES:
        col = f"{label} (ms/token)"
        assert list(table[col]) == pytest.approx([r[label_key] for r in want]), col
    # never below the optimum: CG-BPRR's objective is a feasible solution of the same MILP
    assert all(c >= m - 1e-6 for c, m in zip(table["CG-BPRR (CG-BP + shortest paths) (ms/token)"],
                                             table["optimum (MILP-BPRR) (ms/token)"]))
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert any("|R| (concurrent requests)" in d.value.columns for d in at.dataframe)

    at.text_input(key="gap_R").set_value("0, two").run()
    at.button(key="run_gap").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["|R| values: whole numbers separated by commas, got '0, two'"]
