"""Scale curves: placement time vs servers and blocks, simulation time vs requests and servers.

Run: python -m bench scale [--quick]. Writes bench/results/*.csv and prints Markdown tables.
Every point is the best of `repeats` runs on a seeded synthetic cluster (bench/synth.py).
"""
from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np

from core import api, perf
from core.errors import Infeasible

from .synth import synthetic

RESULTS = Path(__file__).resolve().parent / "results"
# Load grows with the cluster (0.01 req/s per server, about the paper's 0.1 req/s on 9 servers), so each
# point is a steady state rather than an ever-growing queue whose cost would hide the engine's own.
RATE_PER_SERVER = 0.01
PLACERS = ("cgbp", "petals", "petals-opt-order", "petals-opt-num", "edgeshard")


def _time(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def placement_curve(servers=(10, 100, 1000, 10000), blocks=(70, 80), repeats=3) -> list[dict]:
    """Seconds per placement for each placer, number of servers and model depth."""
    rows = []
    for L in blocks:
        for J in servers:
            scn = synthetic(J, 10, n_blocks=L, rate_per_s=0.5)
            d = perf.derive(scn)
            for name in PLACERS:
                if name not in api.PLACERS:
                    continue
                try:
                    sec = _time(lambda: api.place(scn, name, d), 1 if J >= 10000 else repeats)
                    rows.append({"blocks": L, "servers": J, "placer": name, "seconds": sec})
                except Infeasible as e:
                    rows.append({"blocks": L, "servers": J, "placer": name, "seconds": None, "note": str(e)[:60]})
    return rows


def simulation_curve(requests=(100, 1000, 10000, 100000), servers=(9, 30, 100, 300, 1000),
                     fixed_servers=100, fixed_requests=2000, policies=("proposed", "petals")) -> list[dict]:
    """Seconds per simulation vs requests (at fixed_servers) and vs servers (at fixed_requests)."""
    rows = []
    for axis, pts in (("requests", requests), ("servers", servers)):
        for x in pts:
            J, N = (fixed_servers, x) if axis == "requests" else (x, fixed_requests)
            scn = synthetic(J, N, rate_per_s=RATE_PER_SERVER * J)
            d = perf.derive(scn)
            for pol in policies:
                p = api.place(scn, api.POLICIES[pol].placer, d)
                t = time.perf_counter()
                res = api.simulate(scn, pol, d, p)
                sec = time.perf_counter() - t
                rows.append({"axis": axis, "servers": J, "requests": N, "policy": pol, "seconds": sec,
                             "us_per_request": 1e6 * sec / N,
                             "waiting_share": sum(r.raw_wait_ms > 0 for r in res.records) / N})
    return rows


def growth(rows: list[dict], axis: str, key: str, policy: str) -> float:
    """Fitted exponent b of seconds ~ x^b (log-log least squares)."""
    pts = [(r[key], r["seconds"]) for r in rows if r["axis"] == axis and r["policy"] == policy and r["seconds"]]
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def write_csv(name: str, rows: list[dict]) -> Path:
    """Write rows to bench/results/<name>.csv."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.csv"
    keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    return path


def markdown(rows: list[dict], cols: list[str]) -> str:
    """A Markdown table of the given columns."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(out)
