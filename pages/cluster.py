"""Placeholder page: cluster (being built)."""
import streamlit as st

from ui import state

scn = state.scenario()
st.title("cluster")
st.caption(f"Scenario: {scn.name}")
