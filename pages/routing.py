"""Routing / chains: every request's chain on the map, a table of requests, and the per-server session timeline."""
from __future__ import annotations

import streamlit as st

from core.errors import SwarmscopeError
from core.policies import POLICIES
from ui import engine, figures, maps, state
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py


scn = state.scenario()
scn_json = state.scenario_json()
names = list(POLICIES)
w = scn.workload

st.title("Routing / chains")
st.caption(f"Scenario **{scn.name}**: {w.n_requests} requests at {w.rate_per_s:g} requests/s, "
           f"{w.l_in} input and {w.l_out} output tokens each. Traffic is hub-spoke: for every token the client "
           f"sends the hidden state to each server of the chain in turn and gets it back.")

prefs = st.session_state.setdefault("routing_prefs", {"policy": "proposed" if "proposed" in names else names[0],
                                                      "color_by": "request"})
c1, c2 = st.columns([2, 1])
policy = c1.selectbox("Policy (placement + routing)", names, index=names.index(prefs["policy"])
                      if prefs["policy"] in names else 0, format_func=lambda n: POLICIES[n].label, key="rt_policy")
color_by = c2.radio("Colour chains by", ["request", "wait"], horizontal=True, key="rt_color",
                    index=["request", "wait"].index(prefs["color_by"]))
prefs.update(policy=policy, color_by=color_by)

if st.button("Run simulation", type="primary", key="run_simulation", icon=":material/play_arrow:"):
    with st.spinner("Simulating every request..."):
        try:
            state.put_result("sim", policy, engine.simulate(scn_json, policy))
        except SwarmscopeError as e:
            state.put_result("sim", policy, {"error": str(e)})

res = state.get_result("sim", policy)
if res is None:
    st.info(f"Press **Run simulation** to route every request under {POLICIES[policy].label}.")
    st.stop()
if isinstance(res, dict):
    st.error(res["error"])
    st.stop()

s = res.summary
m1, m2, m3, m4 = st.columns(4)
m1.metric("mean per-token time", f"{s['avg_per_token_ms'] / 1e3:.3f} s/token")
m2.metric("mean time to first token", f"{s['avg_ttft_ms'] / 1e3:.1f} s")
m3.metric("mean wait for cache", f"{s['avg_wait_ms'] / 1e3:.1f} s")
m4.metric("peak concurrent requests", f"{s['max_concurrent']} requests")

frame = figures.requests_frame(scn, res)
st.markdown("**Requests** - select a row to highlight its chain on the map and in the timeline")
event = st.dataframe(
    frame, hide_index=True, on_select="rerun", selection_mode="single-row", key="rt_table", height=280,
    column_config={c: st.column_config.NumberColumn(format="%.3f") for c in frame.columns if "(s" in c} |
    {"chain (server [blocks))": st.column_config.TextColumn(width="large")})
rows = [i for i in (event["selection"]["rows"] if event is not None else []) if i < len(frame)]
highlight = int(frame.iloc[rows[0]]["request"]) if rows else None
if highlight is not None:
    rec = res.records[highlight]
    st.caption(f"Request {rec.r} from {rec.client}: {figures.chain_text(scn, res.placement, rec.path)}; "
               f"waited {rec.wait_ms / 1e3:.1f} s, took {rec.time_ms / 1e3:.1f} s "
               f"({rec.per_token_ms / 1e3:.3f} s/token).")

st.pydeck_chart(maps.chains_deck(scn, res.records, highlight=highlight, color_by=color_by), key="rt_map",
                height=420)

st.markdown("**Sessions per server** (each bar: one request on that server - grey while it waits for cache, "
            "coloured while it holds cache, until completion)")
st.plotly_chart(figures.session_gantt(scn, res, highlight), key="rt_gantt", config=figures.PLOTLY_CONFIG)
st.markdown("**Cache occupancy**")
st.plotly_chart(figures.occupancy_chart(scn, res), key="rt_occupancy", config=figures.PLOTLY_CONFIG)
