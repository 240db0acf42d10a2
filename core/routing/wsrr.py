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
        # servers grouped by span end: every predecessor of a server ends strictly before it does. Missing
        # (server, k) pairs point at a sentinel end L + 1 whose distance is inf, so no mask is needed per solve.
        levels: dict[int, list[int]] = {}
        for j in range(d.J):
            if m[j] > 0:
                levels.setdefault(self.end[j], []).append(j)
        self.levels = []
        self.where: dict[int, tuple[int, int]] = {}     # server -> (level index, row)
        x = np.arange(self.kmax)
        for e in sorted(levels):
            srv = np.array(levels[e], dtype=np.int64)   # ascending: argmin's first index is the least number
            ok = x[None, :] < self.m[srv][:, None]
            ends = np.where(ok, e - 1 - x[None, :], d.L + 1)   # predecessor end for k = x + 1
            for row, j in enumerate(levels[e]):
                self.where[j] = (len(self.levels), row)
            self.levels.append((e, srv, ends))
        self._blocks: dict[tuple, list[np.ndarray]] = {}
        self._cap, self._cap_of = None, None

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

    def _level_blocks(self, req: Request) -> list[np.ndarray]:
        """The zero-wait costs cut by level: rows = the level's servers, columns = k - 1."""
        key = (req.client, req.l_out)
        if key not in self._blocks:
            G = self._zero_wait_costs(req)
            self._blocks[key] = [G[srv] for _, srv, _ in self.levels]
        return self._blocks[key]

    def _solve_levels(self, req: Request, t: float, ledger) -> Chain | None:
        """_solve as a DP over span ends, vectorised over the servers of one end; the same choices (tests)."""
        d, J, L, scale = self.d, self.d.J, self.d.L, req.slot_scale
        blocks = list(self._level_blocks(req))
        patched: set[int] = set()
        W: dict[int, list[float]] = {}
        ledger.advance(t)
        if self._cap_of is not ledger:
            self._cap, self._cap_of = np.asarray(ledger.cache_slots), ledger  # fixed per ledger: convert once
        short = np.flatnonzero(self._cap - np.asarray(ledger.used) < self.m * scale)
        c, lo = req.client, req.l_out
        for j in short.tolist():
            mj = int(self.m[j])
            if mj == 0:
                continue
            ready = ledger.ready_times(j, [k * scale for k in range(1, mj + 1)], t)
            w = [np.inf if tw is None else tw - t for tw in ready]  # None: more slots than j has
            # (w + a) + b k: the order of additions of _solve and of the reference, which decides exact ties
            a, b = perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], 1, lo)
            li, row = self.where[j]
            if li not in patched:
                blocks[li] = blocks[li].copy()
                patched.add(li)
            blocks[li][row, :mj] = [(wk + a) + b * (x + 1) for x, wk in enumerate(w)]
            W[j] = w
        best_d = np.full(L + 2, np.inf)
        best_n = np.full(L + 2, -1, dtype=np.int64)
        best_d[0], best_n[0] = 0.0, J
        inf, lowest = np.inf, np.minimum.reduce
        mins = None
        for (e, srv, ends), Gb in zip(self.levels, blocks):
            mins = lowest(best_d[ends] + Gb, axis=1)
            i = mins.argmin()  # servers ascending: the least number among equal distances
            if mins[i] < inf:
                best_d[e], best_n[e] = mins[i], srv[i]
        if mins is None or self.levels[-1][0] != L:
            return None
        last = self.levels[-1][1]
        fin_ok = np.isfinite(mins)
        if not fin_ok.any():
            return None
        last, dl = last[fin_ok], mins[fin_ok]
        order = np.lexsort((last, dl, dl + SINK_PLACEHOLDER))[0]
        fin, fin_d = int(last[order]), float(dl[order])
        # Predecessors only matter along the chosen chain, and best_d / best_n are final once their level is
        # done, so the tie rule is applied here, walking back: among equal candidates Dijkstra keeps the
        # first settled, i.e. the least (distance, number).
        path = [fin]
        while path[-1] != J:
            li, row = self.where[path[-1]]
            ends = self.levels[li][2][row]
            bd = best_d[ends]
            vals = bd + blocks[li][row]
            cols = np.flatnonzero(vals == vals.min())
            x = int(cols[0]) if len(cols) == 1 else int(cols[min(
                range(len(cols)), key=lambda n: (bd[cols[n]], best_n[ends[cols[n]]]))])
            path.append(int(best_n[ends[x]]))
        path = path[-2::-1]
        ks = perf.hop_blocks(self.start, self.end, path)
        time_terms, ttft_terms = [], []
        for j, kj in zip(path, ks):
            w = W[j][kj - 1] if j in W else 0.0
            li, row = self.where[j]
            time_terms += [float(blocks[li][row, kj - 1]), -w]
            ttft_terms += [perf.first_token_cost(d.t_in[req.client][j], d.tau_in[j], kj, w), -w]
        cost = fin_d + SINK_PLACEHOLDER
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
