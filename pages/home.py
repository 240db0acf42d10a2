"""Home: what Swarmscope does, the current scenario at a glance, samples, upload / download, and a one-click
comparison of the proposed method (CG-BP + WS-RR) against PETALS."""
from __future__ import annotations

import re

import streamlit as st

from core import api, perf
from core import scenario as scn_mod
from ui import maps, state, widgets
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py

HEADLINE_POLICIES = ("proposed", "petals")


@st.cache_data(show_spinner=False, max_entries=32)
def headline(scn_json: str) -> dict:
    """core.api.compare on the proposed method and PETALS: the summary rows (with reduction vs PETALS)."""
    return api.compare(scn_mod.loads(scn_json), HEADLINE_POLICIES)["rows"]


def load_sample(name: str) -> None:
    """Button callback: replace the scenario with a shipped sample (undoable)."""
    path = state.sample_files().get(name)
    if path is None:
        widgets.flash(f"sample: no sample named {name!r}", "error")
        return
    err = state.try_set_scenario_json(path.read_bytes(), f"load sample {name}")
    if err:
        widgets.flash(f"Sample {name}: {err}", "error")
    else:
        widgets.flash(f"Loaded sample {name}.")


def handle_upload(upload) -> str | None:
    """Install an uploaded scenario file once per upload; returns the error message for a bad file."""
    if upload is None:
        return None
    seen = st.session_state.get("home_upload_seen")
    if seen and seen[0] == upload.file_id:
        return seen[1]
    err = state.try_set_scenario_json(upload.getvalue(), f"upload {upload.name}")
    st.session_state["home_upload_seen"] = (upload.file_id, err)
    if err is None:
        widgets.flash(f"Loaded {upload.name}.")
        st.rerun()
    return err


def run_compare() -> None:
    """Button callback: compare proposed vs PETALS on the current scenario and keep the rows."""
    state.put_result("compare", "home", headline(state.scenario_json()))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "scenario"


widgets.scenario_sidebar()
scn = state.scenario()

st.title("Swarmscope")
st.markdown(
    "Swarmscope plans where the blocks of a large language model should live on GPU servers spread across "
    "the world, and how each request should be routed through them. "
    "It implements the CG-BP block placement and WS-RR request routing of Sun, He, Ji and Parag "
    "(arXiv 2512.21884) and the PETALS baseline, and times every request with a CPU simulator of the "
    "paper's performance model. "
    "Edit a cluster on the map, then compare per-token latency, time to first token and waits across "
    "methods, all offline in your browser.")
widgets.show_flash()

# ----------------------------------------------------------------------------- at a glance
st.subheader(f"Current scenario: {scn.name}")
if scn.description:
    st.caption(scn.description)
w = scn.workload
gpus = ", ".join(f"{n} {label}" for label, _, n, _ in maps.gpu_legend(scn))
total_mem = sum(s.memory_gb for s in scn.servers)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Servers", f"{len(scn.servers)}", help="GPU servers that can each host a contiguous span of blocks")
c1.caption(f"{gpus}; {total_mem:,.1f} GB in total")
c2.metric("Clients", f"{len(scn.clients)}")
c2.caption(", ".join(c.name for c in scn.clients[:4]) + (" ..." if len(scn.clients) > 4 else ""))
c3.metric("Model", f"{scn.model.n_blocks} blocks", help=scn.model.name)
c3.caption(f"{scn.model.name}: {perf.block_gb(scn.model):.3f} GB per block; KV cache "
           f"{perf.cache_gb(scn.model, w.l_in, w.l_out):.6f} GB per block per session")
c4.metric("Load", f"{w.rate_per_s:g} req/s")
c4.caption(f"{w.n_requests} requests of {w.l_in} input + {w.l_out} output tokens")
st.pydeck_chart(maps.cluster_deck(scn, candidates=False, width_px=900, height_px=320), height=320, key="home_map")
st.caption("Servers are coloured by GPU and sized by memory; clients are dark rings. Edit them on the "
           "Cluster page.")

# ----------------------------------------------------------------------------- compare
st.subheader("Compare against PETALS")
st.button("Compare against PETALS", key="home_compare", type="primary", on_click=run_compare,
          help="Simulate the scenario's requests under the proposed method (CG-BP + WS-RR) and PETALS")
rows = state.get_result("compare", "home")
if rows is not None:
    prop, pet = rows.get("proposed", {}), rows.get("petals", {})
    for name, row in (("Proposed", prop), ("PETALS", pet)):
        if "error" in row:
            st.error(f"{name}: {row['error']}")
    if "avg_per_token_ms" in prop and "avg_per_token_ms" in pet:
        m1, m2, m3 = st.columns(3)
        m1.metric("Proposed: mean per-token time", f"{prop['avg_per_token_ms'] / 1000:.3f} s/token")
        m1.metric("Proposed: mean time to first token", f"{prop['avg_ttft_ms'] / 1000:.1f} s")
        m2.metric("PETALS: mean per-token time", f"{pet['avg_per_token_ms'] / 1000:.3f} s/token")
        m2.metric("PETALS: mean time to first token", f"{pet['avg_ttft_ms'] / 1000:.1f} s")
        m3.metric("Per-token time reduction vs PETALS", f"{100 * prop['reduction_vs_petals']:.1f} %")
        m3.metric("TTFT reduction vs PETALS", f"{100 * (1 - prop['avg_ttft_ms'] / pet['avg_ttft_ms']):.1f} %")
        st.caption(f"{prop['n_requests']} requests; times include the calibrated allocation delays "
                   f"({scn.policy.alloc_delay_proposed_ms / 1000:g} s proposed, "
                   f"{scn.policy.alloc_delay_petals_ms / 1000:g} s PETALS, [BPRR] SPEC 2.2). "
                   "The Simulate & compare page has every policy and the distributions.")

# ----------------------------------------------------------------------------- files
st.subheader("Scenario file")
left, mid, right = st.columns(3)
with left:
    samples = list(state.sample_files())
    pick = st.selectbox("Sample cluster", samples, key="home_sample")
    st.button("Load sample", key="home_load_sample", on_click=load_sample, args=(pick,), disabled=pick is None)
with mid:
    upload = st.file_uploader("Upload scenario JSON", type=["json"], key="home_upload",
                              help="A swarmscope.scenario/1 file (SPEC 8.1); a bad file keeps the current scenario")
    err = handle_upload(upload)
    if err:
        st.error(f"Upload refused, the current scenario is unchanged. {err}")
with right:
    st.download_button("Download scenario JSON", data=state.scenario_json(), file_name=f"{_slug(scn.name)}.json",
                       mime="application/json", key="home_download", icon=":material/download:")
    st.caption("The file reloads here or runs from the command line: `python -m core simulate FILE`.")
