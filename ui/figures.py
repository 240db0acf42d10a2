"""Pure figure and table builders: scenario, placement or simulation results -> plotly Figure or DataFrame.

No st.* calls, so plain pytest tests every function. Engine values are in ms and GB; what is shown is in
seconds (s, s/token) where ms would give unreadable numbers, and every axis names its unit.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.breakdown import PARTS
from core.placement.base import Placement
from core.policies import POLICIES
from core.scenario import Scenario
from core.sim import SimResult

# Simulation metrics a page can plot: key -> (label, display unit, factor from the engine's unit).
METRICS: dict[str, tuple[str, str, float]] = {
    "avg_per_token_ms": ("mean per-token time", "s/token", 1e-3),
    "p95_per_token_ms": ("p95 per-token time", "s/token", 1e-3),
    "avg_ttft_ms": ("mean time to first token", "s", 1e-3),
    "avg_wait_ms": ("mean wait for cache", "s", 1e-3),
    "max_concurrent": ("peak concurrent requests", "requests", 1.0),
}

# The toolbar's own PNG download (works offline, in the browser) and a readable file name.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def policy_label(name: str) -> str:
    """A policy's display label (its registry label, else the name)."""
    spec = POLICIES.get(name)
    return spec.label if spec is not None else name


def palette(keys: Iterable[str]) -> dict[str, str]:
    """One distinct colour per key, in the order given (same keys, same colours)."""
    colours = qualitative.Plotly + qualitative.Set2
    return {k: colours[i % len(colours)] for i, k in enumerate(dict.fromkeys(keys))}


def gpu_colors(scn: Scenario) -> dict[str, str]:
    """Colour per GPU label, by sorted label so a GPU keeps its colour across scenarios."""
    return palette(sorted({s.gpu for s in scn.servers}))


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def span_label(start: int, end: int) -> str:
    """A half-open block span as shown to users: '[4, 59)' or 'nothing'."""
    return f"[{start}, {end})" if end > start else "nothing"


# --------------------------------------------------------------------------- placement

def placement_frame(scn: Scenario, p: Placement) -> pd.DataFrame:
    """One row per server: its span, blocks, cache slots and sessions it can serve through its span."""
    sessions = p.session_capacity if p.session_capacity is not None else (None,) * len(scn.servers)
    return pd.DataFrame({
        "server": [s.id for s in scn.servers],
        "name": [s.name for s in scn.servers],
        "GPU": [s.gpu for s in scn.servers],
        "memory (GB)": [s.memory_gb for s in scn.servers],
        "span (0-based, [start, end))": [span_label(a, b) for a, b in zip(p.start, p.end)],
        "blocks": list(p.blocks),
        "cache slots (block-sessions)": list(p.cache_slots),
        "sessions": list(sessions),
    })


