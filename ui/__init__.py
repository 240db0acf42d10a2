"""Streamlit-side helpers: session state, figures and maps (the only code besides pages/ that imports UI libraries)."""
