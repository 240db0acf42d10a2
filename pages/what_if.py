"""Placeholder page: what_if (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("what_if")
st.caption(f"Scenario: {scn.name}")