def span_chart(scn: Scenario, p: Placement, title: str = "") -> go.Figure:
    """Blocks on x, servers on y: each server's half-open span as a bar, coloured by GPU."""
    colours = gpu_colors(scn)
    fig = go.Figure()
    labels = [f"{s.id} · {s.name}" for s in scn.servers]
    for gpu, colour in colours.items():
        rows = [j for j, s in enumerate(scn.servers) if s.gpu == gpu]
        fig.add_trace(go.Bar(
            orientation="h", name=gpu, marker_color=colour,
            y=[labels[j] for j in rows], base=[p.start[j] for j in rows], x=[p.blocks[j] for j in rows],
            text=[span_label(p.start[j], p.end[j]) for j in rows], textposition="auto", textangle=0, cliponaxis=False,
            customdata=[[p.start[j], p.end[j], p.blocks[j], p.cache_slots[j]] for j in rows],
            hovertemplate="%{y}<br>blocks [%{customdata[0]}, %{customdata[1]}) = %{customdata[2]} blocks"
                          "<br>cache slots: %{customdata[3]}<extra>" + gpu + "</extra>"))
    fig.update_layout(barmode="overlay", title=title or None, legend_title_text="GPU",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
                      margin={"l": 10, "r": 55, "t": 40 if title else 30, "b": 10}, height=140 + 28 * len(labels))
    fig.update_xaxes(title_text="block (0-based)", range=[0, scn.model.n_blocks],
                     dtick=max(1, scn.model.n_blocks // 14))
    fig.update_yaxes(title_text="server", categoryorder="array", categoryarray=labels[::-1])
    return fig


def block_sessions(p: Placement, L: int) -> list[int]:
    """Sessions each block can serve: the sum of `session_capacity` over the servers holding it."""
    cap = p.session_capacity if p.session_capacity is not None else (0,) * len(p.start)
    out = [0] * L
    for a, b, c in zip(p.start, p.end, cap):
        for blk in range(a, b):
            out[blk] += c
    return out


def capacity_chart(scn: Scenario, p: Placement, R: int | None = None) -> go.Figure:
    """Sessions per block (bars) against the target |R| (line): CG-BP's C_b >= |R| everywhere when feasible."""
    L = scn.model.n_blocks
    sessions = block_sessions(p, L)
    cover = p.coverage(L)
    colours = ["#d62728" if R is not None and s < R else "#1f77b4" for s in sessions]
    fig = go.Figure(go.Bar(x=list(range(L)), y=sessions, marker_color=colours, name="sessions per block",
                           customdata=cover,
                           hovertemplate="block %{x}: %{y} sessions from %{customdata} servers<extra></extra>"))
    if R is not None:
        fig.add_hline(y=R, line_dash="dash", line_color="#333",
                      annotation_text=f"|R| = {R} sessions", annotation_position="top left")
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=260)
    fig.update_xaxes(title_text="block (0-based)")
    fig.update_yaxes(title_text="sessions (requests)", rangemode="tozero")
    return fig


# --------------------------------------------------------------------------- routing / chains

def chain_text(scn: Scenario, p: Placement, path: Sequence[str]) -> str:
    """A chain as 'server [start, end) → ...' (each server with its span)."""
    index = {sid: j for j, sid in enumerate(scn.server_ids)}
    return " → ".join(f"{sid} {span_label(p.start[index[sid]], p.end[index[sid]])}" for sid in path)


def requests_frame(scn: Scenario, res: SimResult) -> pd.DataFrame:
    """One row per request: arrival, chain with spans, blocks per hop, wait, TTFT, time and per-token time."""
    recs = res.records
    return pd.DataFrame({
        "request": [x.r for x in recs],
        "client": [x.client for x in recs],
        "arrival (s)": [x.arrival_ms / 1e3 for x in recs],
        "chain (server [blocks))": [chain_text(scn, res.placement, x.path) for x in recs],
        "k (blocks per hop)": [", ".join(str(k) for k in x.k) for x in recs],
        "wait (s)": [x.wait_ms / 1e3 for x in recs],
        "TTFT (s)": [x.ttft_ms / 1e3 for x in recs],
        "time (s)": [x.time_ms / 1e3 for x in recs],
        "per-token (s/token)": [x.per_token_ms / 1e3 for x in recs],
    })


def _slot_scale(scn: Scenario, l_out: int) -> float:
    # as core.sim: a request with another output length reserves cache in proportion to its tokens
    w = scn.workload
    return 1.0 if l_out == w.l_out else (w.l_in + l_out) / (w.l_in + w.l_out)


def session_lanes(intervals: Sequence[tuple[float, float]]) -> tuple[list[int], int]:
    """Lane of each [start, end) interval so that intervals in one lane never overlap; and the lane count."""
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], i))
    lane_end: list[float] = []
    lanes = [0] * len(intervals)
    for i in order:
        a, b = intervals[i]
        for n, e in enumerate(lane_end):
            if e <= a:
                lanes[i], lane_end[n] = n, b
                break
        else:
            lanes[i] = len(lane_end)
            lane_end.append(b)
    return lanes, len(lane_end)


