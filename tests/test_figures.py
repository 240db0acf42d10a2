"""ui/figures.py: pure builders - the numbers drawn are the engine's numbers (converted to the labelled unit),
every axis is labelled, and the helpers behind the Gantt and the sweep bands are right on hand-made inputs."""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from core import api, breakdown, scenario as scn_mod
from core.placement.base import Placement
from core.sim import RequestRecord, SimResult
from tests.helpers import SAMPLES
from ui import figures


@pytest.fixture(scope="module")
def scn():
    return scn_mod.load(str(SAMPLES / "teaching_small.json"))


@pytest.fixture(scope="module")
def sim(scn):
    return api.simulate(scn, "proposed")


def _axis_titles(fig: go.Figure) -> list[str]:
    lay = fig.to_plotly_json()["layout"]
    out = []
    for name, ax in lay.items():
        if (name.startswith("xaxis") or name.startswith("yaxis")) and ax.get("visible", True) is not False:
            out.append((ax.get("title") or {}).get("text") or "")
    return out


def _assert_labelled(fig: go.Figure) -> None:
    titles = _axis_titles(fig)
    assert titles and all(t.strip() for t in titles), titles


def _bars(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar"]


# --------------------------------------------------------------------------- placement

def test_span_chart_draws_each_server_span_coloured_by_gpu(scn):
    p = api.place(scn, "cgbp")
    fig = figures.span_chart(scn, p)
    _assert_labelled(fig)
    assert {t.name for t in fig.data} == {s.gpu for s in scn.servers}
    drawn = {}
    for t in fig.data:
        for y, base, x in zip(t.y, t.base, t.x):
            drawn[y.split(" · ")[0]] = (base, base + x)
            assert t.name == next(s.gpu for s in scn.servers if y.startswith(s.id + " "))
    assert drawn == {s.id: (a, b) for s, a, b in zip(scn.servers, p.start, p.end)}
    assert fig.layout.xaxis.range == (0, scn.model.n_blocks)


def test_block_sessions_sums_capacity_of_the_servers_holding_each_block():
    p = Placement("x", start=(0, 2), end=(3, 5), cache_slots=(9, 9), session_capacity=(4, 7))
    assert figures.block_sessions(p, 5) == [4, 4, 11, 7, 7]
    assert figures.block_sessions(p, 6)[5] == 0


def test_capacity_chart_marks_blocks_below_R(scn):
    p = Placement("x", start=(0, 2), end=(3, 5), cache_slots=(9, 9), session_capacity=(4, 7))
    tiny = scn_mod.from_dict({**scn_mod.to_dict(scn), "model": {**scn_mod.to_dict(scn)["model"], "n_blocks": 5},
                              "servers": scn_mod.to_dict(scn)["servers"][:2]})
    fig = figures.capacity_chart(tiny, p, R=5)
    _assert_labelled(fig)
    (bar,) = _bars(fig)
    assert list(bar.y) == [4, 4, 11, 7, 7]
    red = [c == "#d62728" for c in bar.marker.color]
    assert red == [True, True, False, False, False]
    assert any(s.y0 == 5 for s in fig.layout.shapes)


def test_cgbp_capacity_meets_R_on_every_block(scn):
    p = api.place(scn, "cgbp")
    R = p.info["R"]
    assert min(figures.block_sessions(p, scn.model.n_blocks)) >= R
    (bar,) = _bars(figures.capacity_chart(scn, p, R))
    assert all(c != "#d62728" for c in bar.marker.color)


def test_placement_frame_lists_spans_and_slots(scn):
    p = api.place(scn, "petals")
    df = figures.placement_frame(scn, p)
    assert list(df["server"]) == scn.server_ids
    assert list(df["blocks"]) == [b - a for a, b in zip(p.start, p.end)]
    assert list(df["span (0-based, [start, end))"]) == [f"[{a}, {b})" if b > a else "nothing"
                                                         for a, b in zip(p.start, p.end)]
    assert list(df["cache slots (block-sessions)"]) == list(p.cache_slots)


# --------------------------------------------------------------------------- routing

def test_requests_frame_converts_engine_numbers_to_seconds(scn, sim):
    df = figures.requests_frame(scn, sim)
    assert len(df) == len(sim.records)
    for (_, row), rec in zip(df.iterrows(), sim.records):
        assert row["request"] == rec.r
        assert row["time (s)"] == pytest.approx(rec.time_ms / 1000)
        assert row["wait (s)"] == pytest.approx(rec.wait_ms / 1000)
        assert row["TTFT (s)"] == pytest.approx(rec.ttft_ms / 1000)
        assert row["per-token (s/token)"] == pytest.approx(rec.time_ms / rec.l_out / 1000)
        assert row["chain (server [blocks))"].count("→") == len(rec.path) - 1
        assert row["k (blocks per hop)"] == ", ".join(map(str, rec.k))
        assert sum(rec.k) == scn.model.n_blocks


def test_chain_text_names_each_server_with_its_span(scn):
    p = Placement("x", start=(0, 0, 4, 11, 59), end=(59, 4, 8, 70, 63), cache_slots=(1,) * 5)
    assert figures.chain_text(scn, p, ("s1", "s0", "s3")) == "s1 [0, 4) → s0 [0, 59) → s3 [11, 70)"


def test_session_lanes_never_overlap():
    # by start: (0, 2) lane 0; (0.5, 1) lane 1; (1, 3) reuses lane 1 (free at 1); (2, 4) reuses lane 0
    lanes, n = figures.session_lanes([(0, 2), (1, 3), (2, 4), (0.5, 1)])
    assert (lanes, n) == ([0, 1, 0, 1], 2)
    rng = np.random.default_rng(3)
    iv = [(a, a + d) for a, d in zip(rng.uniform(0, 50, 80), rng.uniform(0.1, 20, 80))]
    lanes, n = figures.session_lanes(iv)
    for i in range(len(iv)):
        for j in range(i + 1, len(iv)):
            if lanes[i] == lanes[j]:
                assert iv[i][1] <= iv[j][0] or iv[j][1] <= iv[i][0]
    # n lanes are needed: the largest number of intervals alive at one instant
    peak = max(sum(1 for a, b in iv if a <= t < b) for t, _ in iv)
    assert n == peak


def test_gantt_has_one_bar_per_hop_and_highlights_one_request(scn, sim):
    fig = figures.session_gantt(scn, sim, highlight=3)
    _assert_labelled(fig)
    bar = next(b for b in _bars(fig) if b.name == "holding cache")
    wait = next(b for b in _bars(fig) if b.name == "waiting for cache")
    assert len(bar.x) == sum(len(r.path) for r in sim.records)
    assert len(wait.x) == sum(len(r.path) for r in sim.records if r.wait_ms > 0)
    widths = np.asarray(bar.marker.line.width)
    reqs = np.asarray(bar.customdata)[:, 0].astype(int)
    assert set(reqs[widths > 0]) == {3}
    assert (widths > 0).sum() == len(sim.records[3].path)
    dur = sorted(np.asarray(bar.x)[reqs == 3])
    rec = sim.records[3]
    assert dur == pytest.approx([(rec.completion_ms - rec.arrival_ms - rec.wait_ms) / 1000] * len(rec.path))


def _record(r, path, k, arrival, completion, wait=0.0, l_out=128):
    return RequestRecord(r, "c0", arrival, tuple(path), tuple(k), (wait,) * len(path), wait, wait, 1.0,
                         completion - arrival, completion, 1.0, l_out)


def test_occupancy_by_hand(scn):
    # s0 holds 3 + 4 slots while both requests overlap, and releases before a later admission at the same time;
    # request 2 arrives at 4 s but waits 1 s, so it holds its 6 slots only from 5 s
    p = Placement("x", start=(0, 0, 0, 0, 0), end=(70, 0, 0, 0, 0), cache_slots=(10, 1, 1, 1, 1))
    recs = (_record(0, ["s0"], [3], 0, 5000), _record(1, ["s0"], [4], 1000, 3000),
            _record(2, ["s0"], [6], 4000, 6000, wait=1000))
    res = SimResult("proposed", p, recs, {})
    df = figures.occupancy_frame(scn, res)
    s0 = df[df["server"] == "s0"]
    assert s0["slots in use"].max() == 7
    assert s0["occupancy (%)"].max() == pytest.approx(70.0)
    assert s0["slots in use"].iloc[-1] == 0
    assert (s0["slots in use"] <= 9).all()  # 3 + 6 would overlap only if request 2 held cache while waiting
    at5 = s0[s0["time (s)"] == 5.0]["slots in use"].tolist()
    assert at5 == [0, 6]  # release of request 0 before admission of request 2


@pytest.mark.parametrize("policy", ["proposed", "petals", "petals-opt-num"])
def test_occupancy_never_exceeds_the_servers_slots(scn, policy):
    # a session holds cache once its wait is over: the ledger's waits guarantee room at that moment
    sim = api.simulate(scn, policy)
    assert any(r.wait_ms > 0 for r in sim.records)
    df = figures.occupancy_frame(scn, sim)
    for j, sid in enumerate(scn.server_ids):
        part = df[df["server"] == sid]
        assert part["slots in use"].max() <= sim.placement.cache_slots[j] + 1e-9
        assert part["slots in use"].iloc[-1] == pytest.approx(0)
    fig = figures.occupancy_chart(scn, sim)
    _assert_labelled(fig)


# --------------------------------------------------------------------------- compare

RUNS = [
    {"policy": "proposed", "seed": 1, "avg_per_token_ms": 1000.0, "avg_ttft_ms": 10_000.0, "avg_wait_ms": 0.0,
     "p95_per_token_ms": 1500.0, "max_concurrent": 3, "error": None},
    {"policy": "proposed", "seed": 2, "avg_per_token_ms": 3000.0, "avg_ttft_ms": 30_000.0, "avg_wait_ms": 2000.0,
     "p95_per_token_ms": 3500.0, "max_concurrent": 5, "error": None},
    {"policy": "petals", "seed": 1, "avg_per_token_ms": 4000.0, "avg_ttft_ms": 40_000.0, "avg_wait_ms": 1000.0,
     "p95_per_token_ms": 5000.0, "max_concurrent": 4, "error": None},
    {"policy": "petals", "seed": 2, "avg_per_token_ms": 6000.0, "avg_ttft_ms": 60_000.0, "avg_wait_ms": 3000.0,
     "p95_per_token_ms": 7000.0, "max_concurrent": 6, "error": None},
    {"policy": "petals-opt-num", "seed": 1, "error": "infeasible"},
]


def test_metric_bars_mean_and_spread_over_seeds():
    fig = figures.metric_bars(RUNS, ["proposed", "petals", "petals-opt-num"])
    _assert_labelled(fig)
    bars = _bars(fig)
    first = [b for b in bars if b.xaxis in (None, "x")]
    prop = next(b for b in first if b.legendgroup == "proposed")
    assert prop.y == (2.0,)  # mean of 1 and 3 s/token
    assert prop.error_y.array == (1.0,) and prop.error_y.arrayminus == (1.0,)
    pet_ttft = next(b for b in bars if b.legendgroup == "petals" and b.xaxis == "x2")
    assert pet_ttft.y == (50.0,)
    assert not any(b.legendgroup == "petals-opt-num" for b in bars)  # errors are left out
    assert "s/token" in fig.layout.yaxis.title.text and fig.layout.yaxis2.title.text == "s"


def test_reduction_pairs_seeds_with_petals():
    df = figures.reduction_frame(RUNS)
    got = {(r.policy, r.seed): r["reduction (%)"] for _, r in df.iterrows()}
    assert got[("proposed", 1)] == pytest.approx(75.0)
    assert got[("proposed", 2)] == pytest.approx(50.0)
    assert got[("petals", 2)] == pytest.approx(0.0)
    fig = figures.reduction_chart(RUNS, ["proposed", "petals"])
    _assert_labelled(fig)
    (bar,) = _bars(fig)
    assert bar.y == (62.5,)
    assert figures.reduction_frame([r for r in RUNS if r["policy"] != "petals"]).empty


def test_summary_table_numbers():
    t = figures.summary_table(RUNS, ["proposed", "petals", "petals-opt-num"])
    assert list(t["policy"]) == [figures.policy_label("proposed"), figures.policy_label("petals")]
    row = t.iloc[0]
    assert row["mean per-token time (s/token)"] == pytest.approx(2.0)
    assert row["mean per-token time spread, max - min over seeds (s/token)"] == pytest.approx(2.0)
    assert row["mean wait for cache (s)"] == pytest.approx(1.0)
    assert row["per-token reduction vs PETALS (%)"] == pytest.approx(62.5)
    assert row["peak concurrent (requests)"] == 5


def test_cdf_is_sorted_and_ends_at_one():
    fig = figures.cdf_chart({"proposed": [3.0, 1.0, 2.0, 2.0], "petals": []}, "per-token time (s/token)")
    _assert_labelled(fig)
    (line,) = fig.data
    assert list(line.x) == [1.0, 2.0, 2.0, 3.0]
    assert list(line.y) == [0.25, 0.5, 0.75, 1.0]


def test_breakdown_bar_length_is_the_per_token_time(scn, sim):
    parts = breakdown.per_token_parts(scn, sim)
    fig = figures.breakdown_chart({"proposed": parts})
    _assert_labelled(fig)
    assert fig.layout.barmode == "stack"
    assert len(fig.data) == len(breakdown.PARTS)
    total = sum(t.x[0] for t in fig.data)
    assert total == pytest.approx(sim.summary["avg_per_token_ms"] / 1000, rel=1e-9)


# --------------------------------------------------------------------------- what-if

SWEEP = [
    {"param": "rate_per_s", "value": 0.1, "seed": s, "policy": "proposed", "avg_per_token_ms": v,
     "avg_ttft_ms": 1.0, "avg_wait_ms": 0.0, "p95_per_token_ms": v, "max_concurrent": 1, "error": None}
    for s, v in ((0, 1000.0), (1, 2000.0), (2, 4500.0))
] + [
    {"param": "rate_per_s", "value": 0.2, "seed": 0, "policy": "proposed", "avg_per_token_ms": 5000.0,
     "avg_ttft_ms": 1.0, "avg_wait_ms": 0.0, "p95_per_token_ms": 1.0, "max_concurrent": 1, "error": None},
    {"param": "rate_per_s", "value": 0.2, "seed": 1, "policy": "proposed", "avg_per_token_ms": None,
     "avg_ttft_ms": None, "avg_wait_ms": None, "p95_per_token_ms": None, "max_concurrent": None,
     "error": "infeasible"},
]


def test_sweep_frame_groups_over_seeds_and_drops_errors():
    df = figures.sweep_frame(SWEEP, "avg_per_token_ms")
    a = df[df["value"] == 0.1].iloc[0]
    assert (a["mean"], a["min"], a["max"], a["seeds"]) == (pytest.approx(2.5), 1.0, 4.5, 3)
    b = df[df["value"] == 0.2].iloc[0]
    assert (b["mean"], b["seeds"]) == (5.0, 1)


def test_sweep_chart_has_a_band_and_a_mean_line():
    fig = figures.sweep_chart(SWEEP, "avg_per_token_ms", "arrival rate (requests/s)", ["proposed"])
    _assert_labelled(fig)
    upper, lower, mean = fig.data
    assert lower.fill == "tonexty"
    assert list(upper.y) == [4.5, 5.0] and list(lower.y) == [1.0, 5.0]
    assert list(mean.y) == [pytest.approx(2.5), 5.0]
    assert fig.layout.xaxis.title.text == "arrival rate (requests/s)"
    assert fig.layout.yaxis.title.text == "mean per-token time (s/token)"


def test_sweep_chart_without_results_says_so():
    fig = figures.sweep_chart([SWEEP[-1]], "avg_per_token_ms", "x", ["proposed"])
    assert not fig.data and "no feasible" in fig.layout.annotations[0].text


# --------------------------------------------------------------------------- export

def test_html_export_is_self_contained():
    html = figures.to_html_bytes(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))
    assert b"<html" in html[:100]
    assert b"<script src=" not in html  # plotly.js is inlined, so the file opens offline
    assert len(html) > 1_000_000


