"""How far the proposed method is from the optimum (SPEC 5): the gap report and the routing-only ILP.

- `route_optimally`: for a fixed placement, the best routing of |R| concurrent requests: integer flows per
  client on the placement's chain DAG (SPEC 3.3), cost l_out (t_cj + tau_j k) per hop (or C_j(k) with
  objective "service"), memory sum_hops s_c k x <= M_j - s_m m_j. Flows decompose into one chain per request.
  Shown next to the placement's shortest-path routing (every request of a client on its offline shortest
  chain, as CG-BPRR routes), which ignores memory and may overload a server.
- `gap_report`: for each |R|, CG-BPRR's offline objective, the MILP-BPRR optimum and its best bound, the
  optimal routing on CG-BP's own placement, and CG-BP's Theorem-2 bound; rows of plain numbers (ms, s) that
  the CLI prints and the app plots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pulp

from . import perf
from .errors import Infeasible
from .perf import Derived, derive
from .placement.cgbp import choose_R, offline_cost
from .placement.milp import (OBJECTIVES, cgbprr_solution, chains_cost, cost_coefficients, run_milp,
                             split_requests)
from .routing.graph import build_graph
from .scenario import Scenario
from .solver import SolveResult, solve


@dataclass(frozen=True)
class RoutingSolution:
    """The routing-only ILP on a fixed placement, and the shortest-path routing it is compared with.

    Objectives are in ms summed over the |R| requests; shortest_path_memory_ok says whether sending every
    request of a client down its shortest chain fits the servers' memory.
    """

    solve: SolveResult
    objective_kind: str
    requests_per_client: tuple
    clients: tuple
    chains: tuple | None
    objective: float | None
    shortest_path_chains: tuple | None
    shortest_path_objective: float | None
    shortest_path_memory_ok: bool

    @property
    def status(self) -> str:
        """optimal / feasible / infeasible / timeout / error."""
        return self.solve.status


def _memory_ok(d: Derived, start, end, chains) -> bool:
    load = [0] * d.J
    for path, ks in chains:
        for j, k in zip(path, ks):
            load[j] += k
    return all(d.s_m * (end[j] - start[j]) + d.s_c * load[j] <= d.memory[j] * (1 + 1e-12) for j in range(d.J))


def shortest_path_routing(d: Derived, start, end, clients) -> tuple | None:
    """Every request on its client's offline shortest chain (C_j(k) costs, no waits), or None if none exists."""
    paths = {}
    for c in sorted(set(clients)):
        _, path = offline_cost(d, start, end, c, d.l_out)
        if path is None:
            return None
        paths[c] = (tuple(path), tuple(perf.hop_blocks(start, end, path)))
    return tuple(paths[c] for c in clients)


