"""Swarmscope engine: the model, algorithms and simulator of [BPRR] and the PETALS baseline (no UI imports)."""
from .api import compare, place, simulate
from .errors import Infeasible, ScenarioError, SwarmscopeError
from .perf import derive
from .scenario import Scenario, dumps, load, loads

__all__ = ["compare", "place", "simulate", "Infeasible", "ScenarioError", "SwarmscopeError", "derive",
           "Scenario", "dumps", "load", "loads"]
