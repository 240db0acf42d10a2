"""core.breakdown: the parts of a request's time add up to the simulator's time, and each part is the right term."""
from __future__ import annotations

import math

import pytest

from core import api, breakdown, scenario as scn_mod
from core.errors import Infeasible
from core.perf import derive
from core.policies import POLICIES
from tests.helpers import SAMPLES

TEACHING = SAMPLES / "teaching_small.json"


def _tiny(**workload) -> scn_mod.Scenario:
    """One server that holds every block, one client 10 ms away: every term can be worked out by hand."""
    wl = {"rate_per_s": 1, "n_requests": 1, "l_in": 2, "l_out": 3, "seed": 0, "arrivals_ms": [0]}
    wl.update(workload)
    return scn_mod.from_dict({
        "format": "swarmscope.scenario/1", "name": "tiny",
        "model": {"n_blocks": 4, "d_model": 8, "params_per_block": 1, "bits_per_param": 8,
                  "block_gb": 1.0, "cache_gb": 0.01},
        "servers": [{"id": "s", "lat": 0, "lon": 0, "gpu": "X", "memory_gb": 100, "tau_ms": 1.0, "tau_in_ms": 5.0}],
        "clients": [{"id": "c", "lat": 0, "lon": 1}],
        "network": {"rtt_ms": {"c": {"s": 10}}, "per_token_overhead_ms": 100, "prefill_overhead_ms": 50},
        "workload": wl,
        "policy": {"R": 1, "initial_delay_ms": 70, "alloc_delay_ms": {"proposed": 60000, "petals": 250000}},
    })


def test_each_part_is_the_hand_computed_term():
    scn = _tiny()
    res = api.simulate(scn, "proposed")
    (rec,) = res.records
    parts = breakdown.request_parts(scn, derive(scn), rec, 60000)
    # L = 4 blocks on one server, l_in = 2, l_out = 3 (2 decode steps after the first token)
    assert parts == pytest.approx({"prefill_ms": 5 * 4, "decode_ms": 2 * 1 * 4, "network_ms": 10 * 3,
                                   "overhead_ms": 50 + 2 * 100, "wait_ms": 0.0, "fixed_ms": 70 + 60000})
    assert sum(parts.values()) == pytest.approx(rec.time_ms, rel=1e-12)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_parts_sum_to_request_time_on_teaching_sample(policy):
    scn = scn_mod.load(str(TEACHING))
    try:
        res = api.simulate(scn, policy)
    except Infeasible:
        pytest.skip(f"{policy} infeasible on the sample")
    d = derive(scn)
    alloc = POLICIES[policy].alloc_delay_ms(scn.policy)
    assert any(r.wait_ms > 0 for r in res.records) or policy != "proposed"  # the sample exercises waits
    for rec in res.records:
        parts = breakdown.request_parts(scn, d, rec, alloc)
        assert set(parts) == {k for k, _ in breakdown.PARTS}
        assert all(v >= 0 for v in parts.values())
        assert math.isclose(sum(parts.values()), rec.time_ms, rel_tol=1e-9)


def test_per_token_parts_add_up_to_headline_per_token_time():
    scn = scn_mod.load(str(TEACHING))
    for policy in ("proposed", "petals"):
        res = api.simulate(scn, policy)
        parts = breakdown.per_token_parts(scn, res)
        assert math.isclose(sum(parts.values()), res.summary["avg_per_token_ms"], rel_tol=1e-9)
    # the calibrated allocation delay differs by policy (60 s vs 250 s per request)
    p = breakdown.per_token_parts(scn, api.simulate(scn, "proposed"))["fixed_ms"]
    q = breakdown.per_token_parts(scn, api.simulate(scn, "petals"))["fixed_ms"]
    assert q > p


def test_parts_sum_with_several_clients_and_output_lengths():
    base = scn_mod.to_dict(scn_mod.load(str(TEACHING)))
    base["clients"].append({"id": "c1", "name": "Oslo", "lat": 59.9, "lon": 10.7, "share": 2.0})
    n = base["workload"]["n_requests"]
    base["workload"]["l_out_per_request"] = [64 + (r % 3) * 32 for r in range(n)]
    scn = scn_mod.from_dict(base)
    d = derive(scn)
    res = api.simulate(scn, "proposed")
    assert {r.client for r in res.records} == {"c0", "c1"}
    for rec in res.records:
        parts = breakdown.request_parts(scn, d, rec, scn.policy.alloc_delay_proposed_ms)
        assert math.isclose(sum(parts.values()), rec.time_ms, rel_tol=1e-9)
