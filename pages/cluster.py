"""Cluster: the map editor. Place servers and clients by clicking the offline world map, edit them in tables
with GPU presets, set the RTT model, per-pair overrides, the model and the workload. Every edit goes through
ui.state.set_scenario (undoable); an invalid edit shows st.error and keeps the previous scenario."""
from __future__ import annotations

import zlib

import pandas as pd
import streamlit as st

from core import perf
from core.errors import SwarmscopeError
from core.presets import SOURCE_BPRR
from ui import edits, maps, state, widgets
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py

_K_NONCE = "cluster_nonce"  # bumped to reset the map selection and the tables after a committed edit
_K_KEYS = "cluster_keys"    # the current widget keys, so tests can inject a map selection or a table edit


def _bump() -> None:
    st.session_state[_K_NONCE] = st.session_state.get(_K_NONCE, 0) + 1


def commit(build, what: str) -> str | None:
    """Build a new scenario with `build()` and install it; on a SwarmscopeError keep the old one, return the message."""
    try:
        new = build()
    except SwarmscopeError as e:
        return f"Edit not applied, the scenario is unchanged. {e}"
    state.set_scenario(new, what)
    return None


def commit_or_show(build, what: str) -> None:
    """In the script body: commit and rerun, or show the error right here."""
    err = commit(build, what)
    if err:
        st.error(err)
    else:
        st.rerun()


def add_from_pick(sig: str) -> None:
    """Button callback: add the picked site as a server or client with the values in the add form."""
    ss = st.session_state
    kind, name = ss[f"add_kind_{sig}"], ss[f"add_name_{sig}"]
    lat, lon = ss[f"add_lat_{sig}"], ss[f"add_lon_{sig}"]
    scn = state.scenario()
    if kind == "Server":
        gpu = ss[f"add_gpu_{sig}"]
        err = commit(lambda: edits.add_server(scn, name, lat, lon, gpu), f"add server {name} ({gpu})")
    else:
        share = ss[f"add_share_{sig}"]
        err = commit(lambda: edits.add_client(scn, name, lat, lon, share), f"add client {name}")
    if err:
        widgets.flash(err, "error")
    else:
        widgets.flash(f"Added {kind.lower()} {name} at {maps.fmt_latlon(lat, lon)}.")
        _bump()


def remove_picked(node_id: str, name: str) -> None:
    """Button callback: remove a server or client."""
    scn = state.scenario()
    err = commit(lambda: edits.remove_node(scn, node_id), f"remove {name} ({node_id})")
    if err:
        widgets.flash(err, "error")
    else:
        widgets.flash(f"Removed {name} ({node_id}).")
        _bump()


def table_edit(kind: str, key: str, apply) -> None:
    """Commit a pending data_editor edit (its state in session_state[key]); on error show it and keep the table."""
    delta = st.session_state.get(key)
    if edits.delta_is_empty(delta):
        return
    scn = state.scenario()
    ids = [x.id for x in (scn.servers if kind == "servers" else scn.clients)]
    try:
        new = apply(scn, delta)
    except SwarmscopeError as e:
        st.error(f"Edit not applied, the scenario is unchanged. {e}")
        st.button("Discard table edits", key=f"discard_{key}", on_click=_bump)
        return
    state.set_scenario(new, edits.describe_delta(kind, delta, ids))
    _bump()
    st.rerun()


widgets.scenario_sidebar()
scn = state.scenario()
presets = edits.gpu_presets(scn.model)
nonce = st.session_state.setdefault(_K_NONCE, 0)
ver = zlib.crc32(state.scenario_json().encode("utf-8"))  # form widgets re-initialise when the scenario changes
keys = {"map": f"cluster_map_{nonce}", "servers": f"servers_editor_{nonce}", "clients": f"clients_editor_{nonce}",
        "rtt": f"rtt_editor_{nonce}"}
st.session_state[_K_KEYS] = keys

st.title("Cluster map editor")
st.caption("Click a grey city dot or anywhere on the map to pick a site, then add a server or client there. "
           "Click a server or client to see its round-trip times. Edit or remove rows in the tables below; "
           "every change can be undone from the sidebar.")
widgets.show_flash()