def route_optimally(d: Derived, start, end, R: int, *, objective: str = "decode", time_limit_s: float = 30.0,
                    gap: float = 0.0, counts: list[int] | None = None, solver: str | None = None
                    ) -> RoutingSolution:
    """The least-cost memory-feasible routing of |R| requests (split over clients by share) on a placement."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    counts = list(counts) if counts is not None else split_requests(R, d.shares)
    clients = tuple(c for c, n in enumerate(counts) for _ in range(n))
    A, B = cost_coefficients(d, objective)
    g = build_graph(start, end, d.L)
    sp = shortest_path_routing(d, start, end, clients)
    sp_obj = None if sp is None else chains_cost(A, B, clients, sp)
    sp_ok = sp is not None and _memory_ok(d, start, end, sp)

    prob = pulp.LpProblem("routing_ilp", pulp.LpMinimize)
    x = {}
    active = [c for c, n in enumerate(counts) if n > 0]
    for c in active:
        for u, row in enumerate(g.out):
            for v, k in row:
                x[c, u, v] = prob.add_variable(f"x_{c}_{u}_{v}", 0, counts[c], pulp.LpInteger)
    edges = [(u, v, k) for u, row in enumerate(g.out) for v, k in row]
    prob += pulp.lpSum((A[c][v] + B[v] * k) * x[c, u, v] for c in active for u, v, k in edges if v != g.sink)
    for c in active:
        prob += pulp.lpSum(x[c, g.source, v] for v, _ in g.out[g.source]) == counts[c]
        for j in range(d.J):
            into = [x[c, u, v] for u, v, _ in edges if v == j]
            out = [x[c, j, v] for v, _ in g.out[j]]
            if into or out:
                prob += pulp.lpSum(into) == pulp.lpSum(out)
    for j in range(d.J):
        load = [k * x[c, u, v] for c in active for u, v, k in edges if v == j]
        if load:
            prob += d.s_c * pulp.lpSum(load) <= d.memory[j] - d.s_m * (end[j] - start[j])
    if not x or not any(v == g.sink for _, v, _ in edges):
        res = SolveResult("infeasible", False, None, None, None, "presolve", 0.0, time_limit_s, gap,
                          "no chain covers the model on this placement")
        return RoutingSolution(res, objective, tuple(counts), clients, None, None, sp, sp_obj, sp_ok)
    res = solve(prob, time_limit_s, gap, prefer=solver)
    if not res.has_solution:
        return RoutingSolution(res, objective, tuple(counts), clients, None, None, sp, sp_obj, sp_ok)
    chains = []
    for c in range(len(counts)):
        if counts[c] == 0:
            continue
        flow = {(u, v): int(round(x[c, u, v].value() or 0)) for u, v, _ in edges}
        chains += _decompose(g, flow, counts[c])
    k_of = {(u, v): k for u, v, k in edges}
    chains = tuple((tuple(p), tuple(k_of[(u, v)] for u, v in zip([g.source, *p], p))) for p in chains)
    obj = chains_cost(A, B, clients, chains)
    return RoutingSolution(res, objective, tuple(counts), clients, chains, obj, sp, sp_obj, sp_ok)


def _decompose(g, flow: dict, n: int) -> list[list[int]]:
    """n source-sink paths from an integer flow on a DAG (always the lowest-numbered edge with flow left)."""
    paths = []
    for _ in range(n):
        u, path = g.source, []
        while u != g.sink:
            v = next(v for v, _ in g.out[u] if flow.get((u, v), 0) > 0)
            flow[u, v] -= 1
            if v != g.sink:
                path.append(v)
            u = v
        paths.append(path)
    return paths


def gap_report(scn: Scenario, R_values=None, *, objective: str = "decode", time_limit_s: float | None = None,
               gap: float | None = None) -> dict:
    """CG-BPRR vs the MILP-BPRR optimum for each |R| (default: the scenario's |R| rule).

    Returns {"objective_kind", "l_out", "rows": [...]}; each row has, in ms summed over the |R| requests,
    cgbprr_ms, milp_ms, milp_bound_ms, routing_opt_on_cgbp_ms, and per token (divided by |R| l_out) the same
    plus theorem2_bound_ms_per_token; excess = cgbprr / milp - 1; the solver's status, gap and time (s).
    """
    d = derive(scn)
    if R_values is None:
        R_values = [choose_R(scn, d)["value"]]
    rows = []
    for R in R_values:
        if R < 1:
            raise Infeasible(f"gap report: |R| must be at least 1, got {R}", {"R": R})
        rows.append(_gap_row(scn, d, int(R), objective, time_limit_s, gap))
    return {"objective_kind": objective, "l_out": d.l_out, "rows": rows}


def _gap_row(scn, d, R, objective, time_limit_s, gap) -> dict:
    per_tok = R * d.l_out
    sol, extra = run_milp(scn, d, R=R, objective=objective, time_limit_s=time_limit_s, gap=gap)
    base = extra["cgbprr"] or cgbprr_solution(scn, d, R, objective)
    row = {"R": R, "status": sol.status, "solver": sol.solve.solver, "solve_time_s": sol.solve.time_s,
           "gap": sol.gap, "milp_ms": sol.objective, "milp_bound_ms": sol.best_bound,
           "cgbprr_ms": None if base is None else base["objective"],
           "theorem2_bound_ms_per_token": None if base is None else base["bound_ms"],
           "routing_opt_on_cgbp_ms": None}
    if base is not None:
        lim = scn.policy.milp_time_limit_s if time_limit_s is None else time_limit_s
        rt = route_optimally(d, base["start"], base["end"], R, objective=objective, time_limit_s=lim,
                             gap=scn.policy.milp_gap if gap is None else gap)
        row["routing_opt_on_cgbp_ms"] = rt.objective
    for key in ("milp", "milp_bound", "cgbprr", "routing_opt_on_cgbp"):
        v = row[f"{key}_ms"]
        row[f"{key}_ms_per_token"] = None if v is None else v / per_tok
    m, c = row["milp_ms"], row["cgbprr_ms"]
    row["excess"] = None if m is None or c is None or m <= 0 else c / m - 1
    row["excess_vs_bound"] = (None if row["milp_bound_ms"] is None or c is None or row["milp_bound_ms"] <= 0
                              else c / row["milp_bound_ms"] - 1)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def format_report(rep: dict) -> str:
    """The gap report as a text table (per-token times in ms/token, solve time in s)."""
    heads = ["|R|", "status", "CG-BPRR ms/tok", "optimum ms/tok", "bound ms/tok", "CG-BPRR excess",
             "CG-BP+best routing ms/tok", "Theorem-2 ms/tok", "solve s"]

    def num(v, fmt="{:.2f}"):
        return "-" if v is None else fmt.format(v)

    rows = [[str(r["R"]), r["status"] + ("" if r["gap"] in (None, 0) or r["status"] == "optimal"
                                          else f" (gap {100 * r['gap']:.2f}%)"),
             num(r["cgbprr_ms_per_token"]), num(r["milp_ms_per_token"]), num(r["milp_bound_ms_per_token"]),
             num(None if r["excess"] is None else 100 * r["excess"], "{:.2f}%"),
             num(r["routing_opt_on_cgbp_ms_per_token"]), num(r["theorem2_bound_ms_per_token"]),
             num(r["solve_time_s"], "{:.2f}")] for r in rep["rows"]]
    width = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, width))  # noqa: E731
    kind = ("per-token decode cost l_out (t + tau k) per hop, SPEC 5" if rep["objective_kind"] == "decode"
            else "service time C_j(k) per hop, SPEC 2.1")
    return "\n".join([f"Exact optimum (MILP-BPRR) vs CG-BPRR offline; objective: {kind}",
                      line(heads), line(["-" * w for w in width])] + [line(r) for r in rows])
