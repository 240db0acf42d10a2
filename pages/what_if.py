"""What-if / capacity: sweep one parameter over several seeds, plot each policy with a band, answer "the smallest
cluster that keeps per-token time under X s at rate Y", download the rows and charts; sweeps can be cancelled."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from core.api import DEFAULT_COMPARE
from core.errors import ScenarioError, SwarmscopeError
from core.policies import POLICIES
from core.sweep import SWEEP_PARAMS, aggregate, apply_value, run_sweep, smallest_cluster, to_csv
from ui import engine, figures, state
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py

MAX_SEEDS = 20

scn = state.scenario()
names = list(POLICIES)
w = scn.workload
J = len(scn.servers)

st.title("What-if / capacity")
st.caption(f"Scenario **{scn.name}** ({J} servers, {w.rate_per_s:g} requests/s, {w.n_requests} requests). "
           "A sweep changes one parameter of a copy of the scenario; the scenario itself is never changed, "
           "so cancelling a sweep loses nothing but the points not yet run.")


def _default_values(param: str) -> str:
    r = w.rate_per_s
    table = {"rate_per_s": [r / 4, r / 2, r, 2 * r, 4 * r], "l_out": [32, 64, 128, 256, 512],
             "R": [1, 2, 4, 8, 16, 32], "n_requests": [20, 50, 100, 200], "n_servers": list(range(1, J + 1)),
             "frac_strong": [0, 0.25, 0.5, 0.75, 1], "seed": list(range(w.seed, w.seed + 5))}
    return ", ".join(f"{v:g}" for v in table.get(param, [1, 2, 3]))


def _values(text: str, param: str) -> list:
    p = SWEEP_PARAMS[param]
    parts = [x.strip() for x in text.replace(";", ",").split(",") if x.strip()]
    if not parts:
        raise ScenarioError("values", f"give at least one {p.header()}, separated by commas")
    return [p.parse(x, scn) for x in parts]


def _seeds(n: int, param: str) -> list[int] | None:
    # one seed: the scenario as it is (its own arrivals); several: its seed and the next ones
    return None if n == 1 or param == "seed" else [w.seed + i for i in range(n)]


def _sweep(kind: str, base, param: str, values: list, seeds, policies: list[str], workers: int, extra: dict) -> None:
    """Run a sweep with a progress bar; keep its rows (all, or those done before a cancel) for this scenario."""
    bar = st.progress(0.0, text="Starting the sweep...")

    def job(progress, cancel):
        return run_sweep(base, param, values, seeds, policies, workers=workers, progress=progress, cancel=cancel)

    try:
        rows, stop = engine.run_interruptible(
            job, lambda f: bar.progress(f, text=f"{f:.0%} of the points done - press Cancel to stop"))
    except SwarmscopeError as e:
        bar.empty()
        st.error(str(e))
        return
    state.put_result("sweep", kind, {"rows": list(rows), "partial": rows.partial, "total": rows.total,
                                     "param": param, "policies": policies, **extra})
    if stop is not None:
        raise stop  # hand the stop back to Streamlit: the rows above are already kept
    bar.empty()


prefs = st.session_state.setdefault("what_if_prefs", {
    "param": "rate_per_s", "values": {}, "seeds": 3, "policies": [p for p in DEFAULT_COMPARE if p in POLICIES],
    "workers": 1, "metric": "avg_per_token_ms", "max_s": 2.0, "rate": w.rate_per_s})

params = list(SWEEP_PARAMS)
c1, c2 = st.columns([1, 2])
param = c1.selectbox("Parameter", params, index=params.index(prefs["param"]), key="wi_param",
                     format_func=lambda n: SWEEP_PARAMS[n].header(), help="; ".join(
                         f"{p.header()}: {p.help}" for p in SWEEP_PARAMS.values()))
values_text = c2.text_input(f"Values of {SWEEP_PARAMS[param].header()} (comma-separated)",
                            value=prefs["values"].get(param, _default_values(param)), key=f"wi_values_{param}",
                            help=SWEEP_PARAMS[param].help)
c3, c4, c5 = st.columns([3, 1, 1])
policies = c3.multiselect("Policies", names, default=[p for p in prefs["policies"] if p in names],
                          format_func=lambda n: POLICIES[n].label, key="wi_policies")
n_seeds = c4.number_input("Seeds", min_value=1, max_value=MAX_SEEDS, value=int(prefs["seeds"]), step=1, key="wi_seeds",
                          help="Every value runs once per seed (the scenario's seed and the next ones); the band "
                               "spans the smallest to the largest result over seeds.")
workers = c5.number_input("Processes", min_value=1, max_value=max(1, os.cpu_count() or 1), value=int(prefs["workers"]),
                          step=1, key="wi_workers", help="Local worker processes for the sweep's points.")
prefs.update(param=param, seeds=int(n_seeds), policies=list(policies), workers=int(workers))
prefs["values"][param] = values_text

b1, b2 = st.columns([1, 5])
run = b1.button("Run sweep", type="primary", key="run_sweep", icon=":material/play_arrow:", disabled=not policies)
if b2.button("Cancel", key="cancel_sweep", icon=":material/stop:", help="Stops a running sweep; the points "
             "already done are kept and the scenario is unchanged."):
    st.warning("Sweep cancelled; the points already done are kept below and the scenario is unchanged.")
if run:
    try:
        vals = _values(values_text, param)
    except SwarmscopeError as e:
        st.error(str(e))
    else:
        _sweep("sweep", scn, param, vals, _seeds(int(n_seeds), param), list(policies), int(workers), {})


def _downloads(fig, stem: str, key: str) -> None:
    cols = st.columns(3)
    cols[0].download_button("Chart as HTML", data=lambda: figures.to_html_bytes(fig), file_name=f"{stem}.html",
                            mime="text/html", key=f"{key}_html", on_click="ignore",
                            help="Interactive, self-contained (opens offline)")
    if figures.static_export_available():
        cols[1].download_button("Chart as PNG", data=lambda: figures.to_image_bytes(fig, "png"),
                                file_name=f"{stem}.png", mime="image/png", key=f"{key}_png", on_click="ignore")
        cols[2].download_button("Chart as SVG", data=lambda: figures.to_image_bytes(fig, "svg"),
                                file_name=f"{stem}.svg", mime="image/svg+xml", key=f"{key}_svg", on_click="ignore")
    else:
        cols[1].caption("PNG: use the camera button in the chart's toolbar (server-side PNG/SVG export needs the "
                        "kaleido package, which is not installed).")


out = state.get_result("sweep", "sweep")
if out is None:
    st.info("Choose a parameter, its values, seeds and policies, then press **Run sweep**.")
else:
    p = SWEEP_PARAMS[out["param"]]
    rows = out["rows"]
    if out["partial"]:
        st.warning(f"Partial sweep: {len(rows)} of {out['total']} points ran before it was cancelled.")
    metric = st.radio("Plot", list(figures.METRICS), horizontal=True, key="wi_metric",
                      index=list(figures.METRICS).index(prefs["metric"]),
                      format_func=lambda k: f"{figures.METRICS[k][0]} ({figures.METRICS[k][1]})")
    prefs["metric"] = metric
    fig = figures.sweep_chart(rows, metric, p.header(), out["policies"])
    st.plotly_chart(fig, key="wi_chart", config=figures.PLOTLY_CONFIG)
    errors = [r for r in rows if r["error"] is not None]
    if errors:
        st.error(f"{len(errors)} of {len(rows)} points were infeasible, e.g. {p.header()} = {errors[0]['value']}, "
                 f"{POLICIES[errors[0]['policy']].label if errors[0]['policy'] in POLICIES else errors[0]['policy']}: "
                 f"{errors[0]['error']}")
    agg = pd.DataFrame(aggregate(rows))
    if not agg.empty:
        show = pd.DataFrame({
            p.header(): agg["value"], "policy": [POLICIES[x].label if x in POLICIES else x for x in agg["policy"]],
            "seeds ok": [f"{a}/{b}" for a, b in zip(agg["n_ok"], agg["n_seeds"])],
            "mean per-token (s/token)": agg["mean_per_token_ms"] / 1e3,
            "min per-token (s/token)": agg["min_per_token_ms"] / 1e3,
            "max per-token (s/token)": agg["max_per_token_ms"] / 1e3,
            "mean TTFT (s)": agg["mean_ttft_ms"] / 1e3, "mean wait (s)": agg["mean_wait_ms"] / 1e3,
            "reduction vs PETALS (%)": agg["reduction_vs_petals"] * 100})
        st.dataframe(show, hide_index=True, key="wi_table",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in show.columns
                                    if "(s" in c} | {"reduction vs PETALS (%)": st.column_config.NumberColumn(
                                        format="%.1f %%")})
    st.download_button("Rows as CSV (times in ms)", data=to_csv(rows), file_name=f"sweep_{p.name}.csv",
                       mime="text/csv", key="wi_csv", on_click="ignore")
    _downloads(fig, f"sweep_{p.name}_{metric}", "wi_fig")

st.divider()
st.subheader("Smallest cluster for a target")
st.caption(f"Runs an n_servers sweep at the chosen rate: clusters made of the first N servers in scenario order "
           f"(N = 1..{J}), and reports, per policy, the smallest N whose mean per-token time over seeds is under "
           f"the target with every seed feasible.")
d1, d2 = st.columns(2)
max_s = d1.number_input("Per-token time under (s/token)", min_value=0.001, max_value=1000.0,
                        value=float(prefs["max_s"]), step=0.1, format="%.3f", key="wi_max_s")
rate = d2.number_input("At arrival rate (requests/s)", min_value=0.0001, max_value=1e6, value=float(prefs["rate"]),
                       step=0.05, format="%.4f", key="wi_rate")
prefs.update(max_s=float(max_s), rate=float(rate))
if st.button("Find smallest cluster", key="run_capacity", disabled=not policies):
    try:
        base = apply_value(scn, "rate_per_s", float(rate))
    except SwarmscopeError as e:
        st.error(str(e))
    else:
        _sweep("capacity", base, "n_servers", list(range(1, J + 1)), _seeds(int(n_seeds), "n_servers"),
               list(policies), int(workers), {"max_s": float(max_s), "rate": float(rate)})

cap = state.get_result("sweep", "capacity")
if cap is not None:
    if cap["partial"]:
        st.warning(f"Partial sweep: {len(cap['rows'])} of {cap['total']} points ran before it was cancelled; "
                   "the answer below uses only those.")
    try:
        best = smallest_cluster(cap["rows"], cap["max_s"], rate=cap["rate"]) if cap["rows"] else {}
    except SwarmscopeError as e:
        st.error(str(e))
        best = {}
    for pol, n in best.items():
        label = POLICIES[pol].label if pol in POLICIES else pol
        if n is None:
            st.markdown(f"- **{label}**: no cluster of 1 to {J} servers stays under {cap['max_s']:g} s/token "
                        f"at {cap['rate']:g} requests/s")
        else:
            names_kept = ", ".join(s.id for s in scn.servers[:n])
            st.markdown(f"- **{label}**: **{n} servers** ({names_kept}) keep the mean per-token time under "
                        f"{cap['max_s']:g} s/token at {cap['rate']:g} requests/s")
    cfig = figures.sweep_chart(cap["rows"], "avg_per_token_ms", SWEEP_PARAMS["n_servers"].header(), cap["policies"])
    cfig.add_hline(y=cap["max_s"], line_dash="dash", annotation_text=f"target {cap['max_s']:g} s/token")
    st.plotly_chart(cfig, key="wi_cap_chart", config=figures.PLOTLY_CONFIG)
    st.download_button("Rows as CSV (times in ms)", data=to_csv(cap["rows"]), file_name="capacity_n_servers.csv",
                       mime="text/csv", key="wi_cap_csv", on_click="ignore")
    _downloads(cfig, "capacity_n_servers", "wi_cap_fig")
