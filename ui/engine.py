"""Cached wrappers around core calls, keyed by the canonical scenario JSON (pages call these, never algorithms)."""
from __future__ import annotations

import streamlit as st

from core import api, scenario as scn_mod


@st.cache_data(show_spinner=False, max_entries=64)
def place(scn_json: str, algorithm: str):
    """core.api.place on a scenario given as canonical JSON."""
    return api.place(scn_mod.loads(scn_json), algorithm)


@st.cache_data(show_spinner=False, max_entries=64)
def simulate(scn_json: str, policy: str):
    """core.api.simulate on a scenario given as canonical JSON."""
    return api.simulate(scn_mod.loads(scn_json), policy)
