"""PETALS' inference routing ([PETALS] client/routing/sequence_manager.py; SPEC 4.2).

Edge weights: half the raw RTT (client-server into the first server, server-server between servers, the last
server back to the client) + the serialisation overhead + tau * k, plus a penalty when the server is full.
No waiting term; realised waits come from the ledger afterwards.
"""
from __future__ import annotations

from .. import perf
from ..paths import dijkstra, path_to
from ..perf import Derived
from ..placement.base import Placement
from ..scenario import Scenario
from .base import Chain, Request, register_router
from .graph import build_graph


class PetalsRouter:
    """Dijkstra on PETALS' latency estimate, with the full-server penalty from live session counts."""

    def __init__(self, scn: Scenario, d: Derived, placement: Placement):
        self.d = d
        self.g = build_graph(placement.start, placement.end, d.L)
        self.capacity = placement.session_capacity
        self.overhead = scn.policy.petals_overhead_ms
        self.penalty = scn.policy.petals_penalty_ms
        self.reference = scn.policy.mode == "reference"
        self._static: dict[tuple, Chain | None] = {}

    def _full(self, j: int, t: float, ledger) -> bool:
        active = ledger.active_count(j, t)
        if self.reference:
            return self.capacity[j] - active == 0  # the reference's exact-equality quirk (SPEC 4.2)
        return active >= self.capacity[j]

    def route(self, req: Request, t: float, ledger) -> Chain | None:
        """PETALS' chain for a request arriving at t.

        Fast path: penalties only raise edge costs, so if no server of the penalty-free shortest chain is
        full now, that chain (and the tie rules' choice of it) stands; else the graph is solved anew.
        """
        key = (req.client, req.l_out)
        if key not in self._static:
            self._static[key] = self._solve(req, [False] * self.d.J)
        chain = self._static[key]
        if chain is None or not any(self._full(j, t, ledger) for j in chain.path):
            return chain
        return self._solve(req, [self._full(j, t, ledger) for j in range(self.d.J)])

    def _solve(self, req: Request, full: list[bool]) -> Chain | None:
        d, g, c = self.d, self.g, req.client
        adj = []
        for u, row in enumerate(g.out):
            edges = []
            for v, k in row:
                if v == g.sink:
                    w = d.raw_cs[c][u] / 2
                elif u == g.source:
                    w = d.raw_cs[c][v] / 2 + self.overhead + d.tau[v] * k
                else:
                    w = d.raw_ss[u][v] / 2 + self.overhead + d.tau[v] * k
                if v != g.sink and full[v]:
                    w = w + self.penalty
                edges.append((v, w))
            adj.append(edges)
        dist, pred = dijkstra(g.J + 2, adj, g.source)
        nodes = path_to(pred, g.source, g.sink)
        if nodes is None:
            return None
        servers = tuple(nodes[1:-1])
        k = tuple(dict(g.out[u])[v] for u, v in zip(nodes[:-2], nodes[1:-1]))
        lo = req.l_out
        time_terms, ttft_terms = [], []
        for j, kj in zip(servers, k):
            time_terms += perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], kj, lo)
            ttft_terms += perf.first_token_terms(d.t_in[c][j], d.tau_in[j], kj)
        return Chain(servers, k, dist[g.sink], tuple(time_terms), tuple(ttft_terms))


@register_router("petals", "PETALS routing", "[PETALS] sequence_manager.py; SPEC 4.2")
def make_petals(scn: Scenario, d: Derived, placement: Placement) -> PetalsRouter:
    """PETALS' router over a placement."""
    return PetalsRouter(scn, d, placement)