def session_gantt(scn: Scenario, res: SimResult, highlight: int | None = None) -> go.Figure:
    """Timeline per server: each session waits (grey, from arrival) and then holds cache on that server (coloured
    by the slots it holds) until completion; sessions on one server are stacked in lanes so overlaps stay visible."""
    ids = scn.server_ids
    per_server: dict[int, list[tuple]] = {j: [] for j in range(len(ids))}
    for rec in res.records:
        scale = _slot_scale(scn, rec.l_out)
        for sid, k in zip(rec.path, rec.k):
            per_server[ids.index(sid)].append((rec.arrival_ms / 1e3, (rec.arrival_ms + rec.wait_ms) / 1e3,
                                               rec.completion_ms / 1e3, rec.r, k * scale))
    ys, arrive, start, end, widths, slots, reqs = [], [], [], [], [], [], []
    for j, sessions in per_server.items():
        lanes, n = session_lanes([(a, c) for a, _, c, _, _ in sessions])
        row = len(ids) - 1 - j  # first server on top
        for (a, b, c, r, s), lane in zip(sessions, lanes):
            ys.append(row - 0.4 + (lane + 0.5) * 0.8 / n)
            arrive.append(a)
            start.append(b)
            end.append(c)
            widths.append(0.8 / n)
            slots.append(s)
            reqs.append(r)
    if not ys:
        return _empty("no sessions")
    arrive_a, start_a, end_a = np.array(arrive), np.array(start), np.array(end)
    hi = np.array(reqs) == highlight if highlight is not None else np.zeros(len(reqs), dtype=bool)
    opacity = np.where(hi | (highlight is None), 1.0, 0.35).tolist()
    waited = start_a > arrive_a
    fig = go.Figure()
    if waited.any():
        fig.add_trace(go.Bar(
            orientation="h", name="waiting for cache", y=np.array(ys)[waited], base=arrive_a[waited],
            x=(start_a - arrive_a)[waited], width=np.array(widths)[waited], marker_color="#c8c8c8",
            customdata=np.column_stack([np.array(reqs)[waited], start_a[waited]]),
            hovertemplate="request %{customdata[0]} waits from %{base:.1f} s to %{customdata[1]:.1f} s"
                          "<extra></extra>"))
    fig.add_trace(go.Bar(
        orientation="h", name="holding cache", y=ys, base=start, x=(end_a - start_a).tolist(), width=widths,
        marker={"color": slots, "colorscale": "Viridis", "showscale": True,
                "colorbar": {"title": {"text": "cache slots held<br>(block-sessions)"}},
                "opacity": opacity, "line": {"width": np.where(hi, 2.5, 0).tolist(), "color": "#d62728"}},
        customdata=np.column_stack([reqs, end_a, slots]),
        hovertemplate="request %{customdata[0]}<br>%{base:.1f} s → %{customdata[1]:.1f} s"
                      "<br>%{customdata[2]:.0f} cache slots<extra></extra>"))
    fig.update_layout(barmode="overlay", showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      height=120 + 60 * len(ids))
    fig.update_xaxes(title_text="time since the first arrival (s)")
    fig.update_yaxes(title_text="server", tickvals=[len(ids) - 1 - j for j in range(len(ids))],
                     ticktext=ids, range=[-0.6, len(ids) - 0.4], zeroline=False, showgrid=False)
    return fig


def occupancy_frame(scn: Scenario, res: SimResult) -> pd.DataFrame:
    """Cache slots in use on each server over time (a step function): a session holds its slots from the end of
    its wait (arrival + wait: service starts only once every hop has room) to its completion."""
    p = res.placement
    ids = scn.server_ids
    events: dict[int, list[tuple[float, int, float]]] = {j: [] for j in range(len(ids))}
    for rec in res.records:
        scale = _slot_scale(scn, rec.l_out)
        for sid, k in zip(rec.path, rec.k):
            j = ids.index(sid)
            # releases sort before admissions at the same instant: a session ending at t is no longer active
            events[j].append((rec.arrival_ms + rec.wait_ms, 1, k * scale))
            events[j].append((rec.completion_ms, 0, -k * scale))
    rows = []
    for j, ev in events.items():
        used = 0.0
        cap = p.cache_slots[j]
        rows.append((ids[j], 0.0, 0.0, 0.0))
        for t, _, delta in sorted(ev):
            used += delta
            rows.append((ids[j], t / 1e3, used, 100.0 * used / cap if cap > 0 else 0.0))
    return pd.DataFrame(rows, columns=["server", "time (s)", "slots in use", "occupancy (%)"])


