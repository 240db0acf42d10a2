"""Cluster-level checks and infeasibility explanations (SPEC 3.1: Corollary 1 and R_max).

Field checks live in core/scenario.py; these need the performance model. CG-BP at |R| concurrent requests is
feasible iff the capped block counts cover the model (Corollary 1, with each server's max_blocks cap):

    sum_j min(floor(M_j / (s_m + s_c R)), cap_j, L) >= L

Every server then serves at least R sessions through each block it holds, so coverage is the only question.
At |R| = 1 the same sum decides whether the cluster can serve even a single request under any placement:
a request processes every block once, on some server that also stores it with one session's cache.

At an exact boundary (M_j = m (s_m + s_c R)) floating point can leave CG-BP's own session count
floor((M - s_m m) / (s_c m)) one short of R, so feasibility verdicts come from CG-BP itself; the sum above
gives the counts that explain them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ScenarioError
from .perf import Derived, derive
from .placement.cgbp import cgbp_core
from .scenario import Scenario


def blocks_placeable(d: Derived, R: int) -> int:
    """Corollary 1: blocks CG-BP can place with room for R sessions on each (max_blocks caps applied)."""
    total = 0
    for M, cap in zip(d.memory, d.cap):
        m = min(math.floor(M / (d.s_m + d.s_c * R)), d.L)
        total += m if cap is None else min(m, cap)
    return total


def r_max_bound(d: Derived) -> int:
    """SPEC 3.1's memory bound R_max = floor((sum M - s_m (L+J)) / (s_c (L+J))), never below 0."""
    total = 0.0
    for M in d.memory:
        total += M
    return max(math.floor((total - d.s_m * (d.L + d.J)) / (d.s_c * (d.L + d.J))), 0)


def cgbp_feasible(d: Derived, R: int) -> bool:
    """Whether CG-BP covers every block R times (with the max_blocks caps)."""
    return cgbp_core(d.memory, d.tau, d.t_max, d.cap, d.L, d.s_m, d.s_c, R)["feasible"]


def largest_feasible_R(d: Derived) -> int:
    """The largest |R| CG-BP can place (Corollary 1, checked by CG-BP itself); 0 if not even one request."""
    if not cgbp_feasible(d, 1):
        return 0
    # Corollary 1's count falls as R grows and is 0 once s_c R exceeds every server's memory, so a
    # binary search over [1, that R] finds the boundary
    lo, hi = 1, max(1, math.ceil(max(d.memory) / d.s_c) + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if blocks_placeable(d, mid) >= d.L and cgbp_feasible(d, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(frozen=True)
class Capacity:
    """How the cluster's memory compares with what |R| concurrent requests need (GB, blocks)."""

    R: int
    feasible: bool           # CG-BP places every block R times
    n_blocks: int
    blocks_placeable: int    # Corollary 1's count at R
    block_gb: float
    cache_gb: float
    memory_gb: float
    largest_feasible_R: int
    R_max: int

    @property
    def blocks_short(self) -> int:
        """Blocks that no server has room for at R (at least 1 when CG-BP fails at a rounding boundary)."""
        short = max(self.n_blocks - self.blocks_placeable, 0)
        return short if self.feasible or short else 1

    @property
    def per_block_gb(self) -> float:
        """Memory one block needs with R sessions' KV cache: s_m + s_c R."""
        return self.block_gb + self.cache_gb * self.R

    @property
    def memory_short_gb(self) -> float:
        """Memory one more (uncapped) server would need to hold the missing blocks at R."""
        return self.blocks_short * self.per_block_gb

    def explain(self) -> str:
        """One line: what does not fit, by how much, and the largest |R| that would."""
        if self.feasible:
            return (f"the servers can hold all {self.n_blocks} blocks with room for |R| = {self.R} sessions "
                    f"each (largest feasible |R| = {self.largest_feasible_R})")
        fit = (f"the largest feasible |R| is {self.largest_feasible_R} (Corollary 1; "
               f"memory bound R_max = {self.R_max})" if self.largest_feasible_R > 0
               else "not even one request fits")
        return (f"at |R| = {self.R} each block needs {self.per_block_gb:.4g} GB ({self.block_gb:.4g} GB of "
                f"weights + {self.R} x {self.cache_gb:.4g} GB of KV cache) and the servers ({self.memory_gb:.2f} "
                f"GB in all, max_blocks caps applied) have room for {self.n_blocks - self.blocks_short} of the "
                f"{self.n_blocks} blocks: {self.blocks_short} blocks short, about {self.memory_short_gb:.2f} GB "
                f"more memory needed; {fit}")


def capacity(scn: Scenario, R: int = 1, d: Derived | None = None) -> Capacity:
    """Corollary 1 at |R| for a scenario, with the numbers needed to explain a shortfall."""
    d = d or derive(scn)
    total = 0.0
    for M in d.memory:
        total += M
    return Capacity(R=R, feasible=cgbp_feasible(d, R), n_blocks=d.L, blocks_placeable=blocks_placeable(d, R),
                    block_gb=d.s_m, cache_gb=d.s_c,
                    memory_gb=total, largest_feasible_R=largest_feasible_R(d), R_max=r_max_bound(d))


def check_capacity(scn: Scenario, d: Derived | None = None) -> None:
    """Refuse a cluster that cannot serve even one request: more blocks than its servers can hold."""
    d = d or derive(scn)
    if cgbp_feasible(d, 1):
        return
    cap = capacity(scn, 1, d)
    raise ScenarioError(
        "model.n_blocks",
        f"{cap.n_blocks} blocks do not fit on these {len(scn.servers)} servers: each block needs "
        f"{cap.per_block_gb:.4g} GB ({cap.block_gb:.4g} GB of weights + {cap.cache_gb:.4g} GB of KV cache for "
        f"one session at l_in + l_out = {scn.workload.l_in + scn.workload.l_out} tokens) and the servers "
        f"({cap.memory_gb:.2f} GB in all, max_blocks caps applied) hold at most {cap.n_blocks - cap.blocks_short}; add "
        f"about {cap.memory_short_gb:.2f} GB of server memory, or use fewer blocks")
