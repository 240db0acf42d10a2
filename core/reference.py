"""Import a case in the reference simulator's format (shared/golden/FORMAT.md) as a reference-mode scenario.

Servers become s0, s1, ... in input order so chains compare by position; RTTs are explicit raw values and
tau_in values are taken as already evaluated at l_in. Coordinates come from the case's unit-square layout
(display only: every RTT is explicit).
"""
from __future__ import annotations

from typing import Any

from .errors import ScenarioError
from .presets import PAPER_GPUS
from .scenario import FORMAT, Scenario, from_dict


def _xy_to_latlon(xy) -> tuple[float, float]:
    x, y = float(xy[0]), float(xy[1])
    return round(-50 + 100 * y, 4), round(-150 + 300 * x, 4)


def to_scenario_dict(case: dict[str, Any]) -> dict:
    """Convert a parsed reference case into a swarmscope.scenario/1 object."""
    if not isinstance(case, dict):
        raise ScenarioError("case", "expected a JSON object in the reference format")
    try:
        model, rtt, req, delays = case["model"], case["rtt"], case["requests"], case["delays"]
        servers_in = case["servers"]
    except KeyError as e:
        raise ScenarioError(f"case.{e.args[0]}", "required field of the reference format is missing") from None
    for k in ("client_server_ms", "client_server_input_ms"):
        if rtt.get(k) is not None:
            raise ScenarioError(f"rtt.{k}", "explicit per-token RTT overrides are not supported; give raw RTTs")
    layout = case.get("layout") or {}
    sxy = layout.get("server_xy") or [[0.5, 0.5]] * len(servers_in)
    servers = []
    for j, s in enumerate(servers_in):
        lat, lon = _xy_to_latlon(sxy[j])
        ref = PAPER_GPUS.get(s["type"], {})
        row = {"id": f"s{j}", "name": f"{s['type']} #{j}", "lat": lat, "lon": lon, "gpu": s["type"],
               "memory_gb": s["memory_gb"], "tau_ms": s["tau_ms"], "tau_in_ms": s["tau_in_ms"]}
        if s["type"] == "MIG":
            row["max_blocks"] = 4  # the reference caps MIG at 4 blocks
        for k in ("forward_rps", "network_rps"):
            v = s.get(k, ref.get(k))
            if v is not None:
                row[k] = v
        servers.append(row)
    clat, clon = _xy_to_latlon(layout.get("client_xy") or [0.5, 0.5])
    rtt_ms: dict[str, dict[str, float]] = {"c0": {f"s{j}": v for j, v in enumerate(rtt["client_server_raw_ms"])}}
    ss = rtt.get("server_server_raw_ms")
    if ss:
        for i in range(len(servers)):
            for j in range(i + 1, len(servers)):
                rtt_ms.setdefault(f"s{i}", {})[f"s{j}"] = ss[i][j]
    inter = req.get("inter_arrival_ms")
    arrivals = None
    if inter is None:
        arrivals = req["arrival_ms"]
    n = len(inter if inter is not None else arrivals)
    m = {"name": case.get("name", "reference case"), "n_blocks": model["L"], "d_model": model.get("d_model", 14336),
         "params_per_block": 2466437120, "bits_per_param": 4.25, "kv_bytes": 2,
         "kv_groups": model.get("num_kv_groups", 1), "block_gb": model["s_m_gb"]}
    if model.get("s_c_gb") is not None:
        m["cache_gb"] = model["s_c_gb"]
    workload = {"rate_per_s": case.get("lambda_per_s") or 0.1, "n_requests": n, "l_in": req["l_in"],
                "l_out": req["l"], "seed": case.get("seed", 0)}
    if inter is not None:
        workload["inter_arrivals_ms"] = inter
    else:
        workload["arrivals_ms"] = arrivals
    return {
        "format": FORMAT,
        "name": case.get("name", "reference case"),
        "description": case.get("description", "imported from the reference format"),
        "model": m,
        "servers": servers,
        "clients": [{"id": "c0", "name": "client", "lat": clat, "lon": clon, "share": 1.0}],
        "network": {"rtt_ms": rtt_ms, "per_token_overhead_ms": rtt["overhead_ms"],
                    "prefill_overhead_ms": rtt["overhead_input_ms"]},
        "workload": workload,
        "policy": {"R": case.get("R"), "R_num_std": case.get("R_num_std", 1),
                   "initial_delay_ms": delays["initial_delay_ms"],
                   "alloc_delay_ms": {"proposed": delays["allocation_delay_prop_ms"],
                                      "petals": delays["allocation_delay_petals_ms"]},
                   "petals_overhead_ms": delays["petals_overhead_ms"],
                   "petals_penalty_ms": delays["petals_alloc_penalty_ms"],
                   "petals_join_order": case.get("petals_join_order"), "mode": "reference"},
    }


def import_case(case: dict) -> Scenario:
    """Convert and validate a reference case."""
    return from_dict(to_scenario_dict(case))