def occupancy_chart(scn: Scenario, res: SimResult) -> go.Figure:
    """Cache occupancy per server over time, as a % of that server's cache slots."""
    df = occupancy_frame(scn, res)
    colours = palette(scn.server_ids)
    fig = go.Figure()
    for sid in scn.server_ids:
        part = df[df["server"] == sid]
        if len(part) <= 1:
            continue
        fig.add_trace(go.Scatter(x=part["time (s)"], y=part["occupancy (%)"], mode="lines", line_shape="hv",
                                 name=sid, line_color=colours[sid], customdata=part["slots in use"],
                                 hovertemplate=sid + ": %{y:.1f}% (%{customdata:.0f} slots) at %{x:.1f} s"
                                                     "<extra></extra>"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=280, legend_title_text="server")
    fig.update_xaxes(title_text="time since the first arrival (s)")
    fig.update_yaxes(title_text="cache slots in use (% of server)", rangemode="tozero")
    return fig


# --------------------------------------------------------------------------- compare

def runs_frame(runs: Sequence[Mapping]) -> pd.DataFrame:
    """Runs (one dict per policy x seed with summary metrics, or an `error`) as a DataFrame."""
    df = pd.DataFrame(list(runs))
    if "error" not in df.columns:
        df["error"] = None
    return df


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["error"].isna()] if "error" in df.columns else df


def summary_table(runs: Sequence[Mapping], policies: Sequence[str]) -> pd.DataFrame:
    """Per policy: mean over seeds of each metric (display units), its min-max spread, and the reduction vs PETALS."""
    df = _ok(runs_frame(runs))
    red = reduction_frame(runs)
    out = []
    for pol in policies:
        part = df[df["policy"] == pol]
        if part.empty:
            continue
        row: dict = {"policy": policy_label(pol), "seeds": len(part)}
        spreads = {}
        r = red[red["policy"] == pol]["reduction (%)"]
        for key in ("avg_per_token_ms", "p95_per_token_ms", "avg_ttft_ms", "avg_wait_ms"):
            label, unit, f = METRICS[key]
            v = part[key].to_numpy() * f
            row[f"{label} ({unit})"] = v.mean()
            spreads[f"{label} spread, max - min over seeds ({unit})"] = v.max() - v.min() if len(v) > 1 else 0.0
            if key == "avg_per_token_ms":
                row["per-token reduction vs PETALS (%)"] = r.mean() if len(r) else None
        row["peak concurrent (requests)"] = int(part["max_concurrent"].max())
        row.update(spreads)
        out.append(row)
    return pd.DataFrame(out)


def metric_bars(runs: Sequence[Mapping], policies: Sequence[str]) -> go.Figure:
    """Per-token time, TTFT and wait per policy: bars at the mean over seeds, whiskers at the min and max."""
    df = _ok(runs_frame(runs))
    keys = ("avg_per_token_ms", "avg_ttft_ms", "avg_wait_ms")
    fig = make_subplots(rows=1, cols=3, subplot_titles=[f"{METRICS[k][0]} ({METRICS[k][1]})" for k in keys])
    colours = palette(policies)
    for col, key in enumerate(keys, start=1):
        _, unit, f = METRICS[key]
        for pol in policies:
            v = df[df["policy"] == pol][key].to_numpy() * f
            if not len(v):
                continue
            mean = float(v.mean())
            fig.add_trace(go.Bar(
                x=[policy_label(pol)], y=[mean], name=policy_label(pol), marker_color=colours[pol],
                showlegend=col == 1, legendgroup=pol,
                error_y={"type": "data", "symmetric": False, "array": [float(v.max()) - mean],
                         "arrayminus": [mean - float(v.min())], "visible": len(v) > 1},
                hovertemplate=f"%{{x}}: %{{y:.3f}} {unit} (mean of {len(v)} seeds)<extra></extra>"), row=1, col=col)
        fig.update_yaxes(title_text=unit, row=1, col=col, rangemode="tozero")
        fig.update_xaxes(title_text="policy", showticklabels=False, row=1, col=col)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=340, legend_title_text="policy")
    return fig


