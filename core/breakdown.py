"""Where a request's time goes: SPEC 2.1's time formula split into named parts (all in ms).

    time = sum_j [(t_in_cj + (l_out - 1) t_cj) + (tau_in_j + (l_out - 1) tau_j) k_j] + wait + initial + alloc

with t_cj = raw RTT + per-token overhead and t_in_cj = raw RTT + prefill overhead, so the network term splits
into the raw round trips and the calibrated protocol overheads. The parts of one request add up to its
`time_ms` (up to floating-point rounding: the simulator adds the same terms in another order).
"""
from __future__ import annotations

from .perf import Derived, derive, value_at
from .policies import POLICIES
from .scenario import Scenario
from .sim import RequestRecord, SimResult

# (key, label) in the order a stacked bar draws them: compute, network, then delays.
PARTS: tuple[tuple[str, str], ...] = (
    ("prefill_ms", "prefill compute"),
    ("decode_ms", "decode compute"),
    ("network_ms", "network round trips"),
    ("overhead_ms", "per-token / prefill overheads"),
    ("wait_ms", "wait for cache (after backoff)"),
    ("fixed_ms", "fixed delays (initial + allocation)"),
)


def request_parts(scn: Scenario, d: Derived, record: RequestRecord, alloc_delay_ms: float) -> dict[str, float]:
    """One request's time split into PARTS (ms); their sum equals record.time_ms."""
    c = [x.id for x in scn.clients].index(record.client)
    index = {sid: j for j, sid in enumerate(scn.server_ids)}
    over_tok = scn.network.per_token_overhead_ms
    over_in = value_at(scn.network.prefill_overhead_ms, d.l_in)
    steps = record.l_out - 1
    out = {key: 0.0 for key, _ in PARTS}
    for sid, k in zip(record.path, record.k):
        j = index[sid]
        out["prefill_ms"] += d.tau_in[j] * k
        out["decode_ms"] += steps * d.tau[j] * k
        out["network_ms"] += d.raw_cs[c][j] * (1 + steps)
        out["overhead_ms"] += over_in + steps * over_tok
    out["wait_ms"] = record.wait_ms
    out["fixed_ms"] = scn.policy.initial_delay_ms + alloc_delay_ms
    return out


def per_token_parts(scn: Scenario, result: SimResult, d: Derived | None = None) -> dict[str, float]:
    """PARTS summed over all requests and divided by all generated tokens (ms/token): they add up to the
    summary's avg_per_token_ms, so a stacked bar of them has the height of the headline number."""
    d = d or derive(scn)
    alloc = POLICIES[result.policy].alloc_delay_ms(scn.policy)
    totals = {key: 0.0 for key, _ in PARTS}
    tokens = 0
    for rec in result.records:
        for key, v in request_parts(scn, d, rec, alloc).items():
            totals[key] += v
        tokens += rec.l_out
    return {key: v / tokens for key, v in totals.items()}
