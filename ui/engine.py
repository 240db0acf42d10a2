"""Cached wrappers around core calls, keyed by the canonical scenario JSON (pages call these, never algorithms)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import streamlit as st

from core import api, breakdown as bd, scenario as scn_mod
from core.sweep import with_seed


@st.cache_data(show_spinner=False, max_entries=64)
def place(scn_json: str, algorithm: str):
    """core.api.place on a scenario given as canonical JSON."""
    return api.place(scn_mod.loads(scn_json), algorithm)


@st.cache_data(show_spinner=False, max_entries=64)
def simulate(scn_json: str, policy: str):
    """core.api.simulate on a scenario given as canonical JSON."""
    return api.simulate(scn_mod.loads(scn_json), policy)


@st.cache_data(show_spinner=False, max_entries=64)
def per_token_parts(scn_json: str, policy: str) -> dict[str, float]:
    """core.breakdown.per_token_parts of the cached simulation (ms/token per part)."""
    return bd.per_token_parts(scn_mod.loads(scn_json), simulate(scn_json, policy))


@st.cache_data(show_spinner=False, max_entries=16)
def gap_report(scn_json: str, R_values: tuple[int, ...], time_limit_s: float) -> dict:
    """core.optimum.gap_report: CG-BPRR vs the MILP-BPRR optimum for each |R|."""
    from core import optimum  # imports PuLP: only when someone asks for the optimum

    return optimum.gap_report(scn_mod.loads(scn_json), list(R_values), time_limit_s=time_limit_s)


def with_policy(scn_json: str, **changes: Any) -> str:
    """Canonical JSON of the scenario with policy fields replaced (e.g. R=8), validated again."""
    scn = scn_mod.loads(scn_json)
    return scn_mod.dumps(scn_mod.with_changes(scn, policy=dataclasses.replace(scn.policy, **changes)))


def seed_variant(scn_json: str, offset: int) -> str:
    """The scenario for the offset-th seed of a multi-seed run: offset 0 is the scenario as it is, others
    redraw arrivals, clients and PETALS' join order from workload seed + offset (core.sweep.with_seed)."""
    if offset == 0:
        return scn_json
    scn = scn_mod.loads(scn_json)
    return scn_mod.dumps(with_seed(scn, scn.workload.seed + offset))


def run_interruptible(job: Callable[[Callable[[float], None], Callable[[], bool]], Any],
                      show: Callable[[float], None]) -> tuple[Any, BaseException | None]:
    """Run `job(progress, cancel)` and survive Streamlit stopping the script mid-way (a click on Cancel or any
    widget): the stop, raised inside `show`, is caught, `cancel()` turns True so the job ends early with what it
    has, and the stop is handed back so the caller can keep the partial result and then re-raise it."""
    stop: list[BaseException] = []

    def progress(fraction: float) -> None:
        if stop:
            return
        try:
            show(fraction)
        except BaseException as e:  # noqa: BLE001  Streamlit's stop/rerun signals are BaseExceptions
            stop.append(e)

    result = job(progress, lambda: bool(stop))
    return result, (stop[0] if stop else None)
