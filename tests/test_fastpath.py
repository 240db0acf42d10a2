"""The routers' fast paths (reuse the wait-free / penalty-free chain when its hops are free) must give
exactly the chains and times of solving the whole graph for every request."""
from __future__ import annotations

import json

import pytest

from bench.synth import synthetic
from core import api, scenario
from core.routing import petals as petals_mod
from core.routing import wsrr as wsrr_mod


def _full_wsrr(self, req, t, ledger):
    return self._solve(req, t, ledger, use_waits=not self.offline)


def _full_petals(self, req, t, ledger):
    return self._solve(req, [self._full(j, t, ledger) for j in range(self.d.J)])


@pytest.mark.parametrize("policy", ["proposed", "petals"])
@pytest.mark.parametrize("seed", [1, 2])
def test_fast_path_equals_full_solve(monkeypatch, policy, seed):
    # a loaded cluster (high rate, several clients) so that waits and full servers really occur
    base = scenario.to_dict(synthetic(25, 300, rate_per_s=3.0, seed=seed, n_clients=2))
    base["policy"]["R"] = 2  # a placement sized for far less than the load: waits are certain
    _assert_fast_equals_full(monkeypatch, scenario.from_dict(base), policy)


def _assert_fast_equals_full(monkeypatch, scn, policy: str) -> None:
    """Simulate with the routers' fast paths, then with a full solve for every request: the same JSON."""
    fast = api.simulate(scn, policy).to_dict(scn)
    monkeypatch.setattr(wsrr_mod.WSRR, "route", _full_wsrr)
    monkeypatch.setattr(petals_mod.PetalsRouter, "route", _full_petals)
    full = api.simulate(scn, policy).to_dict(scn)
    assert any(r["raw_wait_ms"] > 0 for r in full["requests"]), "the scenario must exercise waits"
    assert json.dumps(fast) == json.dumps(full)


@pytest.mark.parametrize("seed", range(8))
def test_petals_span_dag_equals_dijkstra(seed):
    import random

    from core import perf
    from core.routing.base import Request

    scn = synthetic(30, 10, seed=seed, n_clients=2, frac_a100=0.3)
    d = perf.derive(scn)
    router = petals_mod.PetalsRouter(scn, d, api.place(scn, "petals", d))
    rng = random.Random(seed)
    for trial in range(20):
        full = [rng.random() < 0.3 for _ in range(d.J)]
        req = Request(trial, trial % 2, 128)
        a, b = router._solve(req, full), router._solve_dijkstra(req, full)
        assert a == b


@pytest.mark.parametrize("policy", ["proposed", "petals"])
def test_fast_paths_keep_the_tie_rules_with_identical_twins(monkeypatch, policy):
    """Every server has an identical twin (same site, same GPU): equal-cost chains everywhere, under load."""
    base = scenario.to_dict(synthetic(12, 200, rate_per_s=3.0, seed=5, n_clients=2))
    twins = [dict(s, id=s["id"] + "b", name=s["name"] + " twin") for s in base["servers"]]
    base["servers"] = [x for pair in zip(base["servers"], twins) for x in pair]
    base["policy"]["R"] = 2
    _assert_fast_equals_full(monkeypatch, scenario.from_dict(base), policy)


@pytest.mark.parametrize("seed", range(12))
def test_wsrr_span_end_dp_equals_span_dijkstra_with_exact_ties(seed):
    """WS-RR's vectorised DP against the span Dijkstra on graphs whose costs are small integers, so that
    equal-cost chains and equal distances at one span end are everywhere, with random cache occupancy."""
    import dataclasses
    import random

    from core import perf
    from core.placement.base import Placement
    from core.routing.base import Request
    from core.routing.ledger import Ledger

    rng = random.Random(seed)
    L, J = 10, 12
    d = perf.derive(synthetic(J, 5, seed=seed, n_blocks=L))
    d = dataclasses.replace(d, t=(tuple(float(rng.choice([1, 2])) for _ in range(J)),),
                            t_in=(tuple(float(rng.choice([1, 2])) for _ in range(J)),),
                            tau=tuple(float(rng.choice([1, 2])) for _ in range(J)),
                            tau_in=tuple(float(rng.choice([1, 2])) for _ in range(J)))
    cuts = [0, *sorted(rng.sample(range(1, L), 3)), L]      # the first servers form one covering chain
    start, end = cuts[:-1], cuts[1:]
    while len(start) < J:
        s = rng.randrange(0, L)
        start.append(s)
        end.append(min(L, s + rng.randrange(1, 5)))
    slots = tuple(max(e - s, rng.choice([2, 4, 8])) for s, e in zip(start, end))
    router = wsrr_mod.WSRR(d, Placement("test", tuple(start), tuple(end), slots))
    ledger = Ledger(slots)
    used = [0] * J
    for r in range(rng.randrange(5, 30)):
        path = rng.sample(range(J), rng.randrange(1, 4))
        k = [rng.randrange(1, 6) for _ in path]
        if all(used[j] + n <= slots[j] for j, n in zip(path, k)):
            ledger.admit(r, path, k, float(rng.randrange(1, 40)))
            for j, n in zip(path, k):
                used[j] += n
    checked = 0
    for trial in range(10):
        req = Request(100 + trial, 0, rng.choice([1, 2, 3]))
        a = router._solve_levels(req, 0.0, ledger)
        b = router._solve(req, 0.0, ledger, use_waits=True)
        assert a == b
        checked += a is not None
    assert checked >= 5, "most requests must be routable"