# ----------------------------------------------------------------------------- map and selection panel
pick = maps.picked(st.session_state.get(keys["map"]))
selected = pick["id"] if pick and pick["kind"] in ("server", "client") else None
site = (pick["lat"], pick["lon"]) if pick and pick["kind"] in ("city", "grid") else None
map_col, side = st.columns([3, 2])
with map_col:
    st.pydeck_chart(maps.cluster_deck(scn, selected=selected, pick=site), on_select="rerun",
                    selection_mode="single-object", key=keys["map"], height=470)
    st.markdown(maps.legend_html(scn), unsafe_allow_html=True)
    st.caption("Marker area grows with GPU memory. Red lines: raw RTT (ms) from the selected node to the nodes "
               "it exchanges tokens with (hub-spoke: every hop is a client-server round trip).")

with side:
    if pick is None:
        st.info("Nothing picked yet. Click a city (grey dot) or any spot on the map to add a server or client "
                "there; click a server or client to see its links.")
    elif pick["kind"] in ("server", "client"):
        node = next((x for x in (*scn.servers, *scn.clients) if x.id == pick["id"]), None)
        if node is None:
            st.info("The picked node is no longer in the scenario.")
        else:
            st.markdown(f"**{pick['kind'].title()} {node.name}** ({node.id}), {maps.fmt_latlon(node.lat, node.lon)}")
            if pick["kind"] == "server":
                ti = perf.value_at(node.tau_in_ms, scn.workload.l_in)
                st.caption(f"{node.gpu}: {node.memory_gb:g} GB, tau {node.tau_ms:g} ms/block/token, tau_in "
                           f"{ti:.2f} ms/block at l_in = {scn.workload.l_in} tokens"
                           + (f", at most {node.max_blocks} blocks" if node.max_blocks else ""))
            rows = maps.rtt_rows(scn, node.id)
            st.dataframe(pd.DataFrame(rows, columns=["name", "kind", "distance_km", "raw_rtt_ms",
                                                     "per_token_rtt_ms", "prefill_rtt_ms", "source"]),
                         hide_index=True, key="rtt_from_selected",
                         column_config={
                             "distance_km": st.column_config.NumberColumn("distance (km)", format="%.0f"),
                             "raw_rtt_ms": st.column_config.NumberColumn("raw RTT (ms)", format="%.1f"),
                             "per_token_rtt_ms": st.column_config.NumberColumn(
                                 "per-token RTT t (ms)", format="%.1f", help="raw RTT + per-token overhead"),
                             "prefill_rtt_ms": st.column_config.NumberColumn(
                                 "prefill RTT t_in (ms)", format="%.1f", help="raw RTT + prefill overhead at l_in")})
            st.button(f"Remove {node.name}", key="remove_picked", on_click=remove_picked, args=(node.id, node.name),
                      icon=":material/delete:")
    else:
        sig = f"{pick['lat']:.3f}_{pick['lon']:.3f}".replace("-", "m").replace(".", "p")
        st.markdown(f"**Picked {pick['name']}** ({maps.fmt_latlon(pick['lat'], pick['lon'])})")
        if pick["kind"] == "grid":
            st.caption(f"Centre of a {maps.GRID_STEP_DEG:g}° map cell; refine the position below.")
        kind = st.radio("Add as", ["Server", "Client"], key=f"add_kind_{sig}", horizontal=True)
        st.text_input("Name", value=pick["name"], key=f"add_name_{sig}")
        a, b = st.columns(2)
        a.number_input("Latitude (°)", -90.0, 90.0, value=round(pick["lat"], 3), step=0.1, format="%.3f",
                       key=f"add_lat_{sig}")
        b.number_input("Longitude (°)", -180.0, 180.0, value=round(pick["lon"], 3), step=0.1, format="%.3f",
                       key=f"add_lon_{sig}")
        if kind == "Server":
            labels = list(presets)
            gpu = st.selectbox("GPU preset", labels, key=f"add_gpu_{sig}",
                               format_func=lambda g: f"{presets[g]['title']} ({presets[g]['memory_gb']:g} GB"
                                                     f"{', estimated' if presets[g]['estimated'] else ''})")
            p = presets[gpu]
            st.caption(f"Fills memory {p['memory_gb']:g} GB, tau {p['tau_ms']:g} ms/block/token, tau_in "
                       f"{perf.value_at(p['tau_in_ms'], scn.workload.l_in):.2f} ms/block at l_in = "
                       f"{scn.workload.l_in} tokens. Source: {p['source']}. Edit them in the table afterwards.")
        else:
            st.number_input("Load share", min_value=0.01, value=1.0, step=0.5, key=f"add_share_{sig}",
                            help="Relative share of the requests (normalised over all clients)")
        st.button(f"Add {kind.lower()} here", key="add_picked", type="primary", on_click=add_from_pick, args=(sig,),
                  icon=":material/add_location:")

