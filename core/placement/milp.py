"""MILP-BPRR: the exact joint block placement and request routing ([BPRR] Sec. 4; SPEC 5), in PuLP.

Model (0-based blocks; the paper's a_j = start_j + 1, m_j = end_j - start_j):
- integers start_j, end_j in [0, L], 0 <= end_j - start_j <= min(max_blocks_j, L) (m_j);
- per request r (client c_r) binary flows f on the complete routing graph: source -> j, i -> j (i != j),
  j -> sink; one unit leaves the source and reaches the sink; servers conserve flow;
- McCormick products P = f * end_head, Q = f * end_tail (bounds 0..L), so the blocks processed at the head
  of a used edge are k = P - Q (SPEC's alpha + gamma - beta - delta with a + m = end + 1);
- next-block availability start_j <= end_i when f_ij = 1; progress k >= f (end_j > end_i); the sink needs
  end_i = L; memory s_m m_j + s_c * sum_r k^r_j <= M_j; the MIG-style max_blocks cap is kept, so CG-BP's
  placement (and its offline routing) is always a feasible point of this model.
- objective (SPEC 5, "decode"): sum_r sum_hops l_out (t_{c_r j} + tau_j k); or, with objective="service",
  the simulator's C_j(k) = (t_in + (l_out-1) t) + (tau_in + (l_out-1) tau) k per hop.

Valid inequalities that do not change the optimum but tighten the LP relaxation: per request and server,
sum_in P = sum_out Q + L f_sink (the "end" carried into a server is the one carried out), hence
sum_r-edges k = L per request; k <= m_j; symmetry breaking end_j <= end_j' for interchangeable servers
(same memory, cap, tau, tau_in and RTTs) and first-server index nondecreasing over a client's requests.

|R| for the placer is CG-BP's |R| rule (cgbp.choose_R); requests are split over clients by load share
(largest remainder). The solver starts from CG-BPRR's solution (CG-BP at the same |R| + offline
shortest path), so a run that hits the time limit always has an incumbent at least as good as CG-BPRR.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pulp

from .. import perf
from ..errors import Infeasible
from ..perf import Derived
from ..policies import register_policy
from ..scenario import Scenario
from ..solver import NoSolution, SolveResult, solve
from .base import Placement, register_placer
from .edgeshard import best_chain

OBJECTIVES = ("decode", "service")


def cost_coefficients(d: Derived, objective: str = "decode") -> tuple[list[list[float]], list[float]]:
    """Per-hop cost = A[c][j] + B[j] * k (ms): decode = l_out (t + tau k) (SPEC 5), service = C_j(k) (SPEC 2.1)."""
    if objective == "decode":
        A = [[d.l_out * d.t[c][j] for j in range(d.J)] for c in range(len(d.t))]
        B = [d.l_out * d.tau[j] for j in range(d.J)]
    elif objective == "service":
        A = [[perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], 0, d.l_out)[0]
              for j in range(d.J)] for c in range(len(d.t))]
        B = [d.tau_in[j] + (d.l_out - 1) * d.tau[j] for j in range(d.J)]
    else:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    return A, B


def split_requests(R: int, shares) -> list[int]:
    """R requests over clients by load share: floors, then the largest remainders (ties: lower index)."""
    exact = [R * s for s in shares]
    n = [math.floor(x + 1e-12) for x in exact]
    rest = sorted(range(len(shares)), key=lambda c: (-(exact[c] - n[c]), c))
    for c in rest[: R - sum(n)]:
        n[c] += 1
    return n


def chains_cost(A, B, clients, chains) -> float:
    """Objective of a routing: sum over requests and hops of A[c][j] + B[j] * k."""
    total = 0.0
    for c, (path, ks) in zip(clients, chains):
        for j, k in zip(path, ks):
            total += A[c][j] + B[j] * k
    return total


@dataclass(frozen=True)
class MilpSolution:
    """An MILP-BPRR solve: the solver's verdict and, when it found one, the placement and one chain per request.

    objective is recomputed from the returned chains (ms, summed over requests); per_request_ms divides it
    by |R|, per_token_ms further by l_out (the paper's per-token time for objective "decode").
    """

    solve: SolveResult
    objective_kind: str
    R: int
    requests_per_client: tuple
    clients: tuple                 # client index of each request
    start: tuple | None
    end: tuple | None
    chains: tuple | None           # per request: (path, k)
    objective: float | None
    best_bound: float | None
    gap: float | None
    n_variables: int
    n_constraints: int
    warm_start_objective: float | None

    @property
    def status(self) -> str:
        """optimal / feasible / infeasible / timeout / error."""
        return self.solve.status

    def per_token_ms(self, l_out: int) -> float | None:
        """Mean per-request cost divided by l_out (ms per token)."""
        return None if self.objective is None else self.objective / self.R / l_out


def _usable(d: Derived, j: int) -> int:
    """Most blocks server j can hold while still serving one session on one block (0: unusable)."""
    cap = d.L if d.cap[j] is None else min(d.cap[j], d.L)
    if d.memory[j] < d.s_m + d.s_c:
        return 0
    return max(0, min(cap, math.floor((d.memory[j] - d.s_c) / d.s_m)))


def _min_hops(usable, L: int) -> int:
    """Fewest servers whose block capacities add up to L: a lower bound on every chain's length."""
    total, n = 0, 0
    for u in sorted(usable, reverse=True):
        if total >= L:
            break
        total += u
        n += 1
    return n if total >= L else len(usable) + 1


def _twins(d: Derived, usable) -> list[tuple[int, int]]:
    """Consecutive pairs of interchangeable servers (same memory, cap, tau, tau_in, RTTs from every client)."""
    groups: dict[tuple, list[int]] = {}
    for j in range(d.J):
        if usable[j]:
            key = (d.memory[j], d.cap[j], d.tau[j], d.tau_in[j], tuple(d.t[c][j] for c in range(len(d.t))),
                   tuple(d.t_in[c][j] for c in range(len(d.t))))
            groups.setdefault(key, []).append(j)
    return [(g[i], g[i + 1]) for g in groups.values() for i in range(len(g) - 1)]


def solve_bprr(d: Derived, R: int, *, time_limit_s: float = 30.0, gap: float = 0.0, objective: str = "decode",
               warm: tuple | None = None, counts: list[int] | None = None, solver: str | None = None
               ) -> MilpSolution:
    """Solve MILP-BPRR for |R| concurrent requests split over clients by share (or by `counts`).

    warm: optional (start, end, clients, chains) of a feasible solution given to the solver as its start.
    """
    if R < 1:
        raise Infeasible(f"MILP-BPRR needs at least one request, got |R| = {R}", {"R": R})
    counts = list(counts) if counts is not None else split_requests(R, d.shares)
    clients = tuple(c for c, n in enumerate(counts) for _ in range(n))
    A, B = cost_coefficients(d, objective)
    L, J = d.L, d.J
    usable = [_usable(d, j) for j in range(J)]
    S = [j for j in range(J) if usable[j] > 0]
    SRC, SNK = "s", "t"
    min_hops = _min_hops(usable, L)
    single_lb = {}
    for c in set(clients):
        best = best_chain(A[c], B, usable, L)
        if best is None:
            return _infeasible(d, R, counts, clients, objective, "no chain covers the model", time_limit_s, gap)
        single_lb[c] = best[0]

    prob = pulp.LpProblem("milp_bprr", pulp.LpMinimize)
    var = prob.add_variable
    st = {j: var(f"start_{j}", 0, L, pulp.LpInteger) for j in S}
    en = {j: var(f"end_{j}", 0, L, pulp.LpInteger) for j in S}
    edges = [(SRC, j) for j in S] + [(i, j) for i in S for j in S if i != j] + [(j, SNK) for j in S]
    f, P, Q = {}, {}, {}
    for r in range(len(clients)):
        for (u, v) in edges:
            name = f"{r}_{u}_{v}"
            f[r, u, v] = var(f"f_{name}", 0, 1, pulp.LpBinary)
            if v != SNK:
                P[r, u, v] = var(f"P_{name}", 0, usable[v] if u == SRC else L)
            if u != SRC and v != SNK:
                Q[r, u, v] = var(f"Q_{name}", 0, L)

    def k(r, u, v):
        return P[r, u, v] - Q[r, u, v] if u != SRC else P[r, u, v]

    prob += pulp.lpSum(A[clients[r]][v] * f[r, u, v] + B[v] * k(r, u, v)
                       for r in range(len(clients)) for (u, v) in edges if v != SNK)
    for j in S:
        prob += en[j] - st[j] <= usable[j]
        prob += en[j] - st[j] >= 0
    for r in range(len(clients)):
        prob += pulp.lpSum(f[r, SRC, j] for j in S) == 1
        prob += pulp.lpSum(f[r, j, SNK] for j in S) == 1
        for j in S:
            into = [u for (u, v) in edges if v == j]
            out = [v for (u, v) in edges if u == j]
            prob += pulp.lpSum(f[r, u, j] for u in into) == pulp.lpSum(f[r, j, v] for v in out)
            prob += pulp.lpSum(f[r, u, j] for u in into) <= 1
            # the end carried into j equals the end carried out of j (valid for 0/1 flows; tightens the LP)
            prob += (pulp.lpSum(P[r, u, j] for u in into)
                     == pulp.lpSum(Q[r, j, v] for v in out if v != SNK) + L * f[r, j, SNK])
            prob += en[j] >= L * f[r, j, SNK]
        prob += pulp.lpSum(k(r, u, v) for (u, v) in edges if v != SNK) == L
        if min_hops > 1:
            prob += pulp.lpSum(f[r, u, v] for (u, v) in edges if v != SNK) >= min_hops
        # no chain costs less than the best single chain under the same caps (EdgeShard's exact DP): the LP
        # relaxation alone pays fixed hop costs fractionally and stays ~15% below on the paper's testbed
        lb = single_lb.get(clients[r])
        if lb is not None:
            prob += pulp.lpSum(A[clients[r]][v] * f[r, u, v] + B[v] * k(r, u, v)
                               for (u, v) in edges if v != SNK) >= lb * (1 - 1e-10)
        for (u, v) in edges:
            if v == SNK:
                continue
            fe, Pe = f[r, u, v], P[r, u, v]
            # McCormick for P = f * end_v with end_v in [0, L]
            prob += Pe <= en[v]
            prob += Pe >= en[v] - L * (1 - fe)
            prob += Pe <= L * fe
            if u != SRC:
                Qe = Q[r, u, v]
                prob += Qe <= en[u]
                prob += Qe >= en[u] - L * (1 - fe)
                prob += Qe <= L * fe
                prob += st[v] <= en[u] + L * (1 - fe)        # v holds the next block after u's span
            else:
                prob += st[v] <= L * (1 - fe)                # the first server holds block 0
            prob += k(r, u, v) >= fe                          # progress: end_v > end_u
            prob += k(r, u, v) <= usable[v] * fe
            prob += k(r, u, v) <= en[v] - st[v]               # the processed blocks lie in v's span
    for j in S:
        load = pulp.lpSum(k(r, u, v) for r in range(len(clients)) for (u, v) in edges if v == j)
        prob += d.s_m * (en[j] - st[j]) + d.s_c * load <= d.memory[j]
    for a, b in _twins(d, usable):
        prob += en[a] <= en[b]
    for r in range(len(clients) - 1):
        if clients[r] == clients[r + 1]:
            prob += (pulp.lpSum(j * f[r, SRC, j] for j in S) <= pulp.lpSum(j * f[r + 1, SRC, j] for j in S))

    warm_obj = None
    if warm is not None:
        warm = _canonical(warm, _twins(d, usable), clients)
        warm_obj = _set_start(prob, warm, st, en, f, P, Q, S, edges, clients, A, B, SRC, SNK)
    n_vars, n_cons = len(prob.variables()), len(_constraints(prob))
    res = solve(prob, time_limit_s, gap, prefer=solver, warm=warm is not None)
    if not res.has_solution:
        return MilpSolution(res, objective, R, tuple(counts), clients, None, None, None, None, res.best_bound,
                            None, n_vars, n_cons, warm_obj)
    start, end, chains = _extract(d, S, st, en, f, clients, edges, SRC, SNK)
    obj = chains_cost(A, B, clients, chains)
    bound = res.best_bound
    g = None if bound is None else (0.0 if obj <= bound else (obj - bound) / obj)
    return MilpSolution(res, objective, R, tuple(counts), clients, start, end, chains, obj, bound, g,
                        n_vars, n_cons, warm_obj)


def _infeasible(d, R, counts, clients, objective, why, time_limit_s, gap) -> MilpSolution:
    res = SolveResult("infeasible", False, None, None, None, "presolve", 0.0, time_limit_s, gap, why)
    return MilpSolution(res, objective, R, tuple(counts), clients, None, None, None, None, None, None, 0, 0, None)


def _constraints(prob) -> list:
    c = prob.constraints
    c = c() if callable(c) else c   # an attribute (dict) in PuLP 3.x, a method in 4.x
    return list(c.values()) if isinstance(c, dict) else list(c)


def _canonical(warm, twins, clients):
    """The same solution with interchangeable servers renumbered so their ends ascend, and each client's
    requests sorted by first server: the form the symmetry-breaking constraints accept."""
    start, end, w_clients, chains = warm
    groups: list[list[int]] = []
    for a, b in twins:
        if groups and groups[-1][-1] == a:
            groups[-1].append(b)
        else:
            groups.append([a, b])
    perm = list(range(len(start)))          # perm[old] = new
    for g in groups:
        by_end = sorted(g, key=lambda j: (end[j], start[j], j))
        for new_j, old_j in zip(g, by_end):
            perm[old_j] = new_j
    new_start, new_end = list(start), list(end)
    for old_j, new_j in enumerate(perm):
        new_start[new_j], new_end[new_j] = start[old_j], end[old_j]
    new_chains = [(tuple(perm[j] for j in path), ks) for path, ks in chains]
    order = sorted(range(len(new_chains)), key=lambda r: (w_clients[r], new_chains[r][0][0], r))
    return (tuple(new_start), tuple(new_end), tuple(w_clients[r] for r in order),
            tuple(new_chains[r] for r in order))


def _set_start(prob, warm, st, en, f, P, Q, S, edges, clients, A, B, SRC, SNK) -> float | None:
    """Give every variable its value in a known feasible solution (start, end, clients, chains)."""
    w_start, w_end, w_clients, w_chains = warm
    if tuple(w_clients) != tuple(clients) or any(w_end[j] > w_start[j] and j not in st for j in range(len(w_end))):
        return None
    for j in S:
        st[j].setInitialValue(w_start[j])
        en[j].setInitialValue(w_end[j])
    for (r, u, v), x in f.items():
        x.setInitialValue(0)
    for (key, x) in list(P.items()) + list(Q.items()):
        x.setInitialValue(0)
    for r, (path, _) in enumerate(w_chains):
        nodes = [SRC, *path, SNK]
        for u, v in zip(nodes, nodes[1:]):
            f[r, u, v].setInitialValue(1)
            if v != SNK:
                P[r, u, v].setInitialValue(w_end[v])
            if u != SRC and v != SNK:
                Q[r, u, v].setInitialValue(w_end[u])
    return chains_cost(A, B, w_clients, w_chains)


def _extract(d: Derived, S, st, en, f, clients, edges, SRC, SNK):
    """Chains from the 0/1 flows; used servers keep the smallest span their chains need, others hold nothing."""
    end_val = {j: int(round(en[j].value())) for j in S}
    succ_of = {}
    for (r, u, v), x in f.items():
        if x.value() is not None and x.value() > 0.5:
            succ_of[r, u] = v
    chains = []
    start = [0] * d.J
    end = [0] * d.J
    first_needed = {}
    for r in range(len(clients)):
        path, ks, u, done = [], [], SRC, 0
        while True:
            v = succ_of[r, u]
            if v == SNK:
                break
            path.append(v)
            ks.append(end_val[v] - done)
            first_needed[v] = min(first_needed.get(v, done), done)
            done = end_val[v]
            u = v
            if len(path) > d.J:
                raise RuntimeError("MILP-BPRR: the flow of a request does not reach the sink")
        chains.append((tuple(path), tuple(ks)))
    for j, a in first_needed.items():
        start[j], end[j] = a, end_val[j]
    return tuple(start), tuple(end), tuple(chains)


def check_solution(d: Derived, start, end, clients, chains, objective: str = "decode") -> list[str]:
    """Independent check of a placement + routing: chains feasible, spans within caps, memory holds."""
    problems = []
    load = [0] * d.J
    for r, (path, ks) in enumerate(chains):
        if not perf.chain_feasible(start, end, path, d.L):
            problems.append(f"request {r}: chain {path} is not feasible")
        if tuple(perf.hop_blocks(start, end, path)) != tuple(ks):
            problems.append(f"request {r}: k {ks} does not match the spans")
        for j, k in zip(path, ks):
            load[j] += k
    for j in range(d.J):
        m = end[j] - start[j]
        if m < 0 or (d.cap[j] is not None and m > d.cap[j]):
            problems.append(f"server {j}: {m} blocks breaks its cap")
        if d.s_m * m + d.s_c * load[j] > d.memory[j] * (1 + 1e-9):
            problems.append(f"server {j}: memory {d.s_m * m + d.s_c * load[j]:.4f} GB > {d.memory[j]} GB")
    return problems


def cgbprr_solution(scn: Scenario, d: Derived, R: int, objective: str = "decode",
                    counts: list[int] | None = None) -> dict | None:
    """CG-BPRR offline at |R|: CG-BP placement, every request of a client on its offline shortest chain.

    Returns start, end, clients, chains, objective (under `objective`) and CG-BP's Theorem-2 bound, or None
    when CG-BP is infeasible at this |R|.
    """
    from .cgbp import cgbp_core, offline_cost

    core = cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)
    if not core["feasible"]:
        return None
    start = tuple(core["start"])
    end = tuple(a + m for a, m in zip(core["start"], core["m"]))
    counts = list(counts) if counts is not None else split_requests(R, d.shares)
    clients = tuple(c for c, n in enumerate(counts) for _ in range(n))
    paths = {}
    for c in set(clients):
        _, path = offline_cost(d, start, end, c, d.l_out)
        if path is None:
            return None
        paths[c] = (tuple(path), tuple(perf.hop_blocks(start, end, path)))
    chains = tuple(paths[c] for c in clients)
    A, B = cost_coefficients(d, objective)
    return {"start": start, "end": end, "clients": clients, "chains": chains,
            "objective": chains_cost(A, B, clients, chains), "bound_ms": core["bound"], "K": core["K"],
            "order": core["order"]}


