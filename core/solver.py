"""MILP solver choice and result reading for every PuLP model in the engine (SPEC 5).

HiGHS through highspy (`pulp.HiGHS`, in process) is the solver; CBC (`PULP_CBC_CMD` in PuLP 3.x,
`COIN_CMD` in 4.x when `pulp[cbc]` is installed) is the fallback. Only the PuLP API that 3.3 and 4.x share
is used: `prob.add_variable*`, `lpSum`, `prob += ...`, `var.value()`; the status is read from the return
value of `solve()` (an int in 3.x, an `LpSolveStats` in 4.x) and, for HiGHS, from highspy itself, which
both versions leave in `prob.solverModel` and which is the only place the best bound can be read from in 3.x.

Results are plain frozen dataclasses: an `LpProblem` cannot be pickled (st.cache_data, processes).
"""
from __future__ import annotations

import inspect
import math
import time
import warnings
from dataclasses import dataclass

import pulp

from .errors import SwarmscopeError

# a solve whose relative gap is at most this counts as proven optimal (HiGHS' own mip_rel_gap default is
# 1e-4; we always pass the user's gap, so an "optimal" run with gap 0 requested stops near 1e-9)
OPTIMAL_GAP = 1e-6
# the relative gap handed to the solver is never below this: "gap 0" asks for optimality up to floating point,
# not for a search that tries to close the last 1e-12 of rounding error
MIN_GAP = 1e-7

STATUSES = ("optimal", "feasible", "infeasible", "timeout", "error")


class NoSolution(SwarmscopeError):
    """The solver stopped (time limit) before finding any feasible solution."""


class NoSolver(SwarmscopeError):
    """Neither HiGHS (highspy) nor CBC is available to PuLP."""


@dataclass(frozen=True)
class SolveResult:
    """How one MILP solve ended.

    status: "optimal" (proven, gap <= 1e-6), "feasible" (an incumbent; stopped at the time limit or at the
    user's relative gap), "infeasible", "timeout" (time limit, no solution) or "error".
    objective / best_bound are in the model's units (the caller's, e.g. ms); gap = (objective - bound) /
    |objective| for a minimisation (None when either is unknown).
    """

    status: str
    has_solution: bool
    objective: float | None
    best_bound: float | None
    gap: float | None
    solver: str
    time_s: float
    time_limit_s: float
    gap_limit: float
    detail: str = ""

    def to_dict(self) -> dict:
        """JSON form."""
        return {"status": self.status, "has_solution": self.has_solution, "objective": self.objective,
                "best_bound": self.best_bound, "gap": self.gap, "solver": self.solver, "time_s": self.time_s,
                "time_limit_s": self.time_limit_s, "gap_limit": self.gap_limit, "detail": self.detail}


def available_solvers() -> list[str]:
    """Names of the MILP solvers PuLP can use here, in order of preference."""
    have = set(pulp.listSolvers(onlyAvailable=True))
    return [s for s in ("HiGHS", "PULP_CBC_CMD", "COIN_CMD") if s in have]


class _HiGHSWithStart(pulp.HiGHS):
    """PuLP 3.x's HiGHS ignores initial values; hand them to highspy just before it runs (4.x: warmStart)."""

    def callSolver(self, lp):
        cols = [v for v in lp.variables() if v.varValue is not None]
        if cols:
            lp.solverModel.setSolution(len(cols), [v.index for v in cols], [float(v.varValue) for v in cols])
        super().callSolver(lp)