# ----------------------------------------------------------------------------- tables and settings
t_servers, t_clients, t_net, t_model = st.tabs(["Servers", "Clients", "Network (RTT)", "Model & workload"])

with t_servers:
    gpu_options = list(dict.fromkeys([*presets, *(s.gpu for s in scn.servers)]))
    st.data_editor(
        pd.DataFrame(edits.servers_table(scn), columns=list(edits.SERVER_COLUMNS)), key=keys["servers"],
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "id": st.column_config.TextColumn("id", help="Unique id (new rows get the next free sN)"),
            "name": st.column_config.TextColumn("name"),
            "lat": st.column_config.NumberColumn("lat (°)", min_value=-90.0, max_value=90.0, format="%.2f"),
            "lon": st.column_config.NumberColumn("lon (°)", min_value=-180.0, max_value=180.0, format="%.2f"),
            "gpu": st.column_config.SelectboxColumn("GPU", options=gpu_options,
                                                    help="Choosing a preset fills memory, tau and tau_in"),
            "memory_gb": st.column_config.NumberColumn("memory (GB)", min_value=0.0, format="%.2f"),
            "tau_ms": st.column_config.NumberColumn("tau (ms/block/token)", min_value=0.0, format="%.4f",
                                                    help="Decode time per block per token"),
            "tau_in_per_token_ms": st.column_config.NumberColumn(
                "tau_in slope (ms/block/input token)", min_value=0.0, format="%.4f"),
            "tau_in_fixed_ms": st.column_config.NumberColumn("tau_in fixed (ms/block)", min_value=0.0,
                                                             format="%.4f"),
            "max_blocks": st.column_config.NumberColumn("max blocks", min_value=1, step=1,
                                                        help="Cap on the blocks this server may host (blank: none)"),
            "forward_rps": st.column_config.NumberColumn("PETALS forward (tok/s)", min_value=0.0, format="%.1f"),
            "network_rps": st.column_config.NumberColumn("PETALS network (tok/s)", min_value=0.0, format="%.1f"),
        })
    table_edit("servers", keys["servers"], lambda s, d: edits.apply_servers_delta(s, d, presets))
    st.caption("tau_in (prefill time per block) = slope × l_in + fixed. Choosing a preset GPU fills memory, tau, "
               "tau_in, the block cap and PETALS' throughputs; edit them afterwards if your hardware differs.")
    with st.expander("GPU presets and where their numbers come from"):
        st.dataframe(pd.DataFrame([{
            "GPU": label, "name": p["title"], "memory (GB)": p["memory_gb"], "tau (ms/block/token)": p["tau_ms"],
            f"tau_in at l_in = {scn.workload.l_in} (ms/block)": perf.value_at(p["tau_in_ms"], scn.workload.l_in),
            "max blocks": p["max_blocks"], "kind": "estimated" if p["estimated"] else "measured",
            "source": p["source"]} for label, p in presets.items()]), hide_index=True, key="preset_table")

with t_clients:
    st.data_editor(
        pd.DataFrame(edits.clients_table(scn), columns=list(edits.CLIENT_COLUMNS)), key=keys["clients"],
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "id": st.column_config.TextColumn("id", help="Unique id (new rows get the next free cN)"),
            "lat": st.column_config.NumberColumn("lat (°)", min_value=-90.0, max_value=90.0, format="%.2f"),
            "lon": st.column_config.NumberColumn("lon (°)", min_value=-180.0, max_value=180.0, format="%.2f"),
            "share": st.column_config.NumberColumn("load share", min_value=0.0, format="%.3f",
                                                   help="Relative share of the requests, normalised over clients"),
        })
    table_edit("clients", keys["clients"], edits.apply_clients_delta)
    total_share = sum(c.share for c in scn.clients)
    st.caption("Load: " + ", ".join(f"{c.name} {100 * c.share / total_share:.0f} %" for c in scn.clients)
               + f" of {scn.workload.rate_per_s:g} req/s.")

