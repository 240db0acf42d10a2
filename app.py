"""Swarmscope: the Streamlit entry point. Lists the pages in pages/ with st.navigation; nothing else."""
import streamlit as st

st.set_page_config(page_title="Swarmscope", page_icon="🛰️", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/cluster.py", title="Cluster", icon=":material/map:"),
    st.Page("pages/placement.py", title="Placement", icon=":material/view_timeline:"),
    st.Page("pages/routing.py", title="Routing / chains", icon=":material/route:"),
    st.Page("pages/compare.py", title="Simulate & compare", icon=":material/compare_arrows:"),
    st.Page("pages/what_if.py", title="What-if / capacity", icon=":material/query_stats:"),
]

st.navigation(PAGES).run()
