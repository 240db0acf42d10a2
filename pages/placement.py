"""Placement: two placement algorithms side by side - block spans, per-block capacity, the map, CG-BP's internals."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import scenario as scn_mod
from core.errors import SwarmscopeError
from core.placement import PLACERS
from ui import engine, figures, maps, state
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py


SIDES = ("A", "B")
DEFAULTS = {"A": "cgbp", "B": "petals"}

scn = state.scenario()
scn_json = state.scenario_json()
names = list(PLACERS)

st.title("Placement")
st.caption(f"Scenario **{scn.name}**: {scn.model.n_blocks} blocks of {scn.model.name} on {len(scn.servers)} "
           f"servers. Blocks are numbered from 0; a span [start, end) holds blocks start to end - 1.")

# Widget keys vanish when another page is shown, so the choices live in a plain session key as well.
prefs = st.session_state.setdefault("placement_prefs", {
    side: {"algorithm": DEFAULTS[side] if DEFAULTS[side] in PLACERS else names[0], "auto": scn.policy.R is None,
           "R": scn.policy.R or 8, "milp_s": scn.policy.milp_time_limit_s} for side in SIDES})

settings: dict[str, dict] = {}
cols = st.columns(2)
for side, col in zip(SIDES, cols):
    p = prefs[side]
    with col:
        alg = st.selectbox(f"Placement {side}", names, index=names.index(p["algorithm"]) if p["algorithm"] in names
                           else 0, format_func=lambda n: PLACERS[n].label, key=f"pl_alg_{side}",
                           help="Every registered placement algorithm; its source: " + "; ".join(
                               f"{x.label}: {x.source}" for x in PLACERS.values()))
        auto = st.toggle("|R| from the arrival rate", value=p["auto"], key=f"pl_auto_{side}",
                         help="SPEC 3.2: |R| = round(x + sqrt(x)) with x = arrival rate x one request's time, "
                              "capped at R_max. Off: place for a fixed number of concurrent requests. "
                              "Used by CG-BP and by the PETALS ablations that borrow CG-BP's results.")
        R = st.number_input("|R| (concurrent requests)", min_value=1, max_value=1_000_000, value=int(p["R"]),
                            step=1, key=f"pl_R_{side}", disabled=auto)
        milp_s = p["milp_s"]
        if "milp" in alg:
            milp_s = st.number_input("MILP time limit (s)", min_value=1.0, max_value=3600.0, value=float(p["milp_s"]),
                                     step=5.0, key=f"pl_milp_{side}")
    prefs[side] = {"algorithm": alg, "auto": auto, "R": int(R), "milp_s": float(milp_s)}
    settings[side] = {"algorithm": alg, "R": None if auto else int(R), "milp_time_limit_s": float(milp_s)}


def _run() -> None:
    for side in SIDES:
        s = settings[side]
        try:
            text = engine.with_policy(scn_json, R=s["R"], milp_time_limit_s=s["milp_time_limit_s"])
            out = dict(s, placement=engine.place(text, s["algorithm"]))
        except SwarmscopeError as e:
            out = dict(s, error=str(e))
        state.put_result("placement", side, out)


if st.button("Run placement", type="primary", key="run_placement", icon=":material/play_arrow:"):
    with st.spinner("Placing blocks..."):
        _run()


def _header(side: str, res: dict) -> None:
    label = PLACERS[res["algorithm"]].label if res["algorithm"] in PLACERS else res["algorithm"]
    R_text = "|R| from the arrival rate" if res["R"] is None else f"|R| = {res['R']} requests"
    st.subheader(f"{side}: {label}")
    st.caption(R_text + (f", MILP limit {res['milp_time_limit_s']:g} s" if "milp" in res["algorithm"] else ""))
    if "error" in res:
        st.error(res["error"])


def _metrics(p) -> None:
    info = p.info
    holders = sum(1 for m in p.blocks if m > 0)
    # units sit in the labels where a value with its unit would not fit half a page
    shown = [("servers used", f"{holders} of {len(scn.servers)}", None),
             ("min sessions per block (requests)", f"{min(figures.block_sessions(p, scn.model.n_blocks))}",
              "Requests every block can serve at once: the sum over the servers holding it"),
             ("cache slots (block-sessions)", f"{sum(p.cache_slots)}",
              "One slot holds the KV cache of one block for one request")]
    if "K" in info:
        why = ("given" if info["R_source"] == "given" else "from the arrival rate" if "R_rule" not in info else
               f"the arrival rate asks for {info['R_rule']}; the largest |R| CG-BP can place is {info['R']}")
        shown += [("|R| placed for (requests)", f"{info['R']}", f"R_max = {info['R_max']} requests ({why})"),
                  ("K (servers to cover |R|)", f"{info['K']}", None),
                  ("Theorem-2 bound (ms/token)", f"{info['bound_ms']:.1f}",
                   "[BPRR] Theorem 2: decode time per token of a request on CG-BP's placement is at most this "
                   "(network + compute of the K first servers in CG-BP's order)")]
    elif "objective_ms" in info:  # an exact solver's report (SPEC 5): status, objective, bound and gap
        shown.append(("solver status", str(info.get("status")), f"{info.get('solver', '')}, "
                      f"{info.get('solve_time_s', 0):.1f} s of a {info.get('time_limit_s', 0):g} s limit"))
        if info.get("per_token_ms") is not None:
            shown.append(("per-token time, objective (ms/token)", f"{info['per_token_ms']:.1f}", None))
        if info.get("gap") is not None:
            shown.append(("optimality gap (%)", f"{100 * info['gap']:.2f}", None))
    for i in range(0, len(shown), 2):  # two per row: side-by-side columns are too narrow for three
        for col, (label, value, hint) in zip(st.columns(2), shown[i:i + 2]):
            col.metric(label, value, help=hint)


def _details(side: str, res: dict) -> None:
    p = res["placement"]
    info = p.info
    ids = scn.server_ids
    if "K" in info:
        order = info["order"]
        st.caption("CG-BP order (increasing t~): " + " → ".join(order))
        tt = info["t_tilde_ms"]
        st.dataframe(pd.DataFrame({
            "order": list(range(1, len(order) + 1)), "server": order,
            "t~ (ms/token per block)": [tt[ids.index(s)] for s in order],
            "blocks m (blocks)": [p.blocks[ids.index(s)] for s in order],
            "max sessions (requests)": [info["max_sessions"][ids.index(s)] for s in order]}),
            hide_index=True, key=f"pl_order_{side}")
    elif info.get("cgbprr_objective_ms") and info.get("objective_ms"):
        rel = info["cgbprr_objective_ms"] / info["objective_ms"] - 1
        bound = info.get("best_bound_ms")
        st.caption(f"Objective {info['objective_ms'] / 1e3:,.1f} s (summed over the |R| = {info.get('R')} "
                   f"requests)" + (f", best bound {bound / 1e3:,.1f} s" if bound is not None else "") +
                   f"; CG-BPRR on the same problem: {info['cgbprr_objective_ms'] / 1e3:,.1f} s "
                   f"({100 * rel:+.2f} % vs the MILP).")
    elif "join_order" in info:
        st.caption("PETALS join order: " + " → ".join(info["join_order"]))
    with st.expander("Per-server table"):
        st.dataframe(figures.placement_frame(scn, p), hide_index=True, key=f"pl_table_{side}")
    if res["R"] is not None and res["R"] != scn.policy.R:
        st.button(f"Use |R| = {res['R']} for simulations", key=f"pl_keepR_{side}", on_click=_keep_R,
                  args=(res["R"],), help="Writes |R| into the scenario (undo on the Cluster page)")


def _row(draw) -> None:
    """One row of the comparison: `draw(side, result)` in each column whose placement succeeded."""
    for side, col in zip(SIDES, st.columns(2)):
        res = results[side]
        if res is not None and "placement" in res:
            with col:
                draw(side, res)


def _keep_R(R: int) -> None:
    state.set_scenario(scn_mod.loads(engine.with_policy(state.scenario_json(), R=R)), f"Set |R| = {R}")


results = {side: state.get_result("placement", side) for side in SIDES}
if not any(results.values()):
    st.info("Choose two placements and press **Run placement**.")
else:
    # row by row, so that the two sides' charts line up
    for side, col in zip(SIDES, st.columns(2)):
        if results[side] is not None:
            with col:
                _header(side, results[side])
    _row(lambda side, res: _metrics(res["placement"]))
    st.markdown("**Block spans** (blocks on x, servers on y, coloured by GPU)")
    _row(lambda side, res: st.plotly_chart(figures.span_chart(scn, res["placement"]), key=f"pl_spans_{side}",
                                           config=figures.PLOTLY_CONFIG))
    st.markdown("**Sessions per block** against |R| (a request needs one session on every block)")
    _row(lambda side, res: st.plotly_chart(figures.capacity_chart(scn, res["placement"], res["placement"].info.get(
        "R")), key=f"pl_cap_{side}", config=figures.PLOTLY_CONFIG))
    st.markdown("**Map** (each server labelled with its span)")
    _row(lambda side, res: st.pydeck_chart(maps.cluster_deck(scn, spans=list(zip(res["placement"].start,
                                                                                  res["placement"].end)),
                                                             candidates=False), key=f"pl_map_{side}", height=340))
    _row(_details)