def run_milp(scn: Scenario, d: Derived, R: int | None = None, objective: str = "decode",
             time_limit_s: float | None = None, gap: float | None = None) -> tuple[MilpSolution, dict]:
    """MILP-BPRR at the scenario's |R| (CG-BP's rule unless given), warm-started from CG-BPRR."""
    from .cgbp import choose_R

    Rinfo = choose_R(scn, d) if R is None else {"value": R, "source": "given", "R_max": None, "T1_ms": None}
    R = Rinfo["value"]
    base = cgbprr_solution(scn, d, R, objective)
    warm = None if base is None else (base["start"], base["end"], base["clients"], base["chains"])
    pol = scn.policy
    sol = solve_bprr(d, R, time_limit_s=pol.milp_time_limit_s if time_limit_s is None else time_limit_s,
                     gap=pol.milp_gap if gap is None else gap, objective=objective, warm=warm)
    return sol, {"R": Rinfo, "cgbprr": base}


@register_placer("milp", "MILP-BPRR optimum", "[BPRR] MILP-BPRR; SPEC 5")
def place_milp(scn: Scenario, d: Derived) -> Placement:
    """The placement of the MILP-BPRR optimum (or the incumbent at the time limit) at the scenario's |R|."""
    sol, extra = run_milp(scn, d)
    if sol.status == "infeasible":
        raise Infeasible(f"MILP-BPRR: no placement serves |R| = {sol.R} concurrent requests within memory",
                         {"R": sol.R})
    if sol.start is None:
        raise NoSolution(f"policy.milp_time_limit_s: MILP-BPRR found no feasible solution within "
                         f"{sol.solve.time_limit_s:g} s ({sol.solve.detail}); raise the time limit or the gap")
    ids = scn.server_ids
    m = [b - a for a, b in zip(sol.start, sol.end)]
    slots = tuple(perf.residual_cache_slots(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    sessions = tuple(perf.max_sessions(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    base = extra["cgbprr"]
    info = {"R": sol.R, "R_source": extra["R"]["source"], "R_max": extra["R"].get("R_max"),
            "status": sol.status, "objective_ms": sol.objective, "best_bound_ms": sol.best_bound, "gap": sol.gap,
            "per_token_ms": sol.per_token_ms(d.l_out), "objective_kind": sol.objective_kind,
            "solver": sol.solve.solver, "solve_time_s": sol.solve.time_s,
            "time_limit_s": sol.solve.time_limit_s, "gap_limit": sol.solve.gap_limit,
            "requests_per_client": list(sol.requests_per_client),
            "chains": [{"client": scn.clients[c].id, "path": [ids[j] for j in p], "k": list(k)}
                       for c, (p, k) in zip(sol.clients, sol.chains)],
            "cgbprr_objective_ms": None if base is None else base["objective"],
            "block_gb": d.s_m, "cache_gb": d.s_c}
    return Placement("milp", sol.start, sol.end, slots, sessions, info)


register_policy("milp", "milp", "wsrr", "proposed", "MILP-BPRR optimum + WS-RR")
