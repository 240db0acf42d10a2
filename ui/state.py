"""Session state: the current scenario (as canonical JSON, a non-widget key), its undo stack, and results.

Pages never keep their own copy of the scenario: they read `scenario()` and write through `set_scenario()`,
so edits survive page changes and every edit can be undone.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import scenario as scn_mod
from core.errors import SwarmscopeError
from core.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_clusters"
DEFAULT_SAMPLE = "teaching_small.json"
UNDO_DEPTH = 50

_K_SCN = "scn_json"
_K_UNDO = "scn_undo"
_K_REDO = "scn_redo"
_K_RESULTS = "results"


def sample_files() -> dict[str, Path]:
    """Sample scenario files by file name."""
    return {p.name: p for p in sorted(SAMPLES.glob("*.json"))}


def _init() -> None:
    if _K_SCN not in st.session_state:
        st.session_state[_K_SCN] = scn_mod.dumps(scn_mod.load(str(SAMPLES / DEFAULT_SAMPLE)))
        st.session_state[_K_UNDO] = []
        st.session_state[_K_REDO] = []
        st.session_state[_K_RESULTS] = {}


def scenario() -> Scenario:
    """The current scenario."""
    _init()
    return scn_mod.loads(st.session_state[_K_SCN])


def scenario_json() -> str:
    """The current scenario as canonical JSON (a cache key for core calls)."""
    _init()
    return st.session_state[_K_SCN]


def set_scenario(new: Scenario, what: str) -> None:
    """Replace the scenario, remembering the previous one for undo; `what` names the edit."""
    _init()
    text = scn_mod.dumps(new)
    if text == st.session_state[_K_SCN]:
        return
    st.session_state[_K_UNDO] = (st.session_state[_K_UNDO] + [(what, st.session_state[_K_SCN])])[-UNDO_DEPTH:]
    st.session_state[_K_REDO] = []
    st.session_state[_K_SCN] = text


def try_set_scenario_json(text: str | bytes, what: str) -> str | None:
    """Parse and install a scenario; on error return the message and keep the current scenario."""
    try:
        new = scn_mod.loads(text, check_capacity=True)  # a file the cluster cannot run is refused like a bad one
    except SwarmscopeError as e:
        return str(e)
    set_scenario(new, what)
    return None


def undo_label() -> str | None:
    """What the next undo would revert, or None."""
    _init()
    return st.session_state[_K_UNDO][-1][0] if st.session_state[_K_UNDO] else None


def undo() -> None:
    """Revert the last edit."""
    _init()
    if st.session_state[_K_UNDO]:
        what, text = st.session_state[_K_UNDO].pop()
        st.session_state[_K_REDO].append((what, st.session_state[_K_SCN]))
        st.session_state[_K_SCN] = text


def redo_label() -> str | None:
    """What the next redo would re-apply, or None."""
    _init()
    return st.session_state[_K_REDO][-1][0] if st.session_state[_K_REDO] else None


def redo() -> None:
    """Re-apply the last undone edit."""
    _init()
    if st.session_state[_K_REDO]:
        what, text = st.session_state[_K_REDO].pop()
        st.session_state[_K_UNDO].append((what, st.session_state[_K_SCN]))
        st.session_state[_K_SCN] = text


def put_result(kind: str, name: str, value) -> None:
    """Keep a result (placement, simulation, sweep) for the current scenario across page changes."""
    _init()
    st.session_state[_K_RESULTS][(kind, name)] = (st.session_state[_K_SCN], value)


def get_result(kind: str, name: str):
    """A kept result, only if it was computed for the current scenario (else None)."""
    _init()
    hit = st.session_state[_K_RESULTS].get((kind, name))
    if hit is None or hit[0] != st.session_state[_K_SCN]:
        return None
    return hit[1]
