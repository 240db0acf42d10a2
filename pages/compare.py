"""Simulate & compare: the chosen policies on the same arrivals over several seeds - bars with spread, CDFs,
the reduction vs PETALS, where the time goes, and every calibrated constant with its source."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.api import DEFAULT_COMPARE
from core.breakdown import PARTS
from core.errors import SwarmscopeError
from core.policies import POLICIES
from core.presets import PAPER_DELAYS, PAPER_GPUS
from core.scenario import Linear
from ui import engine, figures, state
from ui.entry import through_app

through_app()  # a bookmark to this page on a just-started server: see ui/entry.py

MAX_SEEDS = 20

scn = state.scenario()
scn_json = state.scenario_json()
names = list(POLICIES)

st.title("Simulate & compare")
st.caption(f"Scenario **{scn.name}**: every policy runs on the same arrivals. Seed 1 is the scenario as it is "
           f"(workload seed {scn.workload.seed}); further seeds redraw the Poisson arrivals, the clients and "
           f"PETALS' join order from seeds {scn.workload.seed + 1}, {scn.workload.seed + 2}, ...")

prefs = st.session_state.setdefault("compare_prefs", {
    "policies": [p for p in DEFAULT_COMPARE if p in POLICIES], "seeds": 3, "cdf": "avg_per_token_ms"})
c1, c2 = st.columns([3, 1])
chosen = c1.multiselect("Policies", names, default=[p for p in prefs["policies"] if p in names],
                        format_func=lambda n: POLICIES[n].label, key="cmp_policies")
n_seeds = c2.number_input("Seeds", min_value=1, max_value=MAX_SEEDS, value=int(prefs["seeds"]), step=1,
                          key="cmp_seeds", help="Each policy runs once per seed; bars show the mean over seeds "
                                                "and whiskers the smallest and largest.")
prefs.update(policies=list(chosen), seeds=int(n_seeds))


def _run(policies: list[str], seeds: int) -> dict:
    runs, errors = [], {}
    samples = {k: {p: [] for p in policies} for k in ("per_token", "ttft", "wait")}
    parts_sum: dict[str, dict[str, float]] = {}
    bar = st.progress(0.0, text="Simulating...")
    total, done = seeds * len(policies), 0
    for i in range(seeds):
        try:
            text = engine.seed_variant(scn_json, i)
        except SwarmscopeError as e:
            errors["(seeds)"] = str(e)
            break
        seed = scn.workload.seed + i
        for pol in policies:
            try:
                res = engine.simulate(text, pol)
            except SwarmscopeError as e:
                runs.append({"policy": pol, "seed": seed, "error": str(e)})
                errors.setdefault(pol, str(e))
            else:
                runs.append({"policy": pol, "seed": seed, **res.summary, "error": None})
                samples["per_token"][pol] += [x.per_token_ms / 1e3 for x in res.records]
                samples["ttft"][pol] += [x.ttft_ms / 1e3 for x in res.records]
                samples["wait"][pol] += [x.wait_ms / 1e3 for x in res.records]
                acc = parts_sum.setdefault(pol, {k: 0.0 for k, _ in PARTS} | {"_n": 0})
                for k, v in engine.per_token_parts(text, pol).items():
                    acc[k] += v
                acc["_n"] += 1
                if i == 0:  # the scenario's own seed: the Routing page can show this very run
                    state.put_result("sim", pol, res)
            done += 1
            bar.progress(done / total, text=f"Simulated {done} of {total} runs")
    bar.empty()
    parts = {p: {k: v / acc["_n"] for k, v in acc.items() if k != "_n"} for p, acc in parts_sum.items()}
    return {"policies": policies, "seeds": seeds, "runs": runs, "samples": samples, "parts": parts,
            "errors": errors}


if st.button("Run comparison", type="primary", key="run_compare", icon=":material/play_arrow:",
             disabled=not chosen):
    state.put_result("compare", "last", _run(list(chosen), int(n_seeds)))
if not chosen:
    st.warning("Choose at least one policy.")

out = state.get_result("compare", "last")
if out is None:
    st.info("Choose policies and seeds, then press **Run comparison**.")
else:
    pols = out["policies"]
    for pol, msg in out["errors"].items():
        st.error(f"{POLICIES[pol].label if pol in POLICIES else pol}: {msg}")
    ok = [p for p in pols if p in out["parts"]]
    if ok:
        st.subheader("Summary")
        st.caption(f"Mean over {out['seeds']} seed(s); spread = largest minus smallest over seeds.")
        table = figures.summary_table(out["runs"], ok)
        st.dataframe(table, hide_index=True, key="cmp_summary",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns
                                    if "(" in c and "requests" not in c and "%" not in c} |
                     {c: st.column_config.NumberColumn(format="%.1f %%") for c in table.columns if "%" in c})
        st.plotly_chart(figures.metric_bars(out["runs"], ok), key="cmp_bars", config=figures.PLOTLY_CONFIG)

        left, right = st.columns(2)
        with left:
            st.markdown("**Distribution over requests** (all seeds pooled)")
            which = st.radio("Quantity", ["per_token", "ttft", "wait"], horizontal=True, key="cmp_cdf",
                             format_func={"per_token": "per-token time", "ttft": "time to first token",
                                          "wait": "wait for cache"}.get)
            unit = {"per_token": "per-token time (s/token)", "ttft": "time to first token (s)",
                    "wait": "wait for cache (s)"}[which]
            st.plotly_chart(figures.cdf_chart({p: out["samples"][which][p] for p in ok}, unit), key="cmp_cdf_fig",
                            config=figures.PLOTLY_CONFIG)
        with right:
            st.markdown("**Reduction of the mean per-token time vs PETALS** (same seed, same arrivals)")
            st.plotly_chart(figures.reduction_chart(out["runs"], ok), key="cmp_reduction",
                            config=figures.PLOTLY_CONFIG)

        st.subheader("Where the time goes")
        st.caption("Each policy's mean per-token time split into the terms of the performance model (SPEC 2.1), "
                   "averaged over seeds; the bar's length is the mean per-token time.")
        st.plotly_chart(figures.breakdown_chart({p: out["parts"][p] for p in ok}), key="cmp_breakdown",
                        config=figures.PLOTLY_CONFIG)
        st.dataframe(pd.DataFrame([{"policy": POLICIES[p].label if p in POLICIES else p,
                                    **{f"{label} (s/token)": out["parts"][p][k] / 1e3 for k, label in PARTS}}
                                   for p in ok]), hide_index=True, key="cmp_parts")


st.subheader("Distance from the optimum")
st.caption("For |R| concurrent requests, CG-BPRR's objective (CG-BP's placement, every request on its shortest "
           "chain) against the exact optimum of MILP-BPRR (SPEC 5, PuLP + HiGHS), the solver's lower bound, the "
           "best routing on CG-BP's own placement, and CG-BP's Theorem-2 bound. Objective: per-token decode cost "
           "l_out (t + tau k) summed over hops, per request and token. Solves can take seconds to minutes; each "
           "stops at the time limit and reports its incumbent and gap.")
MAX_R_VALUES, MAX_R = 8, 64
g1, g2 = st.columns([3, 1])
r_text = g1.text_input("|R| values (comma-separated)", value="1, 2, 3, 4", key="gap_R",
                       help=f"Whole numbers from 1 to {MAX_R}, at most {MAX_R_VALUES} of them.")
limit = g2.number_input("Time limit per solve (s)", min_value=1.0, max_value=600.0, value=10.0, step=5.0,
                        key="gap_limit")


def _parse_R(text: str) -> list[int]:
    try:
        vals = sorted({int(x) for x in text.replace(";", ",").split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"|R| values: whole numbers separated by commas, got {text!r}") from None
    if not vals or vals[0] < 1 or vals[-1] > MAX_R or len(vals) > MAX_R_VALUES:
        raise ValueError(f"|R| values: 1 to {MAX_R_VALUES} whole numbers between 1 and {MAX_R}, got {text!r}")
    return vals


if st.button("Solve for the optimum", key="run_gap", icon=":material/functions:"):
    try:
        Rs = _parse_R(r_text)
    except ValueError as e:
        st.error(str(e))
    else:
        bar = st.progress(0.0, text="Solving MILP-BPRR...")
        rows, report = [], None
        try:
            for i, R in enumerate(Rs):
                report = engine.gap_report(scn_json, (R,), float(limit))
                rows += report["rows"]
                bar.progress((i + 1) / len(Rs), text=f"Solved |R| = {R} ({i + 1} of {len(Rs)})")
        except SwarmscopeError as e:
            st.error(str(e))
        bar.empty()
        if rows:
            state.put_result("gap", "report", {**report, "rows": rows})

gap = state.get_result("gap", "report")
if gap is not None:
    st.plotly_chart(figures.gap_chart(gap), key="gap_fig", config=figures.PLOTLY_CONFIG)
    exc = [r["excess"] for r in gap["rows"] if r["excess"] is not None]
    if exc and max(exc) <= 1e-9:
        st.caption("CG-BPRR reaches the optimum at every |R| solved here, so the lines coincide; tighter memory "
                   "(more requests, weaker GPUs) is where the two part.")
    table = figures.gap_frame(gap)
    st.dataframe(table, hide_index=True, key="gap_table",
                 column_config={c: st.column_config.NumberColumn(format="%.2f") for c in table.columns
                                if c.endswith(("(ms/token)", "(%)", "(s)"))})


def _fmt(v) -> str:
    return f"{v.per_token:g} ms × l_in + {v.fixed:g} ms" if isinstance(v, Linear) else f"{v:,.6g} ms"


with st.expander("Calibrated constants and their sources"):
    current = {"per_token_overhead_ms": scn.network.per_token_overhead_ms,
               "prefill_overhead_ms": scn.network.prefill_overhead_ms,
               "initial_delay_ms": scn.policy.initial_delay_ms,
               "alloc_delay_proposed_ms": scn.policy.alloc_delay_proposed_ms,
               "alloc_delay_petals_ms": scn.policy.alloc_delay_petals_ms,
               "petals_overhead_ms": scn.policy.petals_overhead_ms,
               "petals_penalty_ms": scn.policy.petals_penalty_ms}
    st.dataframe(pd.DataFrame([{"constant": k, "paper value": _fmt(v), "this scenario": _fmt(current[k]),
                                "source": src} for k, (v, src) in PAPER_DELAYS.items()]),
                 hide_index=True, key="cmp_delays")
    st.dataframe(pd.DataFrame([{
        "GPU": g["label"], "decode tau (ms/block/token)": g["tau_ms"],
        "prefill tau_in (ms/block)": _fmt(g["tau_in_ms"]),
        "memory (GB)": g["memory_gb"], "PETALS forward (tokens/s)": g["forward_rps"],
        "PETALS network (tokens/s)": g["network_rps"],
        "max blocks": g["max_blocks"], "source": g["source"]} for g in PAPER_GPUS.values()]),
        hide_index=True, key="cmp_gpus")
