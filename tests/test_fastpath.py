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
    scn = scenario.from_dict(base)
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
