"""The verbs shared by the CLI and the app: validate, place, simulate, compare."""
from __future__ import annotations

from . import placement as _placement  # noqa: F401  (registers placers)
from . import routing as _routing  # noqa: F401  (registers routers)
from .errors import Infeasible, ScenarioError
from .perf import Derived, derive
from .placement.base import PLACERS, Placement
from .policies import POLICIES
from .scenario import Scenario
from .sim import SimResult, run


def place(scn: Scenario, algorithm: str, d: Derived | None = None) -> Placement:
    """Run a registered placement algorithm; raises Infeasible with the reason."""
    if algorithm not in PLACERS:
        raise ScenarioError("algorithm", f"unknown placement {algorithm!r}; choose from {', '.join(PLACERS)}")
    return PLACERS[algorithm].func(scn, d or derive(scn))


def simulate(scn: Scenario, policy: str, d: Derived | None = None, placement: Placement | None = None,
             progress=None) -> SimResult:
    """Place (unless a placement is given) and simulate every request under a policy."""
    if policy not in POLICIES:
        raise ScenarioError("policy", f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    spec = POLICIES[policy]
    d = d or derive(scn)
    p = placement or place(scn, spec.placer, d)
    return run(scn, d, spec, p, progress)


DEFAULT_COMPARE = ("proposed", "petals", "petals-opt-order", "petals-opt-num")


def compare(scn: Scenario, policies=DEFAULT_COMPARE, progress=None) -> dict:
    """Every policy on the same arrivals; summary rows with the per-token reduction vs PETALS (or the error)."""
    d = derive(scn)
    rows: dict[str, dict] = {}
    results: dict[str, SimResult] = {}
    for i, name in enumerate(policies):
        try:
            res = simulate(scn, name, d)
            results[name] = res
            rows[name] = dict(res.summary)
        except Infeasible as e:
            rows[name] = {"error": str(e)}
        if progress is not None:
            progress((i + 1) / len(policies))
    base = rows.get("petals", {}).get("avg_per_token_ms")
    for name, row in rows.items():
        if base and "avg_per_token_ms" in row:
            row["reduction_vs_petals"] = 1 - row["avg_per_token_ms"] / base
    return {"rows": rows, "results": results}
