"""AppTest: the What-if page sweeps a parameter over seeds and shows core.sweep's numbers, answers the smallest
cluster question, rejects bad values with st.error, keeps results across pages; a stop in the middle of a sweep
keeps the points already run (ui.engine.run_interruptible)."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import scenario as scn_mod
from core.sweep import aggregate, apply_value, run_sweep, smallest_cluster
from tests.helpers import ROOT, SAMPLES
from ui import engine, figures
from ui.state import _K_SCN

PAGE = "pages/what_if.py"
POLS = ["proposed", "petals"]


@pytest.fixture
def scn():
    return scn_mod.load(str(SAMPLES / "teaching_small.json"))


@pytest.fixture
def at():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def _setup(at, seeds=2):
    at.multiselect(key="wi_policies").set_value(POLS)
    at.number_input(key="wi_seeds").set_value(seeds)
    at.run()


def test_sweep_table_matches_core(at, scn):
    _setup(at)
    at.text_input(key="wi_values_rate_per_s").set_value("0.1, 0.3").run()
    at.button(key="run_sweep").click().run()
    assert not at.exception and not at.error
    seeds = [scn.workload.seed, scn.workload.seed + 1]
    agg = pd.DataFrame(aggregate(run_sweep(scn, "rate_per_s", [0.1, 0.3], seeds, POLS)))
    shown = at.dataframe[0].value
    assert len(shown) == len(agg) == 4
    assert list(shown["arrival rate (requests/s)"]) == list(agg["value"])
    assert list(shown["mean per-token (s/token)"]) == pytest.approx(list(agg["mean_per_token_ms"] / 1e3))
    assert list(shown["max per-token (s/token)"]) == pytest.approx(list(agg["max_per_token_ms"] / 1e3))
    assert list(shown["seeds ok"]) == ["2/2"] * 4
    assert len(at.get("plotly_chart")) == 1


def test_plot_choice_and_csv_download(at):
    _setup(at, seeds=1)
    at.selectbox(key="wi_param").set_value("l_out").run()
    at.text_input(key="wi_values_l_out").set_value("64, 128").run()
    at.button(key="run_sweep").click().run()
    assert not at.exception
    at.radio(key="wi_metric").set_value("avg_ttft_ms").run()
    assert not at.exception
    assert len(at.get("download_button")) >= 2  # CSV and the chart as HTML


def test_smallest_cluster_answer_matches_core(at, scn):
    _setup(at)
    at.number_input(key="wi_max_s").set_value(2.5)
    at.number_input(key="wi_rate").set_value(0.2)
    at.run()
    at.button(key="run_capacity").click().run()
    assert not at.exception and not at.error
    J = len(scn.servers)
    rows = run_sweep(apply_value(scn, "rate_per_s", 0.2), "n_servers", list(range(1, J + 1)),
                     [scn.workload.seed, scn.workload.seed + 1], POLS)
    best = smallest_cluster(rows, 2.5, rate=0.2)
    lines = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert len(lines) == len(POLS)
    for pol, line in zip(POLS, lines):
        assert line.startswith(f"- **{figures.policy_label(pol)}**")
        if best[pol] is None:
            assert "no cluster of 1 to" in line
        else:
            assert f"**{best[pol]} servers**" in line


def test_bad_values_are_an_error_and_the_scenario_stays(at):
    before = at.session_state[_K_SCN]
    at.text_input(key="wi_values_rate_per_s").set_value("0.1, fast").run()
    at.button(key="run_sweep").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["values: rate_per_s needs numbers, got 'fast'"]
    at.selectbox(key="wi_param").set_value("n_servers").run()
    at.text_input(key="wi_values_n_servers").set_value("2, 99").run()
    at.button(key="run_sweep").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "n_servers" in at.error[0].value and "99" in at.error[0].value
    assert at.session_state[_K_SCN] == before


def test_results_survive_a_page_change_and_cancel_keeps_them(at):
    _setup(at, seeds=1)
    at.text_input(key="wi_values_rate_per_s").set_value("0.1, 0.2").run()
    at.button(key="run_sweep").click().run()
    shown = at.dataframe[0].value
    at.switch_page("pages/placement.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.dataframe[0].value.equals(shown)
    assert at.text_input(key="wi_values_rate_per_s").value == "0.1, 0.2"
    at.button(key="cancel_sweep").click().run()
    assert at.warning and at.dataframe[0].value.equals(shown)


class _Stop(BaseException):
    """Stands in for Streamlit's stop/rerun signal, which is a BaseException raised inside st.* calls."""


def test_run_interruptible_keeps_partial_rows(scn):
    calls = []

    def show(f):
        calls.append(f)
        if len(calls) == 3:
            raise _Stop()

    def job(progress, cancel):
        return run_sweep(scn, "rate_per_s", [0.1, 0.2, 0.3], None, POLS, progress=progress, cancel=cancel)

    rows, stop = engine.run_interruptible(job, show)
    assert isinstance(stop, _Stop)
    assert rows.partial and len(rows) == 3 and rows.total == 6
    assert len(calls) == 3  # nothing is drawn after the stop
    full = run_sweep(scn, "rate_per_s", [0.1, 0.2, 0.3], None, POLS)
    assert list(rows) == list(full)[:3]


def test_run_interruptible_without_stop_runs_everything(scn):
    rows, stop = engine.run_interruptible(
        lambda progress, cancel: run_sweep(scn, "R", [2, 4], None, POLS, progress=progress, cancel=cancel),
        lambda f: None)
    assert stop is None and not rows.partial and len(rows) == 4
