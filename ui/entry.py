"""Bookmarks to a page on a just-started server: run the page through app.py's navigation.

Streamlit 1.67 treats a `pages/` folder next to the entry script as a legacy multipage app until some session
has run `st.navigation`; a first visit to e.g. /cluster then runs pages/cluster.py alone, with the folder's
file names as the menu and none of app.py's settings. The card fixes the folder name, so every page calls
`through_app()` first: in that legacy run it executes app.py, whose `st.navigation` switches the server to
the app's navigation for good and runs the requested page inside it.
"""
from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent.parent / "app.py"


def through_app() -> None:
    """In Streamlit's legacy pages-folder run, render this page through app.py instead, then stop."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()
