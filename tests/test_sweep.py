"""Sweeps (core/sweep.py): how values change a scenario, same rows however the points run, errors, cancel, CLI."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import scenario
from core.errors import ScenarioError
from core.reference import import_case
from core.sim import arrivals
from core.sweep import (ROW_FIELDS, SWEEP_PARAMS, aggregate, apply_value, run_sweep, smallest_cluster, to_csv,
                        with_seed)

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "sample_clusters" / "teaching_small.json"
CASE05 = ROOT / "tests" / "golden" / "case05.in.json"
POLICIES = ("proposed", "petals")


@pytest.fixture(scope="module")
def teaching():
    return scenario.load(str(TEACHING))


@pytest.fixture(scope="module")
def case05():
    return import_case(json.loads(CASE05.read_text()))


@pytest.fixture(scope="module")
def serial_rows(teaching):
    # n_servers 2 is infeasible for every policy (too little memory), 4 and 5 run
    return run_sweep(teaching, "n_servers", [2, 4, 5], seeds=[1, 2], policies=POLICIES)


# --------------------------------------------------------------------------- applying values

def test_every_param_has_label_unit_and_help():
    for name, p in SWEEP_PARAMS.items():
        assert p.name == name and p.label and p.help
    assert SWEEP_PARAMS["rate_per_s"].header() == "arrival rate (requests/s)"


def test_rate_sets_the_rate_and_drops_explicit_arrivals(case05):
    assert case05.workload.inter_arrivals_ms is not None
    out = apply_value(case05, "rate_per_s", 2.0)
    assert out.workload.rate_per_s == 2.0
    assert out.workload.inter_arrivals_ms is None and out.workload.arrivals_ms is None
    t = arrivals(out)
    mean_gap_s = (t[-1] - t[0]) / (len(t) - 1) / 1000
    assert 0.3 < mean_gap_s < 0.7  # Poisson at 2 requests/s: mean gap 0.5 s
    assert case05.workload.inter_arrivals_ms is not None  # the input is left alone


def test_l_out_R_and_n_requests(case05, teaching):
    assert apply_value(teaching, "l_out", 64).workload.l_out == 64
    assert apply_value(teaching, "R", 7).policy.R == 7
    out = apply_value(case05, "n_requests", 10)
    assert out.workload.n_requests == 10
    assert out.workload.inter_arrivals_ms == case05.workload.inter_arrivals_ms[:10]
    with pytest.raises(ScenarioError) as e:
        apply_value(case05, "n_requests", case05.workload.n_requests + 1)
    assert e.value.field == "values" and "inter_arrivals_ms" in str(e.value)


def test_n_servers_keeps_the_first_servers_and_their_rtts_and_join_order(case05):
    out = apply_value(case05, "n_servers", 4)
    assert out.server_ids == case05.server_ids[:4]
    gone = set(case05.server_ids[4:])
    assert not gone & set(out.network.rtt_ms)
    assert all(not gone & set(row) for row in out.network.rtt_ms.values())
    assert out.network.rtt_ms["c0"] == {k: v for k, v in case05.network.rtt_ms["c0"].items() if k not in gone}
    assert list(out.policy.petals_join_order) == [j for j in case05.policy.petals_join_order if j < 4]


def test_frac_strong_copies_strongest_and_weakest_and_nests(teaching):
    J = len(teaching.servers)
    strongest = min(teaching.servers, key=lambda s: s.tau_ms)
    weakest = max(teaching.servers, key=lambda s: s.tau_ms)
    prev: set[str] = set()
    for f in (0.0, 0.2, 0.4, 0.6, 1.0):
        out = apply_value(teaching, "frac_strong", f)
        strong = {s.id for s in out.servers if s.tau_ms == strongest.tau_ms}
        assert len(strong) == math.floor(f * J + 0.5)
        assert prev <= strong  # a larger fraction keeps the servers a smaller one made strong
        prev = strong
        for s, old in zip(out.servers, teaching.servers):
            ref = strongest if s.id in strong else weakest
            assert (s.gpu, s.memory_gb, s.tau_in_ms, s.max_blocks, s.forward_rps) == \
                   (ref.gpu, ref.memory_gb, ref.tau_in_ms, ref.max_blocks, ref.forward_rps)
            assert (s.id, s.lat, s.lon) == (old.id, old.lat, old.lon)
    picks = {frozenset(s.id for s in apply_value(with_seed(teaching, k), "frac_strong", 0.4).servers
                       if s.gpu == strongest.gpu) for k in range(8)}
    assert len(picks) > 1  # the subset depends on the seed


def test_frac_strong_needs_two_gpu_kinds(teaching):
    homogeneous = apply_value(teaching, "frac_strong", 1.0)
    with pytest.raises(ScenarioError, match="two GPU kinds"):
        apply_value(homogeneous, "frac_strong", 0.5)


def test_seed_redraws_arrivals_and_join_order(case05):
    a, b = with_seed(case05, 1), with_seed(case05, 2)
    assert a.workload.seed == 1 and a.policy.petals_join_order is None
    assert arrivals(a) != arrivals(b)
    assert arrivals(a) == arrivals(with_seed(case05, 1))


@pytest.mark.parametrize("param,value,msg", [
    ("n_servers", 0, r"\[1, 5\]"), ("n_servers", 6, r"\[1, 5\]"), ("frac_strong", 1.5, r"\[0, 1\]"),
    ("rate_per_s", 0, r"\(0, inf\]"), ("l_out", 2.5, "whole numbers"), ("R", "3", "finite numbers"),
])
def test_bad_values_name_the_field_and_range(teaching, param, value, msg):
    with pytest.raises(ScenarioError, match=msg) as e:
        run_sweep(teaching, param, [value], policies=POLICIES)
    assert e.value.field == "values"


def test_bad_sweep_arguments(teaching):
    for kw, field in ((dict(param="nope", values=[1]), "param"),
                      (dict(param="R", values=[1], policies=["nope"]), "policies"),
                      (dict(param="R", values=[1, 1]), "values"),
                      (dict(param="R", values=[]), "values"),
                      (dict(param="seed", values=[1], seeds=[2]), "seeds"),
                      (dict(param="R", values=[1], workers=0), "workers"),
                      (dict(param="R", values=[1], workers=2, dask="tcp://x:1"), "workers")):
        with pytest.raises(ScenarioError) as e:
            run_sweep(teaching, **kw)
        assert e.value.field == field


# --------------------------------------------------------------------------- running

def test_rows_order_fields_and_infeasible_points(serial_rows):
    assert [(r["value"], r["seed"], r["policy"]) for r in serial_rows] == \
           [(v, s, p) for v in (2, 4, 5) for s in (1, 2) for p in POLICIES]
    assert not serial_rows.partial and serial_rows.total == len(serial_rows) == 12
    for r in serial_rows:
        assert tuple(r) == ROW_FIELDS
        if r["value"] == 2:  # two servers cannot hold the model: an error in the row, no crash
            assert r["error"] and r["avg_per_token_ms"] is None
        else:
            assert r["error"] is None and r["avg_per_token_ms"] > 0 and r["max_concurrent"] >= 1
            assert r["p95_per_token_ms"] >= 0 and r["avg_ttft_ms"] > 0


def test_same_point_same_result_and_matches_simulate(teaching, serial_rows):
    from core import api

    scn = apply_value(with_seed(teaching, 2), "n_servers", 4)
    want = api.simulate(scn, "proposed").summary
    row = next(r for r in serial_rows if (r["value"], r["seed"], r["policy"]) == (4, 2, "proposed"))
    assert row["avg_per_token_ms"] == want["avg_per_token_ms"]
    assert row["max_concurrent"] == want["max_concurrent"]


def test_workers_give_identical_rows(teaching, serial_rows):
    seen = []
    rows = run_sweep(teaching, "n_servers", [2, 4, 5], seeds=[1, 2], policies=POLICIES, workers=2,
                     progress=seen.append)
    assert list(rows) == list(serial_rows) and not rows.partial
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 12


def test_dask_local_cluster_gives_identical_rows(teaching, serial_rows):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        rows = run_sweep(teaching, "n_servers", [2, 4, 5], seeds=[1, 2], policies=POLICIES,
                         dask=cluster.scheduler_address)
    assert list(rows) == list(serial_rows) and not rows.partial


def test_cancel_serial_returns_the_rows_done(teaching, serial_rows):
    done = []
    rows = run_sweep(teaching, "n_servers", [2, 4, 5], seeds=[1, 2], policies=POLICIES,
                     progress=done.append, cancel=lambda: len(done) >= 5)
    assert rows.partial and rows.total == 12
    assert list(rows) == list(serial_rows)[:5]


def test_cancel_with_workers_stops_early(teaching, serial_rows):
    done = []
    rows = run_sweep(teaching, "n_servers", [2, 4, 5], seeds=[1, 2, 3, 4, 5, 6, 7, 8], policies=POLICIES,
                     workers=2, progress=done.append, cancel=lambda: len(done) >= 1)
    assert rows.partial and 1 <= len(rows) < rows.total == 48
    full = {(r["value"], r["seed"], r["policy"]): r for r in serial_rows}
    keys = [(r["value"], r["seed"], r["policy"]) for r in rows]
    assert keys == sorted(keys, key=lambda k: ((2, 4, 5).index(k[0]), k[1], POLICIES.index(k[2])))
    for k, r in zip(keys, rows):
        if k in full:
            assert r == full[k]


def test_bad_dask_address_is_a_clear_error(teaching, monkeypatch):
    pytest.importorskip("distributed")
    from core import sweep
    from core.errors import SwarmscopeError

    monkeypatch.setattr(sweep, "DASK_CONNECT_TIMEOUT_S", 1.0)

    with pytest.raises(SwarmscopeError, match="dask"):
        run_sweep(teaching, "R", [1], policies=["proposed"], dask="tcp://127.0.0.1:9")


# --------------------------------------------------------------------------- reading rows

def _row(value, seed, policy, pt_ms, error=None, rate=0.2):
    return {"param": "n_servers", "value": value, "seed": seed, "policy": policy, "rate_per_s": rate,
            "avg_per_token_ms": None if error else pt_ms, "avg_ttft_ms": 1.0, "avg_wait_ms": 0.0,
            "p95_per_token_ms": pt_ms, "max_concurrent": 1, "R": None, "error": error}


def test_smallest_cluster_by_hand():
    rows = [
        _row(3, 1, "proposed", 900), _row(3, 2, "proposed", 1300),   # mean 1.1 s: over 1 s
        _row(4, 1, "proposed", 800), _row(4, 2, "proposed", 1100),   # mean 0.95 s: under
        _row(5, 1, "proposed", 500), _row(5, 2, "proposed", 600),
        _row(3, 1, "petals", 500), _row(3, 2, "petals", None, "infeasible"),  # a failed seed disqualifies
        _row(4, 1, "petals", 2000), _row(4, 2, "petals", 2000),
        _row(5, 1, "petals", 999), _row(5, 2, "petals", 999),
    ]
    assert smallest_cluster(rows, 1.0) == {"proposed": 4, "petals": 5}
    assert smallest_cluster(rows, 0.5) == {"proposed": None, "petals": None}
    assert smallest_cluster(rows, 1.2) == {"proposed": 3, "petals": 5}


def test_smallest_cluster_rates_and_bad_input():
    rows = [_row(3, 1, "proposed", 500, rate=0.2), _row(3, 1, "proposed", 5000, rate=1.0),
            _row(4, 1, "proposed", 800, rate=1.0)]
    with pytest.raises(ScenarioError) as e:
        smallest_cluster(rows, 1.0)
    assert e.value.field == "rate"
    assert smallest_cluster(rows, 1.0, rate=0.2) == {"proposed": 3}
    assert smallest_cluster(rows, 1.0, rate=1.0) == {"proposed": 4}
    with pytest.raises(ScenarioError):
        smallest_cluster(rows, 1.0, rate=0.5)
    with pytest.raises(ScenarioError):
        smallest_cluster(rows, -1)
    with pytest.raises(ScenarioError):
        smallest_cluster([dict(rows[0], param="R")], 1.0)


def test_smallest_cluster_on_a_real_sweep(serial_rows):
    thr_s = 3.0
    best = smallest_cluster(serial_rows, thr_s)
    for policy, v in best.items():
        means = {}
        for val in (2, 4, 5):
            rs = [r for r in serial_rows if r["policy"] == policy and r["value"] == val]
            if all(r["error"] is None for r in rs):
                means[val] = sum(r["avg_per_token_ms"] for r in rs) / len(rs)
        ok = [val for val, m in means.items() if m < thr_s * 1000]
        assert v == (min(ok) if ok else None)


def test_aggregate_mean_spread_and_paired_reduction(serial_rows):
    agg = {(a["value"], a["policy"]): a for a in aggregate(serial_rows)}
    assert agg[(2, "proposed")]["n_ok"] == 0 and agg[(2, "proposed")]["error"]
    a = agg[(4, "proposed")]
    pts = [r["avg_per_token_ms"] for r in serial_rows if r["value"] == 4 and r["policy"] == "proposed"]
    base = [r["avg_per_token_ms"] for r in serial_rows if r["value"] == 4 and r["policy"] == "petals"]
    assert a["mean_per_token_ms"] == pytest.approx(sum(pts) / 2)
    assert a["sd_per_token_ms"] == pytest.approx(abs(pts[0] - pts[1]) / math.sqrt(2))
    assert (a["min_per_token_ms"], a["max_per_token_ms"]) == (min(pts), max(pts))
    assert a["reduction_vs_petals"] == pytest.approx(1 - sum(pts) / sum(base))
    assert agg[(4, "petals")]["reduction_vs_petals"] == 0


def test_csv_has_every_row(serial_rows):
    got = list(csv.DictReader(io.StringIO(to_csv(serial_rows))))
    assert len(got) == len(serial_rows) and tuple(got[0]) == ROW_FIELDS
    assert got[0]["avg_per_token_ms"] == "" and got[0]["error"]


# --------------------------------------------------------------------------- command line

def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_json_matches_the_library(serial_rows):
    p = _cli("sweep", str(TEACHING), "--param", "n_servers", "--values", "2", "4", "5", "--seeds", "1", "2",
             "--policies", *POLICIES, "--json", "--max-per-token-s", "3")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["partial"] is False and out["param"] == "n_servers"
    assert [(r["value"], r["seed"], r["policy"]) for r in out["rows"]] == \
           [(r["value"], r["seed"], r["policy"]) for r in serial_rows]
    for got, want in zip(out["rows"], serial_rows):
        assert got["avg_per_token_ms"] == want["avg_per_token_ms"] and got["error"] == want["error"]
    assert out["smallest_cluster"] == smallest_cluster(serial_rows, 3)


def test_cli_table_and_csv(tmp_path):
    out_csv = tmp_path / "sweep.csv"
    p = _cli("sweep", str(TEACHING), "--param", "rate_per_s", "--values", "0.1", "0.3", "--seeds", "1", "2",
             "--workers", "2", "--csv", str(out_csv))
    assert p.returncode == 0, p.stderr
    assert "arrival rate (requests/s)" in p.stdout and "vs PETALS" in p.stdout and "s/token mean" in p.stdout
    assert len(list(csv.DictReader(out_csv.open()))) == 2 * 2 * 4  # values x seeds x default policies


@pytest.mark.parametrize("args,needle", [
    (["--param", "n_servers", "--values", "0"], "error: values:"),
    (["--param", "n_servers", "--values", "x"], "error: values:"),
    (["--param", "bogus", "--values", "1"], "error: usage:"),
    (["--param", "R", "--values", "1", "--policies", "nope"], "error: usage:"),
    (["--param", "R", "--values", "1", "--max-per-token-s", "2"], "error: max-per-token-s:"),
])
def test_cli_bad_input_exits_2_with_one_line(args, needle):
    p = _cli("sweep", str(TEACHING), *args)
    assert p.returncode == 2
    assert p.stderr.startswith(needle) and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