with t_net:
    n = scn.network
    src = edits.delay_sources()
    pre = n.prefill_overhead_ms
    pre_per, pre_fixed = (pre.per_token, pre.fixed) if hasattr(pre, "per_token") else (0.0, float(pre))
    with st.form(f"network_form_{ver}"):
        st.markdown("**RTT model:** raw RTT = 2 × great-circle distance / fibre speed × route inflation + base")
        a, b, c = st.columns(3)
        km = a.number_input("Fibre speed (km/ms)", min_value=1.0, value=float(n.km_per_ms), step=10.0,
                            key=f"net_km_{ver}", help="Light in fibre covers about 200 km per ms")
        infl = b.number_input("Route inflation (×)", min_value=1.0, max_value=10.0, value=float(n.inflation),
                              step=0.05, key=f"net_infl_{ver}", help="Real routes are longer than great circles")
        base = c.number_input("Base RTT (ms)", min_value=0.0, value=float(n.base_ms), step=0.5, key=f"net_base_{ver}",
                              help="Added to every pair (switching, last mile)")
        st.markdown("**Overheads** (turn a raw RTT into the per-token and prefill hop times of SPEC 2.1)")
        a, b, c = st.columns(3)
        ovh = a.number_input("Per-token overhead (ms)", min_value=0.0, value=float(n.per_token_overhead_ms),
                             step=1.0, key=f"net_ovh_{ver}",
                             help=f"Paper value {src['per_token_overhead_ms'][0]:g} ms; source: "
                                  f"{src['per_token_overhead_ms'][1]}")
        p_per = b.number_input("Prefill overhead slope (ms/input token)", min_value=0.0, value=float(pre_per),
                               step=0.01, format="%.4f", key=f"net_pre_per_{ver}",
                               help=f"Paper: {src['prefill_overhead_ms'][1]}")
        p_fixed = c.number_input("Prefill overhead fixed (ms)", min_value=0.0, value=float(pre_fixed), step=1.0,
                                 key=f"net_pre_fixed_{ver}", help=f"Paper: {src['prefill_overhead_ms'][1]}")
        st.caption(f"Calibrated values: per-token overhead {src['per_token_overhead_ms'][0]:g} ms and prefill "
                   f"overhead 0.7049 ms/token × l_in + 67 ms, from {SOURCE_BPRR}.")
        if st.form_submit_button("Apply network settings"):
            commit_or_show(lambda: edits.set_network(scn, km_per_ms=km, inflation=infl, base_ms=base,
                                                     per_token_overhead_ms=ovh, prefill_per_token_ms=p_per,
                                                     prefill_fixed_ms=p_fixed), "network settings")
    st.markdown("**Per-pair raw RTT overrides (ms)** replace the geography model for a server-client or "
                "server-server pair (symmetric).")
    ids = [x.id for x in (*scn.servers, *scn.clients)]
    st.data_editor(pd.DataFrame(edits.rtt_table(scn), columns=list(edits.RTT_COLUMNS)), key=keys["rtt"],
                   num_rows="dynamic", hide_index=True,
                   column_config={"a": st.column_config.SelectboxColumn("from", options=ids),
                                  "b": st.column_config.SelectboxColumn("to", options=ids),
                                  "rtt_ms": st.column_config.NumberColumn("raw RTT (ms)", min_value=0.0,
                                                                          format="%.2f")})
    rtt_state = st.session_state.get(keys["rtt"])
    if not edits.delta_is_empty(rtt_state):
        rows = edits.rtt_table(scn)
        for i, cells in (rtt_state.get("edited_rows") or {}).items():
            rows[int(i)].update(cells)
        rows += list(rtt_state.get("added_rows") or [])
        dead = {int(i) for i in rtt_state.get("deleted_rows") or []}
        rows = [r for i, r in enumerate(rows) if i not in dead]
        try:
            new = edits.set_rtt_overrides(scn, rows)
        except SwarmscopeError as e:
            st.error(f"Edit not applied, the scenario is unchanged. {e}")
            st.button("Discard override edits", key="discard_rtt", on_click=_bump)
        else:
            state.set_scenario(new, "RTT overrides")
            _bump()
            st.rerun()
    d = perf.derive(scn)
    st.markdown("**Per-token RTT t (ms)** from each client (rows) to each server (columns): raw RTT + "
                f"{n.per_token_overhead_ms:g} ms overhead")
    st.dataframe(pd.DataFrame([[round(v, 1) for v in row] for row in d.t],
                              index=[c.name for c in scn.clients], columns=[s.name for s in scn.servers]),
                 key="t_matrix")

