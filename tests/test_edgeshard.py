"""EdgeShard's latency DP adapted to contiguous spans (SPEC 6): exact against enumeration, valid placements,
replicas on the servers left, and the policy end to end."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.helpers import SAMPLES, run_cli
from core import api, perf, scenario
from core.errors import Infeasible
from core.placement.cgbp import cgbp_core, offline_cost
from core.placement.edgeshard import best_chain, edgeshard_caps
from core.policies import POLICIES
from test_milp import paperish, tiny_scenario


def enumerate_best(A, B, caps, L):
    """Least cost over every set of distinct servers and every split of L blocks among them."""
    best = math.inf
    J = len(A)
    for size in range(1, J + 1):
        for subset in itertools.combinations(range(J), size):
            ranges = [range(1, min(caps[j], L) + 1) for j in subset]
            for ns in itertools.product(*ranges):
                if sum(ns) == L:
                    best = min(best, sum(A[j] + B[j] * n for j, n in zip(subset, ns)))
    return best


@pytest.mark.parametrize("seed", range(10))
def test_dp_equals_enumeration(seed):
    rng = np.random.default_rng(seed)
    J, L = int(rng.integers(1, 6)), int(rng.integers(1, 10))
    A = rng.uniform(0, 100, J).round(2).tolist()
    B = rng.uniform(1, 30, J).round(2).tolist()
    caps = rng.integers(0, L + 2, J).tolist()
    got = best_chain(A, B, caps, L)
    want = enumerate_best(A, B, caps, L)
    if math.isinf(want):
        assert got is None
        return
    cost, hops = got
    assert cost == pytest.approx(want, rel=1e-12)
    assert sum(n for _, n in hops) == L
    assert len({j for j, _ in hops}) == len(hops)
    assert all(1 <= n <= caps[j] for j, n in hops)
    assert cost == pytest.approx(sum(A[j] + B[j] * n for j, n in hops), rel=1e-12)


def _chains_of(p, scn):
    ids = scn.server_ids
    return [[ids.index(s) for s in ch["servers"]] for ch in p.info["chains"]]


@pytest.mark.parametrize("seed", range(6))
def test_placement_is_valid_and_no_slower_than_cgbp_chain(seed):
    scn = paperish(seed)
    d = perf.derive(scn)
    try:
        p = api.place(scn, "edgeshard", d)
    except Infeasible:
        pytest.skip("infeasible instance")
    R = p.info["R"]
    caps = edgeshard_caps(d, R)
    used = set()
    for chain in _chains_of(p, scn):
        done = 0
        for j in chain:                     # spans tile [0, L) in chain order, one span per server
            assert p.start[j] == done and p.end[j] > done
            done = p.end[j]
            assert j not in used
            used.add(j)
            m = p.end[j] - p.start[j]
            assert m <= caps[j]             # room for R sessions (and max_blocks)
            assert d.s_m * m + d.s_c * R * m <= d.memory[j] + 1e-9
        assert done == d.L
    for j in range(d.J):
        if j not in used:
            assert p.start[j] == p.end[j]
    # CG-BP's own chain is one of the DP's candidates, so the DP's single-request time is no larger
    if len(d.shares) == 1:
        core = cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)
        if core["feasible"]:
            end = [a + m for a, m in zip(core["start"], core["m"])]
            cg, _ = offline_cost(d, core["start"], end, 0, d.l_out)
            assert p.info["latency_ms"] <= cg * (1 + 1e-12)
            es, _ = offline_cost(d, p.start, p.end, 0, d.l_out)
            assert es == pytest.approx(p.info["latency_ms"], rel=1e-9)


def test_replicas_use_the_servers_left():
    d = scenario.to_dict(tiny_scenario(1, 4, 6, tight=False))
    for s in d["servers"]:
        s.update(memory_gb=3.5, tau_ms=5.0, tau_in_ms=10.0)
        s.pop("max_blocks", None)
    d["model"]["cache_gb"] = 0.1
    d["policy"]["R"] = 1
    scn = scenario.from_dict(d)
    p = api.place(scn, "edgeshard")
    chains = _chains_of(p, scn)
    assert len(chains) == 2 and all(len(c) == 2 for c in chains)   # 3 blocks per server: two pairs
    assert set(chains[0]).isdisjoint(chains[1])
    assert p.info["chains"][0]["latency_ms"] <= p.info["chains"][1]["latency_ms"]


def test_infeasible_names_the_shortfall(tmp_path):
    d = scenario.to_dict(tiny_scenario(2, 2, 8))
    for s in d["servers"]:
        s["memory_gb"] = 2.0
    d["policy"]["R"] = 1
    with pytest.raises(Infeasible, match="EdgeShard: the servers can hold"):
        api.place(scenario.from_dict(d), "edgeshard")
    f = tmp_path / "bad.json"
    f.write_text(scenario.dumps(scenario.from_dict(d)))
    r = run_cli("place", str(f), "--algorithm", "edgeshard")
    # the CLI may catch it earlier with its own memory check; either way one line and exit 2
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_policy_registered_and_simulates_deterministically():
    spec = POLICIES["edgeshard"]
    assert (spec.placer, spec.router, spec.alloc) == ("edgeshard", "wsrr", "proposed")
    scn = scenario.load(str(SAMPLES / "teaching_small.json"))
    a = api.simulate(scn, "edgeshard")
    b = api.simulate(scn, "edgeshard")
    assert a.records == b.records and len(a.records) == scn.workload.n_requests
    # WS-RR's slots are the residual memory of each span
    d = perf.derive(scn)
    for j, (s, e) in enumerate(zip(a.placement.start, a.placement.end)):
        assert a.placement.cache_slots[j] == math.floor((d.memory[j] - (e - s) * d.s_m) / d.s_c)
