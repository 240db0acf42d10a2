"""MILP-BPRR solve time vs instance size: the paper's clustered testbed (|R| up to 24) and the scattered backbones.

Run: python -m bench milp [--quick]. Writes bench/results/milp.csv and prints a Markdown table. Each row is one
solve of SPEC 5 (warm-started from CG-BPRR, HiGHS through highspy) with the given time limit; `status` says
whether optimality was proven. The clock is the solver's own wall time, as reported by core.solver.
"""
from __future__ import annotations

from pathlib import Path

from core import perf, scenario
from core.placement.milp import run_milp
from core.solver import available_solvers

SAMPLES = Path(__file__).resolve().parent.parent / "sample_clusters"
CLUSTERED = ("paper_clustered_client_at_a100s", "paper_clustered_client_at_migs", "paper_clustered_client_remote")
SCATTERED = ("paper_scattered_abovenet", "paper_scattered_bellcanada")  # 9 and 19 servers


def milp_curve(quick: bool = False, time_limit_s: float = 120.0) -> list[dict]:
    """One row per (sample, |R|): solve status, time, objective vs CG-BPRR, model size."""
    plan = [(name, R) for name in CLUSTERED for R in ((1, 2, 4) if quick else (*range(1, 9), 12, 16, 24))]
    plan += [(name, R) for name in SCATTERED for R in ((1,) if quick else (1, 2, 3, 4))]
    if not quick:
        plan += [("paper_scattered_gtsce", 1)]  # 60 servers: 7,500 binaries per request
    rows = []
    for name, R in plan:
        scn = scenario.load(str(SAMPLES / f"{name}.json"))
        d = perf.derive(scn)
        sol, extra = run_milp(scn, d, R=R, time_limit_s=time_limit_s)  # warm-started from CG-BPRR
        base = extra["cgbprr"]
        l_out = scn.workload.l_out
        rows.append({"sample": name, "servers": d.J, "blocks": d.L, "R": R, "status": sol.status,
                     "seconds": sol.solve.time_s, "variables": sol.n_variables, "constraints": sol.n_constraints,
                     "optimum_ms_per_token": sol.per_token_ms(l_out),
                     "bound_ms_per_token": None if sol.best_bound is None else sol.best_bound / R / l_out,
                     "cgbprr_ms_per_token": None if base is None else base["objective"] / R / l_out,
                     "solver": sol.solve.solver})
    return rows


def solvers() -> str:
    """The MILP solvers PuLP finds here."""
    return ", ".join(available_solvers())