with t_model:
    m, w = scn.model, scn.workload
    mp = edits.model_presets()
    st.markdown(f"**Model:** {m.name}, {m.n_blocks} blocks; one block takes {perf.block_gb(m):.4f} GB; its "
                f"KV cache takes {perf.cache_gb(m, w.l_in, w.l_out):.6f} GB per session of "
                f"{w.l_in + w.l_out} tokens.")
    a, q, b = st.columns([2, 1, 1])
    options = list(mp)
    preset_choice = a.selectbox("Model preset", options, index=options.index(m.preset) if m.preset in mp else 0,
                                key=f"model_preset_{ver}", format_func=lambda k: mp[k].name)
    quants = edits.quantisations(preset_choice)
    cur = edits.catalog_model(m)
    quant = q.selectbox("Quantisation", list(quants) or ["as preset"], key=f"model_quant_{ver}",
                        index=list(quants).index(cur[1]) if cur and cur[0] == preset_choice else 0,
                        format_func=lambda x: f"{x} ({quants[x]:g} bits)" if x in quants else x)
    same = cur == (preset_choice, quant) or (m.preset == preset_choice and not quants)
    if b.button("Use this model", key="use_model_preset", disabled=same):
        commit_or_show(lambda: edits.set_model_preset(scn, preset_choice, quant if quants else None),
                       f"model {preset_choice} {quant if quants else ''}".strip())
    if edits.model_source(m.preset):
        st.caption(f"Architecture of {m.name}: {edits.model_source(m.preset)}.")
    st.caption("Changing the model keeps the servers' tau and tau_in; re-pick their GPU in the Servers table to "
               "refill them for the new model. Bits per parameter as PETALS counts them (NF4 = 4.25 with scales).")
    with st.form(f"model_form_{ver}"):
        st.markdown("**Custom model** (changing a field leaves the preset)")
        a, b, c = st.columns(3)
        nb = a.number_input("Blocks L", min_value=1, max_value=10_000, value=int(m.n_blocks), key=f"m_nb_{ver}")
        dm = b.number_input("Hidden size d_model", min_value=1, value=int(m.d_model), key=f"m_dm_{ver}")
        ppb = c.number_input("Parameters per block", min_value=1.0, value=float(m.params_per_block), step=1e6,
                             format="%.0f", key=f"m_ppb_{ver}")
        a, b, c = st.columns(3)
        bits = a.number_input("Bits per parameter", min_value=0.5, max_value=64.0, value=float(m.bits_per_param),
                              step=0.25, key=f"m_bits_{ver}")
        kvb = b.number_input("KV bytes per value", min_value=0.5, max_value=8.0, value=float(m.kv_bytes), step=0.5,
                             key=f"m_kvb_{ver}")
        kvg = c.number_input("KV groups (GQA)", min_value=1, max_value=1024, value=int(m.kv_groups),
                             key=f"m_kvg_{ver}")
        if st.form_submit_button("Apply model"):
            commit_or_show(lambda: edits.set_model(scn, n_blocks=int(nb), d_model=int(dm),
                                                   params_per_block=float(ppb), bits_per_param=float(bits),
                                                   kv_bytes=float(kvb), kv_groups=int(kvg)), "model")
    with st.form(f"workload_form_{ver}"):
        st.markdown("**Workload**")
        a, b, c, d_, e = st.columns(5)
        rate = a.number_input("Arrival rate (req/s)", min_value=0.0001, value=float(w.rate_per_s), step=0.05,
                              format="%.4f", key=f"w_rate_{ver}")
        nreq = b.number_input("Requests", min_value=1, max_value=1_000_000, value=int(w.n_requests),
                              key=f"w_n_{ver}")
        lin = c.number_input("Input l_in (tokens)", min_value=1, value=int(w.l_in), key=f"w_lin_{ver}")
        lout = d_.number_input("Output l_out (tokens)", min_value=1, value=int(w.l_out), key=f"w_lout_{ver}")
        seed = e.number_input("Seed", min_value=0, value=int(w.seed), key=f"w_seed_{ver}")
        if w.arrivals_ms is not None or w.inter_arrivals_ms is not None:
            st.caption("This scenario lists explicit arrival times; the rate is then not used.")
        if st.form_submit_button("Apply workload"):
            commit_or_show(lambda: edits.set_workload(scn, rate_per_s=float(rate), n_requests=int(nreq),
                                                      l_in=int(lin), l_out=int(lout), seed=int(seed)), "workload")
    with st.form(f"name_form_{ver}"):
        name = st.text_input("Scenario name", value=scn.name, key=f"s_name_{ver}")
        desc = st.text_area("Description", value=scn.description, key=f"s_desc_{ver}", height=68)
        if st.form_submit_button("Apply name"):
            commit_or_show(lambda: edits.set_name(scn, name, desc), "rename scenario")
