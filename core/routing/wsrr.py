"""WS-RR: waiting-penalised shortest-path request routing ([BPRR]; SPEC 3.3), and offline CG-BPRR routing.

Edge cost into j = w(j, k) + C_j(k), with w the wait for k free cache slots on j; the sink edge costs a
placeholder 1 (the reference treats weight 0 as "no edge"), subtracted from the reported path cost.
"""
from __future__ import annotations

from .. import perf
from ..paths import span_shortest
from ..perf import Derived
from ..placement.base import Placement
from ..scenario import Scenario
from .base import Chain, Request, register_router

SINK_PLACEHOLDER = 1.0


class WSRR:
    """Online router: reads the ledger for waits (or ignores them when `offline`).

    Fast path: waits only ever raise edge costs, so when every hop of the wait-free shortest chain has its
    slots free now, that chain is still the shortest, and the tie rules pick it again (each of its nodes
    keeps its distance and its first-settled predecessor). Only otherwise is the graph solved anew.
    """

    def __init__(self, d: Derived, placement: Placement, offline: bool = False):
        self.d = d
        self.start, self.end = placement.start, placement.end
        self.offline = offline
        self._static: dict[tuple, Chain | None] = {}

    def route(self, req: Request, t: float, ledger) -> Chain | None:
        """Shortest chain under the waiting-penalised edge costs at time t."""
        key = (req.client, req.l_out, req.slot_scale)
        if key not in self._static:
            self._static[key] = self._solve(req, t, ledger, use_waits=False)
        chain = self._static[key]
        if self.offline or chain is None:
            return chain
        if all(ledger.ready_time(j, k * req.slot_scale, t) == t for j, k in zip(chain.path, chain.k)):
            return chain
        return self._solve(req, t, ledger, use_waits=True)

    def _solve(self, req: Request, t: float, ledger, use_waits: bool) -> Chain | None:
        d, c, lo, scale = self.d, req.client, req.l_out, req.slot_scale
        waits: dict[tuple[int, int], float | None] = {}

        def wait(j: int, k: int) -> float | None:
            if (j, k) not in waits:
                tw = ledger.ready_time(j, k * scale, t) if use_waits else t
                waits[(j, k)] = None if tw is None else tw - t  # None: more slots than j has, no edge
            return waits[(j, k)]

        def cost(j: int, k: int) -> float | None:
            w = wait(j, k)
            if w is None:
                return None
            # (w + network) + compute: the reference's order of additions, which decides exact ties
            a, b = perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], k, lo)
            return (w + a) + b

        dist, path = span_shortest(self.start, self.end, d.L, cost, lambda j: SINK_PLACEHOLDER)
        if path is None:
            return None
        k = tuple(perf.hop_blocks(self.start, self.end, path))
        time_terms, ttft_terms = [], []
        for j, kj in zip(path, k):
            w = waits[(j, kj)]
            time_terms += [cost(j, kj), -w]
            ttft_terms += [perf.first_token_cost(d.t_in[c][j], d.tau_in[j], kj, w), -w]
        return Chain(tuple(path), k, dist - SINK_PLACEHOLDER, tuple(time_terms), tuple(ttft_terms))


@register_router("wsrr", "WS-RR (waiting-penalised shortest path)", "[BPRR] WS-RR; SPEC 3.3")
def make_wsrr(scn: Scenario, d: Derived, placement: Placement) -> WSRR:
    """WS-RR over a placement."""
    return WSRR(d, placement)


@register_router("offline-sp", "Offline shortest path (CG-BPRR, no waits)", "[BPRR] CG-BPRR; SPEC 3.3")
def make_offline(scn: Scenario, d: Derived, placement: Placement) -> WSRR:
    """CG-BPRR's offline routing: the same shortest path with waits ignored when choosing."""
    return WSRR(d, placement, offline=True)
