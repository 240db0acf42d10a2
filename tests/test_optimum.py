"""The routing-only ILP (exact against enumeration; vs shortest-path routing) and the gap report (orderings
that must hold between CG-BPRR, the MILP optimum, its bound and Theorem 2), in Python and in the CLI."""
from __future__ import annotations

import itertools
import json
import math

import pytest

from tests.helpers import run_cli
from core import perf, scenario
from core.optimum import gap_report, route_optimally
from core.placement.cgbp import cgbp_core
from core.placement.milp import split_requests
from test_milp import all_chains, hop_cost, paperish, tiny_scenario


def best_routing(d, start, end, counts, objective):
    """Least cost over every assignment of requests to chains that fits the memory (math.inf if none)."""
    chains = all_chains(list(start), list(end), d.L)
    best = math.inf
    groups = []
    for c, n in enumerate(counts):
        if n:
            priced = [(sum(hop_cost(d, c, j, k, objective) for j, k in zip(p, ks)), p, ks) for p, ks in chains]
            groups.append(list(itertools.combinations_with_replacement(priced, n)))
    for combo in itertools.product(*groups):
        load = [0] * d.J
        for group in combo:
            for _, p, ks in group:
                for j, k in zip(p, ks):
                    load[j] += k
        if all(d.s_m * (end[j] - start[j]) + d.s_c * load[j] <= d.memory[j] + 1e-9 for j in range(d.J)):
            best = min(best, sum(x[0] for g in combo for x in g))
    return best


def crowded(seed, fast_first: bool = False):
    """A placement where one chain cannot carry every request: memory is nearly all weights.
    fast_first: server s0 (holding the whole model) is the nearest and fastest, so every shortest chain is s0."""
    scn = tiny_scenario(seed, 4, 6, clients=2, tight=False, cache_gb=0.3)
    d = scenario.to_dict(scn)
    for s in d["servers"]:
        s.pop("max_blocks", None)
        s["memory_gb"] = 6.0 + 0.3 * 7   # 6 blocks of weights and 7 block-sessions of cache
    if fast_first:
        d["servers"][0].update(tau_ms=1.0, tau_in_ms=2.0)
        for row in d["network"]["rtt_ms"].values():
            row["s0"] = 1.0
    scn = scenario.from_dict(d)
    start, end = (0, 0, 3, 2), (6, 3, 6, 6)
    return scn, perf.derive(scn), start, end


@pytest.mark.parametrize("seed,objective", [(1, "decode"), (2, "service"), (3, "decode"), (4, "service")])
def test_routing_ilp_equals_enumeration(seed, objective):
    scn, d, start, end = crowded(seed)
    R = 4
    counts = split_requests(R, d.shares)
    sol = route_optimally(d, start, end, R, objective=objective, time_limit_s=20)
    want = best_routing(d, start, end, counts, objective)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(want, rel=1e-9)
    load = [0] * d.J
    for c, (p, ks) in zip(sol.clients, sol.chains):
        assert perf.chain_feasible(start, end, p, d.L)
        assert list(ks) == perf.hop_blocks(start, end, p)
        for j, k in zip(p, ks):
            load[j] += k
    assert all(d.s_m * (end[j] - start[j]) + d.s_c * load[j] <= d.memory[j] + 1e-9 for j in range(d.J))


def test_shortest_path_routing_overloads_and_the_ilp_spreads():
    scn, d, start, end = crowded(1, fast_first=True)
    sol = route_optimally(d, start, end, 4, objective="service", time_limit_s=20)
    # the one-server chain takes 6 of 7 cache slots per request: two requests do not fit on it
    assert sol.shortest_path_chains == tuple(((0,), (6,)) for _ in range(4))
    assert sol.shortest_path_memory_ok is False
    assert len({p for p, _ in sol.chains}) > 1 and sum(p == (0,) for p, _ in sol.chains) == 1
    assert sol.objective >= sol.shortest_path_objective * (1 - 1e-12)
    assert sol.objective > sol.shortest_path_objective
    light = route_optimally(d, start, end, 1, objective="service", time_limit_s=20)
    assert light.shortest_path_memory_ok and light.objective == pytest.approx(light.shortest_path_objective)


def test_infeasible_routing_is_reported():
    scn, d, start, end = crowded(2)
    sol = route_optimally(d, start, end, 40, time_limit_s=10)
    assert sol.status == "infeasible" and sol.chains is None


@pytest.mark.parametrize("seed", range(4))
def test_gap_report_orderings(seed):
    scn = paperish(seed)
    rep = gap_report(scn, [1, 2, 3], time_limit_s=20)
    d = perf.derive(scn)
    assert rep["objective_kind"] == "decode" and rep["l_out"] == d.l_out
    for row in rep["rows"]:
        R = row["R"]
        if row["cgbprr_ms"] is None:
            continue
        assert row["status"] == "optimal"
        tol = 1e-9 * row["cgbprr_ms"]
        assert row["milp_bound_ms"] <= row["milp_ms"] + tol
        assert row["milp_ms"] <= row["routing_opt_on_cgbp_ms"] + tol     # the optimum may move blocks too
        assert row["routing_opt_on_cgbp_ms"] <= row["cgbprr_ms"] + tol   # CG-BPRR's routing is one candidate
        assert row["excess"] >= -1e-9
        assert row["milp_ms_per_token"] == pytest.approx(row["milp_ms"] / (R * d.l_out))
        # Theorem 2 bounds CG-BPRR's per-token decode cost
        assert row["cgbprr_ms_per_token"] <= row["theorem2_bound_ms_per_token"] * (1 + 1e-9)
        core = cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)
        assert row["theorem2_bound_ms_per_token"] == core["bound"]


def test_gap_report_default_R_is_the_scenario_rule():
    scn = paperish(5)
    rep = gap_report(scn, time_limit_s=20)
    assert [r["R"] for r in rep["rows"]] == [scn.policy.R]


def test_cli_compare_with_optimum(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(scenario.dumps(paperish(1)))
    r = run_cli("compare", str(f), "--policies", "proposed", "edgeshard", "--with-optimum", "--optimum-R", "1", "2")
    assert r.returncode == 0, r.stderr
    assert "Exact optimum (MILP-BPRR) vs CG-BPRR" in r.stdout and "ms/tok" in r.stdout
    r = run_cli("compare", str(f), "--policies", "proposed", "--with-optimum", "--optimum-R", "2", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"policies", "optimum"} and "proposed" in out["policies"]
    row = out["optimum"]["rows"][0]
    assert row["R"] == 2 and row["milp_ms"] <= row["cgbprr_ms"] * (1 + 1e-9)
    r = run_cli("compare", str(f), "--with-optimum", "--optimum-R", "0")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr
