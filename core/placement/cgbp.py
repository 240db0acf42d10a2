"""CG-BP: conservative greedy block placement ([BPRR] Alg. 1; SPEC 3.1) and the |R| rule (SPEC 3.2).

Tie rules reproduce the reference: stable order by t~; phase 1 keeps the first window with the strictly
largest sequential sum of T_b; phase 2 the first window with the lexicographically smallest sorted C_b.
Window sums use a sequential cumulative sum (not pairwise summation) to match the reference's arithmetic.
"""
from __future__ import annotations

import math

import numpy as np

from .. import perf
from ..errors import Infeasible
from ..paths import span_shortest
from ..perf import Derived
from ..scenario import Scenario
from .base import Placement, format_blocks, register_placer


def _window_sums(T: np.ndarray, m: int) -> np.ndarray:
    win = np.lib.stride_tricks.sliding_window_view(T, m)
    return np.cumsum(win, axis=1)[:, -1]


def lexmin_window(values: np.ndarray, m: int) -> int:
    """Start of the window whose ascending-sorted values are lexicographically smallest (ties: smallest start)."""
    win = np.sort(np.lib.stride_tricks.sliding_window_view(values, m), axis=1)
    # lexsort sorts by the last key first and is stable, so row 0 of the order is the first minimal row
    return int(np.lexsort(win.T[::-1])[0])


def cgbp_core(memory, tau, t_max, cap, L: int, s_m: float, s_c: float, R: int) -> dict:
    """CG-BP on plain arrays; returns start, m, order, t_tilde, max_sessions, K, bound, and C_b."""
    J = len(memory)
    m = []
    for j in range(J):
        mj = perf.cgbp_num_blocks(memory[j], s_m, s_c, R, L)
        if cap[j] is not None and mj > cap[j]:
            mj = cap[j]
        m.append(max(mj, 0))
    t_tilde = [(t_max[j] + tau[j] * m[j]) / m[j] if m[j] > 0 else math.inf for j in range(J)]
    order = sorted(range(J), key=lambda j: t_tilde[j])  # stable: ties keep input order
    active = [j for j in order if m[j] > 0]
    if not active:
        return {"feasible": False, "m": m, "start": [0] * J, "order": order, "t_tilde": t_tilde,
                "max_sessions": [0] * J, "K": None, "bound": None, "C": [0] * L, "R": R}
    t0 = max(t_tilde[j] for j in active) + 1
    ms = [perf.max_sessions(memory[j], s_m, s_c, m[j]) for j in range(J)]
    C = np.zeros(L, dtype=np.int64)
    T = np.full(L, R * t0, dtype=np.float64)
    start = [0] * J
    K = None
    for i, j in enumerate(order):
        if m[j] == 0:
            continue
        under = C < R
        if under.any():
            sums = _window_sums(T, m[j])
            eligible = np.lib.stride_tricks.sliding_window_view(under, m[j]).any(axis=1)
            cand = np.where(eligible & (sums > 0), sums, -np.inf)
            a = int(np.argmax(cand))  # first index of the maximum = "replace only on strictly larger"
        else:
            a = lexmin_window(C, m[j])
        start[j] = a
        rng = slice(a, a + m[j])
        q = np.minimum(np.maximum(R - C[rng], 0), ms[j])
        T[rng] = T[rng] - (t0 - t_tilde[j]) * q
        C[rng] = C[rng] + ms[j]
        if K is None and bool((C >= R).all()):
            K = i + 1
    feasible = bool((C >= R).all())
    bound = None
    if feasible:
        top = order[:K]
        acc = 0.0
        for j in top:
            acc += t_tilde[j] * m[j]
        msum = 0
        for j in top:
            msum += m[j]
        bound = acc - tau[order[K - 1]] * (msum - L)
    return {"feasible": feasible, "m": m, "start": start, "order": order, "t_tilde": t_tilde,
            "max_sessions": ms, "K": K, "bound": bound, "C": C.tolist(), "R": R}


def r_max(d: Derived) -> int:
    """Largest |R| the cluster's total memory allows (SPEC 3.1): floor((sum M - s_m (L+J)) / s_c / (L+J))."""
    total = 0.0
    for M in d.memory:
        total += M
    return math.floor((total - d.s_m * (d.L + d.J)) / d.s_c / (d.L + d.J))


def corollary1_blocks(d: Derived, R: int) -> int:
    """Corollary 1: the blocks CG-BP can place at |R| (feasible iff at least L)."""
    return sum(min(math.floor(M / (d.s_m + d.s_c * R)), d.L) for M in d.memory)


