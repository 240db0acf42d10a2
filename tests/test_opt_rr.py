"""Opt-RR (SPEC 4.3): each request's chain minimises service time plus the largest wait, exactly (checked
against enumerating every chain with the live ledger), and the petals-opt-rr policy end to end."""
from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import SAMPLES
from core import api, perf, scenario
from core.placement.base import Placement
from core.policies import POLICIES
from core.routing.base import Request
from core.routing.ledger import Ledger
from core.routing.opt_rr import OptRR
from test_milp import all_chains, tiny_scenario


def random_setup(seed: int):
    """A tiny cluster, a random covering placement, and a ledger with sessions that cause waits."""
    rng = np.random.default_rng(seed)
    J, L = int(rng.integers(3, 7)), int(rng.integers(4, 9))
    scn = tiny_scenario(seed, J, L, tight=False)
    d = perf.derive(scn)
    while True:
        start = rng.integers(0, L, J)
        end = np.minimum(start + rng.integers((L + 1) // 2, L + 1, J), L)  # long spans: many alternative chains
        if all_chains(start.tolist(), end.tolist(), L):
            break
    slots = [int(rng.integers(2, 3 * L)) for _ in range(J)]
    p = Placement("test", tuple(int(x) for x in start), tuple(int(x) for x in end), tuple(slots))
    ledger = Ledger(slots)
    for r in range(int(rng.integers(0, 20))):
        j = int(rng.integers(0, J))
        ledger.admit(r, [j], [int(rng.integers(1, slots[j] + 1))], float(rng.uniform(10, 20000)))
    return scn, d, p, ledger


def oracle(d, p, ledger, req, t):
    """Least service time + largest wait over every feasible chain (math.inf if none)."""
    best = math.inf
    for path, ks in all_chains(list(p.start), list(p.end), d.L):
        waits, cost = [], 0.0
        for j, k in zip(path, ks):
            tw = ledger.ready_time(j, k, t)
            if tw is None:
                break
            waits.append(tw - t)
            cost += perf.link_cost(d.t_in[req.client][j], d.t[req.client][j], d.tau_in[j], d.tau[j], k, req.l_out)
        else:
            best = min(best, cost + max(waits))
    return best


@pytest.mark.parametrize("seed", range(16))
def test_chain_is_optimal_against_enumeration(seed):
    scn, d, p, ledger = random_setup(seed)
    router = OptRR(scn, d, p)
    req = Request(0, 0, d.l_out)
    t = 1.0
    want = oracle(d, p, ledger, req, t)
    chain = router.route(req, t, ledger)
    if math.isinf(want):
        assert chain is None
        return
    assert perf.chain_feasible(p.start, p.end, chain.path, d.L)
    assert list(chain.k) == perf.hop_blocks(p.start, p.end, chain.path)
    waits = [ledger.ready_time(j, k, t) - t for j, k in zip(chain.path, chain.k)]
    value = sum(perf.link_cost(d.t_in[0][j], d.t[0][j], d.tau_in[j], d.tau[j], k, d.l_out)
                for j, k in zip(chain.path, chain.k)) + max(waits)
    assert value == pytest.approx(want, rel=1e-12)
    assert chain.path_cost_ms == pytest.approx(want, rel=1e-12)
    # the simulator adds time_terms for the service time and the realised wait separately
    assert math.fsum(chain.time_terms) == pytest.approx(value - max(waits), rel=1e-12)


def test_some_instances_needed_the_solver_and_beat_the_wait_free_shortest_chain():
    """The pruned MILP is exercised: with waits, the optimum often leaves the cheapest chain."""
    solved, left = 0, 0
    for seed in range(16):
        scn, d, p, ledger = random_setup(seed)
        router = OptRR(scn, d, p)
        req = Request(0, 0, d.l_out)
        chain = router.route(req, 1.0, ledger)
        free = router.route(req, 1.0, Ledger(p.cache_slots))  # the same request on an empty ledger
        solved += router.n_milp
        if chain is not None and free is not None and chain.path != free.path:
            left += 1
    assert solved >= 6 and left >= 2


def test_no_waits_takes_the_cheapest_chain_without_a_solver():
    scn, d, p, _ = random_setup(3)
    router = OptRR(scn, d, p)
    chain = router.route(Request(0, 0, d.l_out), 0.0, Ledger(p.cache_slots))
    assert router.n_milp == 0
    assert chain.path_cost_ms == pytest.approx(oracle(d, p, Ledger(p.cache_slots), Request(0, 0, d.l_out), 0.0))


def test_petals_opt_rr_policy_end_to_end():
    spec = POLICIES["petals-opt-rr"]
    assert (spec.placer, spec.router, spec.alloc) == ("petals", "opt-rr", "petals")
    scn = scenario.load(str(SAMPLES / "teaching_small.json"))
    d = scenario.to_dict(scn)
    d["workload"].update(rate_per_s=2.0, n_requests=40)   # busy: waits appear and the solver runs
    scn = scenario.from_dict(d)
    a = api.simulate(scn, "petals-opt-rr")
    base = api.simulate(scn, "petals")
    assert a.placement.start == base.placement.start and a.placement.end == base.placement.end
    assert len(a.records) == 40 and a.records == api.simulate(scn, "petals-opt-rr").records
    dd = perf.derive(scn)
    for x in a.records:
        assert x.wait_ms == perf.backoff_ms(x.raw_wait_ms)
        ids = [scn.server_ids.index(s) for s in x.path]
        assert perf.chain_feasible(a.placement.start, a.placement.end, ids, dd.L)
        assert x.path_cost_ms >= x.raw_wait_ms
