"""Placeholder page: compare (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("compare")
st.caption(f"Scenario: {scn.name}")