def round_half_away(x: float) -> int:
    """MATLAB's round: halves away from zero."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def offline_cost(d: Derived, start, end, c: int, l_out: int) -> tuple[float, list[int] | None]:
    """Least single-request time (no waits) for client c on a placement: (dist - 1, path) or (inf, None)."""
    def cost(j: int, k: int) -> float:
        return perf.link_cost(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], k, l_out)

    dist, path = span_shortest(start, end, d.L, cost, lambda j: 1.0)  # sink placeholder 1, as the reference
    if path is None:
        return math.inf, None
    return dist - 1.0, path


def choose_R(scn: Scenario, d: Derived) -> dict:
    """|R|: the given value, else min(round(x + std sqrt(x)), R_max) with x = lambda * T1 (SPEC 3.2)."""
    rmax = r_max(d)
    pol = scn.policy
    if pol.R is not None:
        return {"value": pol.R, "source": "given", "R_max": rmax, "T1_ms": None, "lambda_per_ms": None}
    reference = pol.mode == "reference"
    cap = (None,) * d.J if reference else d.cap  # the reference's |R| rule ignores the MIG cap
    core = cgbp_core(d.memory, d.tau, d.t_max, cap, d.L, d.s_m, d.s_c, 1)
    if not core["feasible"]:
        from ..validate import capacity

        short = [b for b, c in enumerate(core["C"]) if c < 1]
        raise Infeasible(f"|R| rule: even one request cannot be placed; blocks {format_blocks(short)} fit on "
                         f"no server: {capacity(scn, 1, d).explain()}",
                         {"short_blocks": short, "R_max": rmax, "largest_feasible_R": 0})
    start = core["start"]
    end = [a + mm for a, mm in zip(start, core["m"])]
    T1 = 0.0
    for c, share in enumerate(d.shares):
        cost, _ = offline_cost(d, start, end, c, d.l_out)
        T1c = pol.initial_delay_ms + cost
        T1 = T1c if len(d.shares) == 1 else T1 + share * T1c
    lam = scn.workload.rate_per_s / 1000
    x = lam * T1
    R = min(round_half_away(x + pol.R_num_std * math.sqrt(x)), rmax)
    R = max(R, 1)
    out = {"value": R, "source": "lambda", "R_max": rmax, "T1_ms": T1, "lambda_per_ms": lam,
           "mean_concurrency": x}
    if not reference:
        from ..validate import blocks_placeable, largest_feasible_R

        # R_max is a total-memory bound; whole blocks and max_blocks caps can put it out of reach (Corollary 1
        # count short of L). Default mode then sizes every placement for the largest |R| CG-BP can serve
        # (docs/model.md); the reference keeps its failure.
        if blocks_placeable(d, R) < d.L:
            best = largest_feasible_R(d)
            if best >= 1:
                out.update(value=best, source="lambda, limited to the largest feasible", rule_value=R)
    return out


def run_cgbp(scn: Scenario, d: Derived) -> tuple[dict, dict]:
    """CG-BP at the scenario's |R|: (core result, R info); raises Infeasible with the shortfall."""
    Rinfo = choose_R(scn, d)
    R = Rinfo["value"]
    core = cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)
    if not core["feasible"] and Rinfo["source"] == "lambda" and scn.policy.mode == "default":
        # The rule's R_max is a total-memory bound; block granularity and max_blocks caps can make it
        # unreachable. Default mode then places for the largest |R| CG-BP can serve (docs/model.md);
        # reference mode keeps the reference's failure.
        from ..validate import largest_feasible_R

        best = largest_feasible_R(d)
        if best >= 1:
            Rinfo = {**Rinfo, "value": best, "source": "lambda, limited to the largest feasible", "rule_value": R}
            R = best
            core = cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)
    if not core["feasible"]:
        from ..validate import capacity

        short = {b: R - c for b, c in enumerate(core["C"]) if c < R}
        placed = corollary1_blocks(d, R)
        need = d.s_m * (d.L + d.J) + d.s_c * R * (d.L + d.J)
        have = sum(d.memory)
        cap = capacity(scn, R, d)  # Corollary 1 with the max_blocks caps: shortfall and largest feasible |R|
        raise Infeasible(
            f"CG-BP: blocks {format_blocks(sorted(short))} cannot be covered; {cap.explain()}",
            {"short_blocks": short, "R": R, "R_max": Rinfo["R_max"], "blocks_placeable": placed,
             "memory_gb": have, "memory_needed_gb": need, "memory_short_gb": cap.memory_short_gb,
             "largest_feasible_R": cap.largest_feasible_R})
    return core, Rinfo


@register_placer("cgbp", "CG-BP (proposed)", "[BPRR] Algorithm CG-BP; SPEC 3.1")
def place_cgbp(scn: Scenario, d: Derived) -> Placement:
    """CG-BP conservative greedy block placement at the scenario's |R|."""
    core, Rinfo = run_cgbp(scn, d)
    m, start = core["m"], core["start"]
    end = [a + mm for a, mm in zip(start, m)]
    ids = scn.server_ids
    slots = [perf.residual_cache_slots(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J)]
    info = {"order": [ids[j] for j in core["order"]],
            "t_tilde_ms": [None if math.isinf(x) else x for x in core["t_tilde"]],
            "max_sessions": core["max_sessions"], "K": core["K"], "bound_ms": core["bound"],
            "R": Rinfo["value"], "R_max": Rinfo["R_max"], "R_source": Rinfo["source"], "T1_ms": Rinfo["T1_ms"],
            "block_gb": d.s_m, "cache_gb": d.s_c}
    if "rule_value" in Rinfo:
        info["R_rule"] = Rinfo["rule_value"]
    return Placement("cgbp", tuple(start), tuple(end), tuple(slots), tuple(core["max_sessions"]), info)
