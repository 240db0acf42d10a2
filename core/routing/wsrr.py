"""WS-RR: waiting-penalised shortest-path request routing ([BPRR]; SPEC 3.3), and offline CG-BPRR routing.

Edge cost into j = w(j, k) + C_j(k), with w the wait for k free cache slots on j; the sink edge costs a
placeholder 1 (the reference treats weight 0 as "no edge"), subtracted from the reported path cost.
"""
from __future__ import annotations

import numpy as np

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
        self._zero: dict[tuple, np.ndarray] = {}
        m = [e - s for s, e in zip(self.start, self.end)]
        self.m = np.array(m, dtype=np.int64)
        self.kmax = max(m) if m else 0
        # servers grouped by span end: every predecessor of a server ends strictly before it does
        levels: dict[int, list[int]] = {}
        for j in range(d.J):
            if m[j] > 0:
                levels.setdefault(self.end[j], []).append(j)
        self.last = np.array([j for j in range(d.J) if m[j] > 0 and self.end[j] == d.L], dtype=np.int64)
        self.levels = []
        for e in sorted(levels):
            srv = np.array(levels[e], dtype=np.int64)
            x = np.arange(self.kmax)
            ends = e - 1 - x[None, :]                       # predecessor end for k = x + 1
            ok = x[None, :] < self.m[srv][:, None]
            self.levels.append((e, srv, np.where(ok, ends, 0), ok))

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
        return self._solve_levels(req, t, ledger)

    def _zero_wait_costs(self, req: Request) -> np.ndarray:
        """G[j, k] = C_j(k) for k = 1..m_j (inf elsewhere), for this client and output length."""
        key = (req.client, req.l_out)
        if key not in self._zero:
            d, c, lo = self.d, req.client, req.l_out
            t_in, t = np.array(d.t_in[c]), np.array(d.t[c])
            a = t_in + (lo - 1) * t
            b = np.array(d.tau_in) + (lo - 1) * np.array(d.tau)
            k = np.arange(1, self.kmax + 1)
            g = a[:, None] + b[:, None] * k[None, :]       # (0 + a) + b k, as with a zero wait
            self._zero[key] = np.where(k[None, :] <= self.m[:, None], g, np.inf)
        return self._zero[key]

    def _solve_levels(self, req: Request, t: float, ledger) -> Chain | None:
        """_solve vectorised over the servers that share a span end; the same choices (checked in tests)."""
        d, J, scale = self.d, self.d.J, req.slot_scale
        G = self._zero_wait_costs(req)
        W = None
        k = np.arange(1, self.kmax + 1)
        ledger.advance(t)
        short = np.flatnonzero(np.asarray(ledger.cache_slots) - np.asarray(ledger.used) < self.m * scale)
        for j in short.tolist():
            mj = int(self.m[j])
            if mj == 0:
                continue
            free, comps, cum = ledger.release_schedule(j, t)
            if W is None:
                G, W = G.copy(), np.zeros_like(G)
            need = k[:mj] * scale
            q = np.searchsorted(free + np.asarray(cum, dtype=float), need, side="left")
            tw = np.where(need <= free, t, np.asarray(comps + [np.inf])[np.minimum(q, len(comps))])
            w = np.where(need > ledger.cache_slots[j], np.inf, tw - t)
            a = d.t_in[req.client][j] + (req.l_out - 1) * d.t[req.client][j]
            b = d.tau_in[j] + (req.l_out - 1) * d.tau[j]
            G[j, :mj] = (w + a) + b * k[:mj]
            W[j, :mj] = w
        L = d.L
        best_d = np.full(L + 1, np.inf)
        best_n = np.full(L + 1, -1, dtype=np.int64)
        best_d[0], best_n[0] = 0.0, J
        dist = np.full(J, np.inf)
        pred = np.full(J, -1, dtype=np.int64)
        for e, srv, ends, ok in self.levels:
            bd = best_d[ends]
            vals = np.where(ok, bd + G[srv], np.inf)
            mins = vals.min(axis=1)
            hits = vals == mins[:, None]
            arg = hits.argmax(axis=1)
            for r in np.flatnonzero(hits.sum(axis=1) > 1):
                # equal candidates: Dijkstra keeps the first settled, i.e. least (distance, number)
                cols = np.flatnonzero(hits[r])
                keys = [(bd[r, x], best_n[ends[r, x]]) for x in cols]
                arg[r] = cols[min(range(len(cols)), key=keys.__getitem__)]
            reach = np.isfinite(mins)
            if not reach.any():
                continue
            sr = srv[reach]
            dist[sr] = mins[reach]
            pred[sr] = best_n[ends[reach, arg[reach]]]
            order = np.lexsort((sr, dist[sr]))
            best_d[e], best_n[e] = dist[sr[order[0]]], sr[order[0]]
        last = self.last[np.isfinite(dist[self.last])]
        if not len(last):
            return None
        dl = dist[last]
        fin = int(last[np.lexsort((last, dl, dl + SINK_PLACEHOLDER))[0]])
        path = [fin]
        while pred[path[-1]] != J:
            path.append(int(pred[path[-1]]))
        path = path[::-1]
        ks = perf.hop_blocks(self.start, self.end, path)
        time_terms, ttft_terms = [], []
        for j, kj in zip(path, ks):
            w = 0.0 if W is None else float(W[j, kj - 1])
            time_terms += [float(G[j, kj - 1]), -w]
            ttft_terms += [perf.first_token_cost(d.t_in[req.client][j], d.tau_in[j], kj, w), -w]
        cost = float(dist[fin]) + SINK_PLACEHOLDER
        return Chain(tuple(int(x) for x in path), tuple(ks), cost - SINK_PLACEHOLDER, tuple(time_terms),
                     tuple(ttft_terms))

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
