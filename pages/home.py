"""Placeholder page: home (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("home")
st.caption(f"Scenario: {scn.name}")
