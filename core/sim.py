"""The CPU simulator (SPEC 3.3, 4.2): requests in arrival order, routed one at a time over a slot ledger.

Per request: route, take the realised wait as the largest wait along the chain, round it up to PETALS'
retry schedule, then time = service + wait + initial delay + allocation delay; the request holds its cache
slots on every server of its chain from arrival to completion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import perf
from .errors import Infeasible
from .perf import Derived
from .placement.base import Placement
from .policies import PolicySpec
from .routing.base import ROUTERS, Request
from .routing.ledger import Ledger
from .scenario import Scenario


@dataclass(frozen=True)
class RequestRecord:
    """What happened to one request (SPEC 8.2 fields; times in ms, absolute unless named *_ms of a span)."""

    r: int
    client: str
    arrival_ms: float
    path: tuple
    k: tuple
    hop_raw_wait_ms: tuple
    raw_wait_ms: float
    wait_ms: float
    ttft_ms: float
    time_ms: float
    completion_ms: float
    path_cost_ms: float
    l_out: int

    @property
    def per_token_ms(self) -> float:
        """Time per generated token."""
        return self.time_ms / self.l_out


@dataclass(frozen=True)
class SimResult:
    """A simulation: the policy, its placement, per-request records and the summary."""

    policy: str
    placement: Placement
    records: tuple
    summary: dict

    def to_dict(self, scn: Scenario) -> dict:
        """JSON form (SPEC 8.2)."""
        return {"policy": self.policy, "summary": self.summary, "placement": self.placement.to_dict(scn),
                "requests": [{"r": x.r, "client": x.client, "arrival_ms": x.arrival_ms, "path": list(x.path),
                              "k": list(x.k), "hop_raw_wait_ms": list(x.hop_raw_wait_ms),
                              "raw_wait_ms": x.raw_wait_ms, "wait_ms": x.wait_ms, "ttft_ms": x.ttft_ms,
                              "time_ms": x.time_ms, "completion_ms": x.completion_ms,
                              "path_cost_ms": x.path_cost_ms, "l_out": x.l_out} for x in self.records]}


def arrivals(scn: Scenario) -> list[float]:
    """Arrival times (ms): explicit, summed gaps (sequentially, as the reference), or Poisson from the seed."""
    w = scn.workload
    if w.arrivals_ms is not None:
        return list(w.arrivals_ms)
    if w.inter_arrivals_ms is not None:
        gaps = list(w.inter_arrivals_ms)
    else:
        rng = np.random.default_rng([w.seed, 1])  # stream 1: arrivals
        gaps = rng.exponential(1000.0 / w.rate_per_s, w.n_requests).tolist()
        gaps[0] = 0.0  # the first request arrives at time 0, as in the reference
    out, t = [], 0.0
    for g in gaps:
        t = t + g
        out.append(t)
    return out


def request_clients(scn: Scenario, d: Derived) -> list[int]:
    """The client of each request: drawn by load share from the seed (all 0 with one client)."""
    n = scn.workload.n_requests
    if d.shares == (1.0,) or len(d.shares) == 1:
        return [0] * n
    rng = np.random.default_rng([scn.workload.seed, 2])  # stream 2: clients
    return [int(x) for x in rng.choice(len(d.shares), size=n, p=np.asarray(d.shares))]


def summarize(records, n_servers: int) -> dict:
    """Mean per-token time (total time / tokens), TTFT, wait, per-token percentiles, peak concurrency."""
    times = [x.time_ms for x in records]
    total = 0.0
    for x in times:
        total += x
    tokens = sum(x.l_out for x in records)
    per_tok = np.array([x.per_token_ms for x in records])
    waits = [x.wait_ms for x in records]
    return {
        "n_requests": len(records),
        "total_time_ms": total,
        "avg_per_token_ms": total / tokens,
        "avg_ttft_ms": float(sum(x.ttft_ms for x in records) / len(records)),
        "avg_wait_ms": float(sum(waits) / len(records)),
        "p50_per_token_ms": float(np.percentile(per_tok, 50)),
        "p95_per_token_ms": float(np.percentile(per_tok, 95)),
        "p99_per_token_ms": float(np.percentile(per_tok, 99)),
        "max_concurrent": 0,
    }


def run(scn: Scenario, d: Derived, spec: PolicySpec, placement: Placement, progress=None) -> SimResult:
    """Simulate every request of the scenario under a policy on a given placement."""
    router = ROUTERS[spec.router].make(scn, d, placement)
    ledger = Ledger(placement.cache_slots)
    pol = scn.policy
    alloc = spec.alloc_delay_ms(pol)
    ids = scn.server_ids
    cids = [c.id for c in scn.clients]
    times = arrivals(scn)
    clients = request_clients(scn, d)
    l_outs = scn.workload.l_out_per_request or (d.l_out,) * len(times)
    nominal = d.l_in + d.l_out
    records, peak = [], 0
    for r, t in enumerate(times):
        peak = max(peak, 1 + ledger.concurrent(t))
        req = Request(r, clients[r], l_outs[r], 1 if l_outs[r] == d.l_out else (d.l_in + l_outs[r]) / nominal)
        chain = router.route(req, t, ledger)
        if chain is None:
            raise Infeasible(f"{spec.name}: request {r} (client {cids[req.client]}) has no feasible chain: "
                             f"some block is held only by servers with too few cache slots",
                             {"request": r})
        hop_waits, raw = [], 0.0
        for j, kj in zip(chain.path, chain.k):
            tw = ledger.ready_time(j, kj * req.slot_scale, t)
            if tw is None:
                raise Infeasible(f"{spec.name}: request {r} needs {kj} cache slots on server {ids[j]}, "
                                 f"which has only {placement.cache_slots[j]}", {"request": r, "server": ids[j]})
            hop_waits.append(tw - t)
            raw = max(raw, tw - t)
        wait = perf.backoff_ms(raw)
        acc = 0.0
        for x in chain.time_terms:
            acc = acc + x
        ttft = 0.0
        for x in chain.ttft_terms:
            ttft = ttft + x
        time_r = ((acc + wait) + pol.initial_delay_ms) + alloc
        ttft = ((ttft + wait) + pol.initial_delay_ms) + alloc
        completion = t + time_r
        ledger.admit(r, chain.path, [kj * req.slot_scale for kj in chain.k], completion)
        records.append(RequestRecord(r, cids[req.client], t, tuple(ids[j] for j in chain.path), chain.k,
                                     tuple(hop_waits), raw, wait, ttft, time_r, completion, chain.path_cost_ms,
                                     req.l_out))
        if progress is not None and (r % 200 == 0 or r == len(times) - 1):
            progress((r + 1) / len(times))
    summary = summarize(records, d.J)
    summary["max_concurrent"] = peak
    return SimResult(spec.name, placement, tuple(records), summary)