def test_static_export_flag_matches_kaleido():
    assert figures.static_export_available() == (importlib.util.find_spec("kaleido") is not None)


def test_palette_is_stable():
    a = figures.palette(["b", "a", "c"])
    assert a == figures.palette(["b", "a", "c"]) and len(set(a.values())) == 3
    assert math.isclose(len(figures.gpu_colors(scn_mod.load(str(SAMPLES / "teaching_small.json")))), 2)


def test_gap_chart_draws_each_known_series_and_skips_missing_values():
    rows = [{"R": 1, "cgbprr_ms_per_token": 5.0, "routing_opt_on_cgbp_ms_per_token": 4.5, "milp_ms_per_token": 4.0,
             "milp_bound_ms_per_token": 3.9, "theorem2_bound_ms_per_token": 9.0},
            {"R": 2, "cgbprr_ms_per_token": 6.0, "routing_opt_on_cgbp_ms_per_token": None, "milp_ms_per_token": None,
             "milp_bound_ms_per_token": 4.1, "theorem2_bound_ms_per_token": 9.5}]
    fig = figures.gap_chart({"rows": rows})
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name["CG-BPRR (CG-BP + shortest paths)"] == [5.0, 6.0]
    assert by_name["optimum (MILP-BPRR)"] == [4.0]  # the timed-out |R| = 2 has no optimum to draw
    assert len(fig.data) == 5
    assert figures.gap_chart({"rows": []}).layout.annotations  # an empty report says so
