"""PETALS' inference routing ([PETALS] client/routing/sequence_manager.py; SPEC 4.2).

Edge weights: half the raw RTT (client-server into the first server, server-server between servers, the last
server back to the client) + the serialisation overhead + tau * k, plus a penalty when the server is full.
No waiting term; realised waits come from the ledger afterwards.
"""
from __future__ import annotations

import numpy as np

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
        self._prepare(placement)

    def _prepare(self, placement: Placement) -> None:
        # Server-to-server weights do not change between requests; only penalties and the client do.
        d, st, en = self.d, placement.start, placement.end
        self.start, self.end = st, en
        self.order = sorted((j for j in range(d.J) if en[j] > st[j]), key=lambda j: en[j])
        self.preds, self.base = {}, {}
        for j in self.order:
            pre = [i for i in self.order if en[i] > st[i] and st[j] <= en[i] < en[j]]
            self.preds[j] = np.array(pre, dtype=np.int64)
            # (raw / 2 + overhead) + tau k: the reference's order of additions
            self.base[j] = np.array([d.raw_ss[i][j] / 2 + self.overhead + d.tau[j] * (en[j] - en[i]) for i in pre],
                                    dtype=np.float64)

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
        """Shortest chain on the span DAG, choosing exactly as Dijkstra with the SPEC 3.4 tie rules: each
        server takes the candidate minimising (distance, predecessor distance, predecessor number)."""
        d, c, J = self.d, req.client, self.d.J
        dist = np.full(J, np.inf)
        pred = [-1] * J
        for j in self.order:
            best = (np.inf, np.inf, -1)
            if self.start[j] == 0:
                w = d.raw_cs[c][j] / 2 + self.overhead + d.tau[j] * self.end[j]
                if full[j]:
                    w = w + self.penalty
                best = (0.0 + w, 0.0, J)  # the source is node J at distance 0
            pre = self.preds[j]
            if len(pre):
                g = self.base[j] + self.penalty if full[j] else self.base[j]
                dp = dist[pre]
                vals = dp + g
                m = vals.min()
                if m < np.inf:
                    hit = np.flatnonzero(vals == m)
                    i = hit[np.lexsort((pre[hit], dp[hit]))[0]] if len(hit) > 1 else hit[0]
                    cand = (float(m), float(dp[i]), int(pre[i]))
                    if cand < best:
                        best = cand
            if best[2] >= 0:
                dist[j], pred[j] = best[0], best[2]
        final = (np.inf, np.inf, -1)
        for j in self.order:
            if self.end[j] == d.L and dist[j] < np.inf:
                cand = (float(dist[j]) + d.raw_cs[c][j] / 2, float(dist[j]), j)
                if cand < final:
                    final = cand
        if final[2] < 0:
            return None
        path = [final[2]]
        while pred[path[-1]] != J:
            path.append(pred[path[-1]])
        return self._chain(req, tuple(path[::-1]), final[0])

    def _chain(self, req: Request, servers: tuple, cost: float) -> Chain:
        d, c, lo = self.d, req.client, req.l_out
        k = tuple(perf.hop_blocks(self.start, self.end, servers))
        time_terms, ttft_terms = [], []
        for j, kj in zip(servers, k):
            time_terms += perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], kj, lo)
            ttft_terms += perf.first_token_terms(d.t_in[c][j], d.tau_in[j], kj)
        return Chain(servers, k, cost, tuple(time_terms), tuple(ttft_terms))

    def _solve_dijkstra(self, req: Request, full: list[bool]) -> Chain | None:
        """The same choice by plain Dijkstra over every edge (kept to check _solve against)."""
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
        return self._chain(req, tuple(nodes[1:-1]), dist[g.sink])


@register_router("petals", "PETALS routing", "[PETALS] sequence_manager.py; SPEC 4.2")
def make_petals(scn: Scenario, d: Derived, placement: Placement) -> PetalsRouter:
    """PETALS' router over a placement."""
    return PetalsRouter(scn, d, placement)
