"""PETALS' block placement ([PETALS] server/block_selection.py; SPEC 4.1) and its two ablations (SPEC 4.3).

Servers join one at a time; each takes the window whose ascending-sorted per-block throughput vector is
lexicographically smallest (ties: smallest start) and adds its announced throughput over it.
"""
from __future__ import annotations

import math

import numpy as np

from .. import perf
from ..errors import Infeasible, ScenarioError
from ..perf import Derived
from ..scenario import Scenario
from .base import Placement, register_placer, require_coverage
from .cgbp import lexmin_window, run_cgbp


def join_order(scn: Scenario) -> list[int]:
    """The scenario's join order, else a permutation drawn from the workload seed."""
    if scn.policy.petals_join_order is not None:
        return list(scn.policy.petals_join_order)
    rng = np.random.default_rng([scn.workload.seed, 4])  # stream 4: join order (independent of arrivals)
    return [int(x) for x in rng.permutation(len(scn.servers))]


def _throughputs(scn: Scenario) -> list[tuple[float, float]]:
    from ..presets import PAPER_GPUS

    out = []
    for i, s in enumerate(scn.servers):
        f, n = s.forward_rps, s.network_rps
        if f is None or n is None:
            ref = PAPER_GPUS.get(s.gpu)
            if ref is None:
                raise ScenarioError(f"servers[{i}].forward_rps",
                                    "PETALS needs forward_rps and network_rps for a GPU that is not A100 or MIG")
            f = ref["forward_rps"] if f is None else f
            n = ref["network_rps"] if n is None else n
        out.append((f, n))
    return out


def petals_windows(scn: Scenario, d: Derived, m: list[int], order: list[int]) -> list[int]:
    """Starts chosen by PETALS' lexicographic window rule as servers join in `order`."""
    thr = _throughputs(scn)
    bt = np.zeros(d.L, dtype=np.float64)
    start = [0] * d.J
    for s in order:
        if m[s] <= 0:
            continue
        a = lexmin_window(bt, m[s])
        start[s] = a
        rng = slice(a, a + m[s])
        bt[rng] = bt[rng] + perf.petals_throughput(thr[s][0], thr[s][1], m[s])
    return start


def _capped(m: int, cap: int | None) -> int:
    m = max(m, 0)
    return cap if cap is not None and m > cap else m


def _petals(scn: Scenario, d: Derived, order: list[int], name: str) -> Placement:
    m = [_capped(perf.petals_num_blocks(d.memory[j], scn.model, d.s_m, d.L), d.cap[j]) for j in range(d.J)]
    start = petals_windows(scn, d, m, order)
    cpb_gb = perf.petals_cache_bytes_per_block(scn.model) / 1e9
    n_caches = tuple(math.floor((m[j] * cpb_gb) / d.s_c) for j in range(d.J))
    capacity = tuple(math.floor((m[j] * cpb_gb) / (m[j] * d.s_c)) if m[j] > 0 else 0 for j in range(d.J))
    ids = scn.server_ids
    p = Placement(name, tuple(start), tuple(a + b for a, b in zip(start, m)), n_caches, capacity,
                  {"join_order": [ids[j] for j in order], "cache_bytes_per_block": perf.petals_cache_bytes_per_block(
                      scn.model)})
    return require_coverage(p, d.L, name)


@register_placer("petals", "PETALS", "[PETALS] block_selection.py; SPEC 4.1")
def place_petals(scn: Scenario, d: Derived) -> Placement:
    """PETALS placement in the scenario's join order (or one drawn from the seed)."""
    return _petals(scn, d, join_order(scn), "petals")


@register_placer("petals-opt-order", "PETALS, CG-BP's join order", "[BPRR] ablation 'Opt Order'; SPEC 4.3")
def place_petals_opt_order(scn: Scenario, d: Derived) -> Placement:
    """PETALS placement with servers joining in CG-BP's order (increasing t~)."""
    core, _ = run_cgbp(scn, d)
    return _petals(scn, d, core["order"], "petals-opt-order")


@register_placer("petals-opt-num", "PETALS, CG-BP's block counts", "[BPRR] ablation 'Opt Num'; SPEC 4.3")
def place_petals_opt_num(scn: Scenario, d: Derived) -> Placement:
    """PETALS' window rule with CG-BP's block counts and the residual memory as cache pool."""
    try:
        core, _ = run_cgbp(scn, d)
    except Infeasible as e:
        raise Infeasible(f"petals-opt-num needs CG-BP's block counts: {e}", e.details) from None
    m = [_capped(x, d.cap[j]) for j, x in enumerate(core["m"])]
    order = join_order(scn)
    start = petals_windows(scn, d, m, order)
    n_caches = tuple(perf.residual_cache_slots(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    capacity = tuple(perf.max_sessions(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    ids = scn.server_ids
    p = Placement("petals-opt-num", tuple(start), tuple(a + b for a, b in zip(start, m)), n_caches, capacity,
                  {"join_order": [ids[j] for j in order]})
    return require_coverage(p, d.L, "petals-opt-num")