def cdf_chart(samples: Mapping[str, Sequence[float]], x_label: str) -> go.Figure:
    """Empirical CDF per policy of per-request values (already in display units, named by x_label)."""
    colours = palette(samples)
    fig = go.Figure()
    for pol, values in samples.items():
        v = np.sort(np.asarray(values, dtype=float))
        if not len(v):
            continue
        y = np.arange(1, len(v) + 1) / len(v)
        fig.add_trace(go.Scatter(x=v, y=y, mode="lines", line_shape="hv", name=policy_label(pol),
                                 line_color=colours[pol],
                                 hovertemplate="%{x:.3f}: %{y:.0%} of requests at or below<extra></extra>"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=320, legend_title_text="policy")
    fig.update_xaxes(title_text=x_label)
    fig.update_yaxes(title_text="fraction of requests", range=[0, 1.02], tickformat=".0%")
    return fig


def reduction_frame(runs: Sequence[Mapping]) -> pd.DataFrame:
    """Per policy and seed: 1 - per-token time / PETALS' per-token time on the same seed, in %."""
    df = _ok(runs_frame(runs))
    if df.empty or "policy" not in df.columns:
        return pd.DataFrame(columns=["policy", "seed", "reduction (%)"])
    base = df[df["policy"] == "petals"].set_index("seed")["avg_per_token_ms"]
    rows = []
    for _, r in df.iterrows():
        if r["seed"] in base.index:
            rows.append({"policy": r["policy"], "seed": r["seed"],
                         "reduction (%)": 100.0 * (1 - r["avg_per_token_ms"] / base[r["seed"]])})
    return pd.DataFrame(rows, columns=["policy", "seed", "reduction (%)"])


def reduction_chart(runs: Sequence[Mapping], policies: Sequence[str]) -> go.Figure:
    """Reduction of the mean per-token time vs PETALS on the same arrivals (mean over seeds, min-max whiskers)."""
    df = reduction_frame(runs)
    if df.empty:
        return _empty("include PETALS (and let it run) to see reductions against it")
    colours = palette(policies)
    fig = go.Figure()
    for pol in policies:
        v = df[df["policy"] == pol]["reduction (%)"].to_numpy()
        if pol == "petals" or not len(v):
            continue
        mean = float(v.mean())
        fig.add_trace(go.Bar(x=[policy_label(pol)], y=[mean], name=policy_label(pol), marker_color=colours[pol],
                             text=[f"{mean:.1f} %"], textposition="outside",
                             error_y={"type": "data", "symmetric": False, "array": [float(v.max()) - mean],
                                      "arrayminus": [mean - float(v.min())], "visible": len(v) > 1}))
    fig.add_hline(y=0, line_color="#555")
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=300)
    fig.update_xaxes(title_text="policy", tickangle=0)
    fig.update_yaxes(title_text="reduction vs PETALS (%)")
    return fig


def breakdown_chart(parts: Mapping[str, Mapping[str, float]]) -> go.Figure:
    """Stacked bars: where each policy's per-token time goes (parts in ms/token, shown in s/token)."""
    if not parts:
        return _empty("no results")
    colours = palette([k for k, _ in PARTS])
    fig = go.Figure()
    labels = [policy_label(p) for p in parts]
    for key, label in PARTS:
        fig.add_trace(go.Bar(y=labels, x=[parts[p].get(key, 0.0) / 1e3 for p in parts], name=label,
                             orientation="h", marker_color=colours[key],
                             hovertemplate=label + ": %{x:.3f} s/token<extra>%{y}</extra>"))
    fig.update_layout(barmode="stack", margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=120 + 45 * len(parts),
                      legend_title_text="part of the time",
                      legend={"orientation": "h", "y": -0.3, "traceorder": "normal"})
    fig.update_xaxes(title_text="share of the mean per-token time (s/token)")
    fig.update_yaxes(title_text="policy", autorange="reversed")
    return fig


GAP_SERIES = (("cgbprr_ms_per_token", "CG-BPRR (CG-BP + shortest paths)"),
              ("routing_opt_on_cgbp_ms_per_token", "CG-BP + best routing (routing ILP)"),
              ("milp_ms_per_token", "optimum (MILP-BPRR)"),
              ("milp_bound_ms_per_token", "solver's lower bound"),
              ("theorem2_bound_ms_per_token", "Theorem-2 bound on CG-BPRR"))


