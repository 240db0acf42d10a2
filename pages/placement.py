"""Placeholder page: placement (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("placement")
st.caption(f"Scenario: {scn.name}")
