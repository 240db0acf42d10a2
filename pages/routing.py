"""Placeholder page: routing (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("routing")
st.caption(f"Scenario: {scn.name}")