def make_solver(time_limit_s: float, gap: float, prefer: str | None = None, msg: bool = False,
                warm: bool = False):
    """A configured PuLP solver: HiGHS if available, else CBC; `prefer` picks one by name; `warm` passes
    the variables' initial values (setInitialValue) to the solver as a starting solution."""
    names = available_solvers()
    if prefer is not None:
        if prefer not in names:
            raise NoSolver(f"solver: {prefer!r} is not available here; available: {', '.join(names) or 'none'}")
        names = [prefer]
    if not names:
        raise NoSolver("solver: no MILP solver is available to PuLP; install highspy (pip install highspy)")
    name = names[0]
    if name == "HiGHS":
        # one thread: results do not depend on the machine's core count, and sessions share the cores
        kw = {"msg": msg, "timeLimit": time_limit_s, "gapRel": gap, "threads": 1}
        if not warm:
            return pulp.HiGHS(**kw), name
        if "warmStart" in inspect.signature(pulp.HiGHS.__init__).parameters:
            return pulp.HiGHS(warmStart=True, **kw), name
        return _HiGHSWithStart(**kw), name
    cls = getattr(pulp, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3.3 deprecates PULP_CBC_CMD; it still works
        return cls(msg=msg, timeLimit=time_limit_s, gapRel=gap, warmStart=warm), name


def _highs_info(prob) -> tuple[str | None, float | None, float | None, bool]:
    """(model status name, objective, best bound, primal solution valid) read from highspy, if present."""
    h = getattr(prob, "solverModel", None)
    if h is None or not hasattr(h, "getInfo"):
        return None, None, None, False
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has = getattr(info, "primal_solution_status", 0) == 2  # kSolutionStatusFeasible
    obj = info.objective_function_value if has else None
    bound = getattr(info, "mip_dual_bound", None)
    if bound is not None and not math.isfinite(bound):
        bound = None
    return status, obj, bound, has


def solve(prob, time_limit_s: float, gap: float, prefer: str | None = None, warm: bool = False) -> SolveResult:
    """Solve a PuLP minimisation under a time limit (s) and relative gap; never raises on solver status.

    warm: start from the variables' initial values (set with var.setInitialValue)."""
    if not (time_limit_s > 0 and math.isfinite(time_limit_s)):
        raise SwarmscopeError(f"policy.milp_time_limit_s: must be a positive number of seconds, got {time_limit_s}")
    if not (0 <= gap <= 1):
        raise SwarmscopeError(f"policy.milp_gap: must be a relative gap in [0, 1], got {gap}")
    solver, name = make_solver(time_limit_s, max(gap, MIN_GAP), prefer, warm=warm)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ret = prob.solve(solver)
    elapsed = time.perf_counter() - t0
    if name == "HiGHS":
        hs, obj, bound, has = _highs_info(prob)
        if hs is not None:
            return _classify(name, hs, has, obj, bound, elapsed, time_limit_s, gap)
    return _classify_generic(prob, ret, name, elapsed, time_limit_s, gap)


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    if obj == bound:
        return 0.0
    return max(0.0, (obj - bound) / max(abs(obj), 1e-12))


def _classify(name, hs: str, has: bool, obj, bound, elapsed, limit, gap) -> SolveResult:
    low = hs.lower()
    if "infeasible" in low and not has:
        return SolveResult("infeasible", False, None, None, None, name, elapsed, limit, gap, hs)
    if not has:
        st = "timeout" if "time limit" in low or "interrupt" in low else "error"
        return SolveResult(st, False, None, bound, None, name, elapsed, limit, gap, hs)
    if low == "optimal" and bound is None:
        bound = obj  # a pure LP, or HiGHS proved it at the root: the optimum is its own bound
    g = _gap(obj, bound)
    st = "optimal" if low == "optimal" and g is not None and g <= OPTIMAL_GAP else "feasible"
    return SolveResult(st, True, obj, bound, g, name, elapsed, limit, gap, hs)


def _classify_generic(prob, ret, name, elapsed, limit, gap) -> SolveResult:
    """CBC (and anything else): the status from PuLP; a bound only when PuLP says optimal (3.x) or reports one."""
    if hasattr(ret, "status_str"):  # PuLP 4.x LpSolveStats
        has = bool(ret.has_solution)
        obj = ret.objective if has else None
        bound = getattr(ret, "best_bound", None)
        text = ret.status_str
        proven = text.lower() == "optimal"
    else:
        has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        obj = pulp.value(prob.objective) if has else None
        text = pulp.LpStatus[prob.status]
        stopped_ok = prob.sol_status == pulp.LpSolutionOptimal
        # CBC says "optimal" also when it stopped at the user's gap; then only obj * (1 - gap) is a known bound
        proven = stopped_ok and gap == 0
        bound = obj if proven else (obj * (1 - gap) if stopped_ok and obj is not None and obj >= 0 else None)
    if not has:
        low = text.lower()
        st = "infeasible" if "infeasible" in low else ("timeout" if elapsed >= 0.95 * limit or "not" in low
                                                        else "error")
        return SolveResult(st, False, None, None, None, name, elapsed, limit, gap, text)
    if proven and bound is None:
        bound = obj
    g = _gap(obj, bound)
    st = "optimal" if proven and g is not None and g <= OPTIMAL_GAP else "feasible"
    return SolveResult(st, True, obj, bound, g, name, elapsed, limit, gap, text)