def gap_frame(report: Mapping) -> pd.DataFrame:
    """core.optimum.gap_report rows as a table (ms/token, s, %)."""
    rows = []
    for r in report["rows"]:
        row = {"|R| (concurrent requests)": r["R"], "status": r["status"]}
        for key, label in GAP_SERIES:
            row[f"{label} (ms/token)"] = r[key]
        row["CG-BPRR above the optimum (%)"] = None if r["excess"] is None else 100 * r["excess"]
        row["solver gap (%)"] = None if r["gap"] is None else 100 * r["gap"]
        row["solve time (s)"] = r["solve_time_s"]
        rows.append(row)
    return pd.DataFrame(rows)


def gap_chart(report: Mapping) -> go.Figure:
    """Per-token cost vs |R|: CG-BPRR, the optimum, its bound and the Theorem-2 bound."""
    rows = report["rows"]
    if not rows:
        return _empty("no |R| solved yet")
    colours = palette([k for k, _ in GAP_SERIES])
    fig = go.Figure()
    for key, label in GAP_SERIES:
        pts = [(r["R"], r[key]) for r in rows if r[key] is not None]
        if not pts:
            continue
        dash = "dot" if "bound" in key else "solid"
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=label, mode="lines+markers",
                                 line={"color": colours[key], "dash": dash},
                                 hovertemplate=label + ": %{y:.2f} ms/token at |R| = %{x}<extra></extra>"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=340, legend_title_text="")
    fig.update_xaxes(title_text="|R| (concurrent requests placed for)", dtick=1)
    fig.update_yaxes(title_text="objective per request and token (ms/token)", rangemode="tozero")
    return fig


# --------------------------------------------------------------------------- what-if

def sweep_frame(rows: Sequence[Mapping], metric: str) -> pd.DataFrame:
    """Per policy and swept value: mean, min and max over seeds of a metric (display units), errors left out."""
    _, _, f = METRICS[metric]
    df = _ok(runs_frame(rows))
    if df.empty:
        return pd.DataFrame(columns=["policy", "value", "mean", "min", "max", "seeds"])
    g = df.groupby(["policy", "value"], sort=True)[metric]
    out = pd.DataFrame({"mean": g.mean() * f, "min": g.min() * f, "max": g.max() * f, "seeds": g.count()})
    return out.reset_index()


def sweep_chart(rows: Sequence[Mapping], metric: str, param_label: str, policies: Sequence[str] | None = None
                ) -> go.Figure:
    """A line per policy over the swept values (mean over seeds) with a band from the min to the max."""
    df = sweep_frame(rows, metric)
    label, unit, _ = METRICS[metric]
    if df.empty:
        return _empty("no feasible results to plot")
    policies = list(policies) if policies is not None else list(dict.fromkeys(df["policy"]))
    colours = palette(policies)
    fig = go.Figure()
    for pol in policies:
        part = df[df["policy"] == pol]
        if part.empty:
            continue
        c = colours[pol]
        if (part["seeds"] > 1).any():
            fig.add_trace(go.Scatter(x=part["value"], y=part["max"], mode="lines", line_width=0, showlegend=False,
                                     legendgroup=pol, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=part["value"], y=part["min"], mode="lines", line_width=0, fill="tonexty",
                                     fillcolor=_rgba(c, 0.2), showlegend=False, legendgroup=pol, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=part["value"], y=part["mean"], mode="lines+markers", name=policy_label(pol),
                                 line_color=c, legendgroup=pol,
                                 hovertemplate=f"{param_label} = %{{x}}: %{{y:.3f}} {unit}<extra>{policy_label(pol)}"
                                               "</extra>"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=340, legend_title_text="policy")
    fig.update_xaxes(title_text=param_label)
    fig.update_yaxes(title_text=f"{label} ({unit})", rangemode="tozero")
    return fig


# --------------------------------------------------------------------------- export

def to_html_bytes(fig: go.Figure) -> bytes:
    """A self-contained interactive HTML file (plotly.js inlined, so it opens offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, config=PLOTLY_CONFIG).encode("utf-8")


def static_export_available() -> bool:
    """True when kaleido is installed, so figures can be written as PNG/SVG on the server."""
    return importlib.util.find_spec("kaleido") is not None


def to_image_bytes(fig: go.Figure, fmt: str = "png") -> bytes:
    """PNG or SVG bytes via kaleido (needs kaleido and a Chromium; check static_export_available first)."""
    return fig.to_image(format=fmt, width=1100, height=fig.layout.height or 450, scale=2 if fmt == "png" else 1)
