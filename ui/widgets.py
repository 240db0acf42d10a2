"""Shared sidebar and message bits for the pages (scenario summary, undo / redo, one-shot messages)."""
from __future__ import annotations

import streamlit as st

from ui import state

_K_FLASH = "ui_flash"


def flash(message: str, kind: str = "success") -> None:
    """Queue a message (success, info, warning or error) to show once on the next run, e.g. from a callback."""
    st.session_state.setdefault(_K_FLASH, []).append((kind, message))


def show_flash() -> None:
    """Show and clear the queued messages."""
    for kind, message in st.session_state.pop(_K_FLASH, []):
        getattr(st, kind if kind in ("success", "info", "warning", "error") else "info")(message)


def scenario_sidebar() -> None:
    """Sidebar: the current scenario at a glance, with undo / redo of the last edit (labelled)."""
    scn = state.scenario()
    undo_what, redo_what = state.undo_label(), state.redo_label()
    with st.sidebar:
        st.markdown(f"**Scenario:** {scn.name}")
        st.caption(f"{len(scn.servers)} servers, {len(scn.clients)} clients, {scn.model.name} "
                   f"({scn.model.n_blocks} blocks)")
        left, right = st.columns(2)
        left.button("Undo", key="sidebar_undo", on_click=state.undo, disabled=undo_what is None,
                    help=f"Undo: {undo_what}" if undo_what else "Nothing to undo", icon=":material/undo:",
                    width="stretch")
        right.button("Redo", key="sidebar_redo", on_click=state.redo, disabled=redo_what is None,
                     help=f"Redo: {redo_what}" if redo_what else "Nothing to redo", icon=":material/redo:",
                     width="stretch")
        if undo_what:
            st.caption(f"Last edit: {undo_what}")
