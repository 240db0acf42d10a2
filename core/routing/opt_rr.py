"""Opt-RR: each arriving request's chain by a small MILP ([BPRR] ablation "Opt RR"; SPEC 4.3).

For a request arriving at t the MILP picks one source-sink path x on the placement's chain DAG minimising
    sum_hops C_j(k) x  +  W,   W >= w(j, k) x  for every hop,
i.e. the service time plus the largest wait along the chain (the realised delay is set by the largest wait,
SPEC 3.3), with w(j, k) the wait for k free cache slots on j read from the live ledger. Edges whose slots
exceed the server's are absent. Paired with PETALS' placement as the policy `petals-opt-rr`.

The MILP is solved exactly; two prunings keep it to a few milliseconds per request:
- when the wait-free shortest chain has no wait on any hop, it is optimal (its cost is a lower bound for
  every chain and W >= 0), so no solver runs;
- an edge survives only if (least cost to reach it) + its cost + its wait + (least cost onward) does not
  exceed the objective of a known chain: no optimal chain uses the others.
"""
from __future__ import annotations

import math

import pulp

from .. import perf
from ..paths import dijkstra, path_to
from ..perf import Derived
from ..placement.base import Placement
from ..policies import register_policy
from ..scenario import Scenario
from ..solver import solve
from .base import Chain, Request, register_router
from .graph import build_graph


class OptRR:
    """Per-request MILP router over a placement's chain DAG, reading waits from the slot ledger."""

    def __init__(self, scn: Scenario, d: Derived, placement: Placement):
        self.d = d
        self.g = build_graph(placement.start, placement.end, d.L)
        self.time_limit_s = scn.policy.milp_time_limit_s
        self.n_milp = 0  # requests that needed the solver (diagnostics)

    def _costs(self, req: Request) -> dict:
        d, c, lo = self.d, req.client, req.l_out
        return {(u, v): perf.link_cost(d.t_in[c][v], d.t[c][v], d.tau_in[v], d.tau[v], k, lo)
                for u, row in enumerate(self.g.out) for v, k in row if v != self.g.sink}

    def route(self, req: Request, t: float, ledger) -> Chain | None:
        """The chain minimising service time plus largest wait for `req` arriving at t (ms)."""
        g = self.g
        cost = self._costs(req)
        wait = {}
        for u, row in enumerate(g.out):
            for v, k in row:
                if v == g.sink:
                    continue
                tw = ledger.ready_time(v, k * req.slot_scale, t)
                if tw is not None:
                    wait[u, v] = tw - t
        edges = {e: c for e, c in cost.items() if e in wait}
        best = self._shortest(edges)
        if best is None:
            return None
        path = best
        hops = list(zip([g.source, *path], path))
        worst = max(wait[e] for e in hops)
        if worst > 0:
            path = self._solve_milp(edges, wait, path)
            hops = list(zip([g.source, *path], path))
            worst = max(wait[e] for e in hops)
        return self._chain(req, path, hops, edges, worst)

    def _shortest(self, edges: dict) -> list[int] | None:
        g = self.g
        adj = [[(v, edges[u, v] if v != g.sink else 0.0) for v, _ in row if v == g.sink or (u, v) in edges]
               for u, row in enumerate(g.out)]
        dist, pred = dijkstra(g.J + 2, adj, g.source)
        nodes = path_to(pred, g.source, g.sink)
        return None if nodes is None else nodes[1:-1]

    def _potentials(self, edges: dict) -> tuple[list[float], list[float]]:
        """Least cost from the source to each node and from each node to the sink (waits ignored)."""
        g = self.g
        n = g.J + 2
        fwd = [[(v, edges.get((u, v), 0.0)) for v, _ in row if v == g.sink or (u, v) in edges]
               for u, row in enumerate(g.out)]
        rev: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for u, row in enumerate(fwd):
            for v, w in row:
                rev[v].append((u, w))
        to, _ = dijkstra(n, fwd, g.source)
        back, _ = dijkstra(n, [sorted(r) for r in rev], g.sink)
        return to, back

    def _solve_milp(self, edges: dict, wait: dict, incumbent: list[int]) -> list[int]:
        g = self.g
        hops = list(zip([g.source, *incumbent], incumbent))
        ub = sum(edges[e] for e in hops) + max(wait[e] for e in hops)
        to, back = self._potentials(edges)
        keep = {e: c for e, c in edges.items()
                if to[e[0]] + c + wait[e] + back[e[1]] <= ub * (1 + 1e-12)}
        for e in hops:
            keep[e] = edges[e]  # the incumbent always survives, so the model stays feasible
        sink_in = [u for u in range(g.J) if any(v == g.sink for v, _ in g.out[u])]
        prob = pulp.LpProblem("opt_rr", pulp.LpMinimize)
        x = {e: prob.add_variable(f"x_{e[0]}_{e[1]}", 0, 1, pulp.LpBinary) for e in sorted(keep)}
        xs = {u: prob.add_variable(f"y_{u}", 0, 1, pulp.LpBinary) for u in sink_in}
        W = prob.add_variable("W", 0, None)
        prob += pulp.lpSum(c * x[e] for e, c in keep.items()) + W
        prob += pulp.lpSum(x[e] for e in x if e[0] == g.source) == 1
        prob += pulp.lpSum(xs.values()) == 1
        for j in range(g.J):
            into = [x[e] for e in x if e[1] == j]
            out = [x[e] for e in x if e[0] == j] + ([xs[j]] if j in xs else [])
            if into or out:
                prob += pulp.lpSum(into) == pulp.lpSum(out)
        for e, xe in x.items():
            if wait[e] > 0:
                prob += W >= wait[e] * xe
        res = solve(prob, self.time_limit_s, 0.0)
        self.n_milp += 1
        if not res.has_solution:
            return incumbent  # only at the time limit: the best chain known
        nxt = {e[0]: e[1] for e, xe in x.items() if (xe.value() or 0) > 0.5}
        path, u = [], g.source
        while u in nxt:
            u = nxt[u]
            path.append(u)
        if not path or path[-1] not in xs or (xs[path[-1]].value() or 0) < 0.5:
            return incumbent
        hops = list(zip([g.source, *path], path))
        value = sum(edges[e] for e in hops) + max(wait[e] for e in hops)
        return path if value <= ub else incumbent

    def _chain(self, req: Request, path: list[int], hops, edges: dict, worst: float) -> Chain:
        d, c, lo = self.d, req.client, req.l_out
        ks = tuple(dict(self.g.out[u])[v] for u, v in hops)
        time_terms, ttft_terms = [], []
        for j, kj in zip(path, ks):
            time_terms += perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], kj, lo)
            ttft_terms += perf.first_token_terms(d.t_in[c][j], d.tau_in[j], kj)
        total = math.fsum(edges[e] for e in hops) + worst
        return Chain(tuple(path), ks, total, tuple(time_terms), tuple(ttft_terms))


@register_router("opt-rr", "Opt-RR (per-request MILP: service time + largest wait)", "[BPRR] ablation Opt RR; "
                                                                                      "SPEC 4.3")
def make_opt_rr(scn: Scenario, d: Derived, placement: Placement) -> OptRR:
    """Opt-RR over a placement."""
    return OptRR(scn, d, placement)


register_policy("petals-opt-rr", "petals", "opt-rr", "petals", "PETALS + per-request optimal routing (Opt-RR)")
