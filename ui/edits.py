"""Pure scenario edits for the cluster editor: table deltas, map additions, removals, settings (no st.* calls).

Every function takes a Scenario and returns a new, fully validated Scenario (through core.scenario.from_dict),
so an invalid edit raises ScenarioError naming the field and the caller keeps the previous scenario.
Edits work on the canonical JSON dict, so fields the user did not touch keep their exact form.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from core import scenario as scn_mod
from core.errors import ScenarioError
from core.presets import MODEL_PRESETS, PAPER_DELAYS, PAPER_GPUS
from core.scenario import Linear, Model, Scenario

SERVER_COLUMNS = ("id", "name", "lat", "lon", "gpu", "memory_gb", "tau_ms", "tau_in_per_token_ms",
                  "tau_in_fixed_ms", "max_blocks", "forward_rps", "network_rps")
CLIENT_COLUMNS = ("id", "name", "lat", "lon", "share")
RTT_COLUMNS = ("a", "b", "rtt_ms")
_PRESET_FIELDS = ("memory_gb", "tau_ms", "tau_in_ms", "max_blocks", "forward_rps", "network_rps")
_OPTIONAL_SERVER = ("max_blocks", "forward_rps", "network_rps")


# --------------------------------------------------------------------------- GPU presets

# Assumed uplinks for PETALS' network throughput of GPUs the paper did not measure (tools/make_samples.py uses
# the same): a datacentre uplink vs a home upload, in Mbit/s.
ASSUMED_MBPS = {"datacenter": 1000.0, "partition": 1000.0, "consumer": 200.0}


def _catalog():
    try:
        from core import catalog  # noqa: PLC0415  (optional: GPU catalogue with roofline estimates)
    except ImportError:
        return None
    return catalog


def catalog_model(model: Model | None) -> tuple[str, str] | None:
    """(catalogue model key, quantisation) when the scenario's model is a catalogued preset, else None."""
    cat = _catalog()
    if cat is None or model is None or model.preset not in getattr(cat, "MODELS", {}):
        return None
    spec = cat.MODELS[model.preset]
    for q in spec.quantisations:
        if cat.QUANT_BITS[q] == model.bits_per_param:
            return model.preset, q
    return None


def gpu_presets(model: Model | None = None) -> dict[str, dict]:
    """GPU presets by label for a model: memory_gb, tau_ms, tau_in_ms, max_blocks, forward_rps, network_rps,
    source, estimated, title.

    With core.catalog and a catalogued model, every catalogued GPU: measured figures where the paper has them
    (SPEC 2.2), roofline estimates (estimated=True) otherwise. Without, the measured A100 and MIG figures.
    """
    cat, key = _catalog(), catalog_model(model)
    if cat is not None and key is not None:
        out = {}
        for gk, g in cat.GPUS.items():
            perf = cat.performance(gk, *key)
            net = None if gk in PAPER_GPUS else cat.network_rps(model, ASSUMED_MBPS.get(g.kind, 1000.0))
            fields = cat.server_fields(perf, net)
            src = perf.tau_ms.source
            if net is not None:
                src += f"; network_rps {net.source}"
            out[gk] = {"memory_gb": fields["memory_gb"], "tau_ms": fields["tau_ms"],
                       "tau_in_ms": perf.tau_in_ms.value, "max_blocks": fields.get("max_blocks"),
                       "forward_rps": fields.get("forward_rps"), "network_rps": fields.get("network_rps"),
                       "source": src, "estimated": perf.estimated, "title": g.label}
        return out
    out = {}
    bloom = model is None or (model.preset == "bloom-176b" and model.bits_per_param == 4.25)
    for label, p in PAPER_GPUS.items():
        out[label] = {k: p.get(k) for k in _PRESET_FIELDS}
        out[label].update(source=p["source"] if bloom else p["source"] + "; measured on BLOOM-176B, not this model",
                          estimated=not bloom, title=p.get("label", label))
    return out


def _lin(v) -> Any:
    return {"per_token": v.per_token, "fixed": v.fixed} if isinstance(v, Linear) else v


def preset_server_fields(preset: Mapping) -> dict:
    """The scenario fields a GPU preset fills (tau_in_ms as JSON; optional fields only when set)."""
    out = {"memory_gb": preset["memory_gb"], "tau_ms": preset["tau_ms"], "tau_in_ms": _lin(preset["tau_in_ms"])}
    for k in _OPTIONAL_SERVER:
        if preset.get(k) is not None:
            out[k] = preset[k]
    return out


def delay_sources() -> dict[str, tuple[Any, str]]:
    """Calibrated delays and overheads: field -> (paper value, where it comes from)."""
    return dict(PAPER_DELAYS)


# --------------------------------------------------------------------------- tables

def servers_table(scn: Scenario) -> list[dict]:
    """Rows of the servers editor (tau_in split into per-token and fixed parts, in ms)."""
    rows = []
    for s in scn.servers:
        ti = s.tau_in_ms
        per, fixed = (ti.per_token, ti.fixed) if isinstance(ti, Linear) else (0.0, float(ti))
        rows.append({"id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon, "gpu": s.gpu,
                     "memory_gb": s.memory_gb, "tau_ms": s.tau_ms, "tau_in_per_token_ms": per,
                     "tau_in_fixed_ms": fixed, "max_blocks": s.max_blocks, "forward_rps": s.forward_rps,
                     "network_rps": s.network_rps})
    return rows


def clients_table(scn: Scenario) -> list[dict]:
    """Rows of the clients editor."""
    return [{"id": c.id, "name": c.name, "lat": c.lat, "lon": c.lon, "share": c.share} for c in scn.clients]


def rtt_table(scn: Scenario) -> list[dict]:
    """Per-pair raw RTT overrides (ms), one row per unordered pair."""
    seen, rows = set(), []
    for a, row in scn.network.rtt_ms.items():
        for b, ms in row.items():
            if frozenset((a, b)) in seen:
                continue
            seen.add(frozenset((a, b)))
            rows.append({"a": a, "b": b, "rtt_ms": ms})
    return rows


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _clean(v: Any) -> Any:
    """Turn numpy / pandas scalars into plain JSON values (whole floats stay floats)."""
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        v = v.item()
    return v


def _next_id(prefix: str, taken: set[str]) -> str:
    i = 0
    while f"{prefix}{i}" in taken:
        i += 1
    return f"{prefix}{i}"


def _set_server_cell(row: dict, col: str, val: Any) -> None:
    if col in ("tau_in_per_token_ms", "tau_in_fixed_ms"):
        cur = row.get("tau_in_ms", 0.0)
        per, fixed = (cur["per_token"], cur["fixed"]) if isinstance(cur, dict) else (0.0, cur)
        if _blank(val):
            val = 0.0
        if col == "tau_in_per_token_ms":
            per = val
        else:
            fixed = val
        row["tau_in_ms"] = fixed if per == 0 and not isinstance(cur, dict) else {"per_token": per, "fixed": fixed}
        return
    if _blank(val):
        row.pop(col, None)
    else:
        row[col] = val


def _apply_gpu_preset(row: dict, edited: Mapping, presets: Mapping[str, dict]) -> None:
    """Fill memory, tau, tau_in, cap and throughputs from the preset unless the same edit set them."""
    p = presets.get(row.get("gpu"))
    if p is None:
        return
    mine = set(edited)
    fields = preset_server_fields(p)
    for k in _PRESET_FIELDS:
        cols = ("tau_in_per_token_ms", "tau_in_fixed_ms") if k == "tau_in_ms" else (k,)
        if mine.intersection(cols):
            continue
        if k in fields:
            row[k] = fields[k]
        else:
            row.pop(k, None)


def _delta_parts(delta: Mapping) -> tuple[dict[int, dict], list[dict], list[int]]:
    edited = {int(i): {k: _clean(v) for k, v in cells.items()} for i, cells in (delta.get("edited_rows") or {}).items()}
    added = [{k: _clean(v) for k, v in row.items() if not str(k).startswith("_")}
             for row in (delta.get("added_rows") or [])]
    deleted = sorted({int(i) for i in (delta.get("deleted_rows") or [])})
    return edited, added, deleted


def delta_is_empty(delta: Mapping | None) -> bool:
    """True when a data_editor state holds no edit."""
    if not delta:
        return True
    return not (delta.get("edited_rows") or delta.get("added_rows") or delta.get("deleted_rows"))


def apply_servers_delta(scn: Scenario, delta: Mapping, presets: Mapping[str, dict] | None = None) -> Scenario:
    """Apply a servers data_editor state (edited_rows / added_rows / deleted_rows) to the scenario.

    Choosing a preset GPU fills memory_gb, tau_ms, tau_in_ms, max_blocks and PETALS' throughputs from the
    preset, unless the same edit also sets them. New rows get the next free id `sN` and, without a GPU,
    the first preset. Renamed and deleted ids are carried through RTT overrides, links and the join order.
    """
    presets = gpu_presets(scn.model) if presets is None else presets
    d = scn_mod.to_dict(scn)
    edited, added, deleted = _delta_parts(delta)
    servers = d["servers"]
    renames: dict[str, str] = {}
    for i, cells in edited.items():
        if not 0 <= i < len(servers):
            continue
        row, old_id = servers[i], servers[i]["id"]
        for col, val in cells.items():
            if col in SERVER_COLUMNS:
                _set_server_cell(row, col, val)
        if "gpu" in cells:
            _apply_gpu_preset(row, cells, presets)
        if row.get("id") != old_id:
            renames[old_id] = row.get("id")
    taken = {s["id"] for s in servers} | {c["id"] for c in d["clients"]}
    default_gpu = next(iter(presets), None)
    for cells in added:
        row: dict = {}
        for col, val in cells.items():
            if col in SERVER_COLUMNS:
                _set_server_cell(row, col, val)
        if _blank(row.get("id")):
            row["id"] = _next_id("s", taken)
        taken.add(row["id"])
        if _blank(row.get("gpu")) and default_gpu is not None:
            row["gpu"] = default_gpu
        if row.get("gpu") in presets:
            filled = preset_server_fields(presets[row["gpu"]])
            for k, v in filled.items():
                row.setdefault(k, v)
        servers.append(_ordered(row, ("id", "name", "lat", "lon", "gpu", "memory_gb", "tau_ms", "tau_in_ms",
                                      *_OPTIONAL_SERVER)))
    gone = [servers[i]["id"] for i in deleted if 0 <= i < len(servers)]
    d["servers"] = [s for i, s in enumerate(servers) if i not in set(deleted)]
    _carry_ids(d, renames, set(gone), n_before=len(scn.servers), deleted_pos=[i for i in deleted if i < len(servers)])
    return scn_mod.from_dict(d)


def apply_clients_delta(scn: Scenario, delta: Mapping) -> Scenario:
    """Apply a clients data_editor state to the scenario (new rows get the next free id `cN`, share 1)."""
    d = scn_mod.to_dict(scn)
    edited, added, deleted = _delta_parts(delta)
    clients = d["clients"]
    renames: dict[str, str] = {}
    for i, cells in edited.items():
        if not 0 <= i < len(clients):
            continue
        row, old_id = clients[i], clients[i]["id"]
        for col, val in cells.items():
            if col in CLIENT_COLUMNS:
                if _blank(val):
                    row.pop(col, None)
                else:
                    row[col] = val
        if row.get("id") != old_id:
            renames[old_id] = row.get("id")
    taken = {s["id"] for s in d["servers"]} | {c["id"] for c in clients}
    for cells in added:
        row = {k: v for k, v in cells.items() if k in CLIENT_COLUMNS and not _blank(v)}
        row.setdefault("id", _next_id("c", taken))
        row.setdefault("share", 1.0)
        taken.add(row["id"])
        clients.append(_ordered(row, CLIENT_COLUMNS))
    gone = {clients[i]["id"] for i in deleted if 0 <= i < len(clients)}
    d["clients"] = [c for i, c in enumerate(clients) if i not in set(deleted)]
    _carry_ids(d, renames, gone)
    return scn_mod.from_dict(d)


def set_rtt_overrides(scn: Scenario, rows: Sequence[Mapping]) -> Scenario:
    """Replace network.rtt_ms with the given (a, b, rtt_ms) rows; blank rows are ignored."""
    d = scn_mod.to_dict(scn)
    rtt: dict[str, dict[str, Any]] = {}
    for row in rows:
        a, b, ms = (_clean(row.get(k)) for k in RTT_COLUMNS)
        if _blank(a) and _blank(b) and _blank(ms):
            continue
        rtt.setdefault("" if _blank(a) else str(a), {})["" if _blank(b) else str(b)] = ms
    if rtt:
        d["network"]["rtt_ms"] = rtt
    else:
        d["network"].pop("rtt_ms", None)
    return scn_mod.from_dict(d)


def _ordered(row: dict, order: Sequence[str]) -> dict:
    return {k: row[k] for k in order if k in row} | {k: v for k, v in row.items() if k not in order}


def _carry_ids(d: dict, renames: Mapping[str, str], gone: set[str], n_before: int = 0,
               deleted_pos: Sequence[int] = ()) -> None:
    """Keep RTT overrides, display links and PETALS' join order consistent with renamed / deleted nodes."""
    net = d["network"]
    if "rtt_ms" in net:
        rtt = {}
        for a, row in net["rtt_ms"].items():
            if a in gone:
                continue
            new_row = {renames.get(b, b): v for b, v in row.items() if b not in gone}
            if new_row:
                rtt[renames.get(a, a)] = new_row
        if rtt:
            net["rtt_ms"] = rtt
        else:
            net.pop("rtt_ms")
    if "links" in net:
        net["links"] = [[renames.get(a, a), renames.get(b, b)] for a, b in net["links"]
                        if a not in gone and b not in gone]
    jo = d["policy"].get("petals_join_order")
    if jo is not None:
        n_now = len(d["servers"])
        if deleted_pos or n_now != n_before:
            dead = set(deleted_pos)
            kept = [j for j in jo if j not in dead]
            shift = {j: j - sum(1 for x in dead if x < j) for j in kept}
            jo = [shift[j] for j in kept]
            jo += [j for j in range(n_now) if j not in set(jo)]
        d["policy"]["petals_join_order"] = jo


# --------------------------------------------------------------------------- map additions, removal

def add_server(scn: Scenario, name: str, lat: float, lon: float, gpu: str,
               presets: Mapping[str, dict] | None = None, server_id: str | None = None) -> Scenario:
    """Append a server at (lat, lon) with the GPU preset's memory, tau and tau_in (next free id `sN`)."""
    presets = gpu_presets(scn.model) if presets is None else presets
    return apply_servers_delta(scn, {"added_rows": [{"id": server_id, "name": name or None, "lat": lat,
                                                     "lon": lon, "gpu": gpu}]}, presets)


def add_client(scn: Scenario, name: str, lat: float, lon: float, share: float = 1.0,
               client_id: str | None = None) -> Scenario:
    """Append a client at (lat, lon) with a load share (next free id `cN`)."""
    return apply_clients_delta(scn, {"added_rows": [{"id": client_id, "name": name or None, "lat": lat,
                                                     "lon": lon, "share": share}]})


def remove_node(scn: Scenario, node_id: str) -> Scenario:
    """Remove a server or client by id (its RTT overrides and links go with it)."""
    for i, s in enumerate(scn.servers):
        if s.id == node_id:
            return apply_servers_delta(scn, {"deleted_rows": [i]}, {})
    for i, c in enumerate(scn.clients):
        if c.id == node_id:
            return apply_clients_delta(scn, {"deleted_rows": [i]})
    raise ScenarioError("id", f"no server or client has id {node_id!r}")


# --------------------------------------------------------------------------- settings

def set_network(scn: Scenario, *, km_per_ms: float, inflation: float, base_ms: float,
                per_token_overhead_ms: float, prefill_per_token_ms: float, prefill_fixed_ms: float) -> Scenario:
    """Replace the RTT model (fibre speed, route inflation, base) and the per-token / prefill overheads."""
    d = scn_mod.to_dict(scn)
    d["network"].update(km_per_ms=km_per_ms, inflation=inflation, base_ms=base_ms,
                        per_token_overhead_ms=per_token_overhead_ms,
                        prefill_overhead_ms={"per_token": prefill_per_token_ms, "fixed": prefill_fixed_ms})
    return scn_mod.from_dict(d)


def model_presets() -> dict[str, Model]:
    """Model presets by name (core.presets)."""
    return dict(MODEL_PRESETS)


def quantisations(preset: str) -> dict[str, float]:
    """Catalogued quantisations of a model preset -> bits per parameter (empty without core.catalog)."""
    cat = _catalog()
    if cat is None or preset not in getattr(cat, "MODELS", {}):
        return {}
    return {q: cat.QUANT_BITS[q] for q in cat.MODELS[preset].quantisations}


def model_source(preset: str | None) -> str | None:
    """Where a model preset's architecture numbers come from (core.catalog), or None."""
    cat = _catalog()
    if cat is None or preset not in getattr(cat, "MODELS", {}):
        return None
    return cat.MODELS[preset].source


def set_model_preset(scn: Scenario, preset: str, quant: str | None = None) -> Scenario:
    """Use a named model preset (its block count and sizes), optionally in a catalogued quantisation."""
    d = scn_mod.to_dict(scn)
    d["model"] = {"preset": preset}
    bits = quantisations(preset).get(quant) if quant else None
    if quant and bits is None:
        raise ScenarioError("model.bits_per_param", f"{preset} is not catalogued in {quant!r}; "
                                                    f"known: {', '.join(quantisations(preset)) or 'none'}")
    if bits is not None and bits != MODEL_PRESETS[preset].bits_per_param:
        d["model"].update(bits_per_param=bits, name=f"{_catalog().MODELS[preset].label} ({quant.upper()})")
    return scn_mod.from_dict(d)


def set_model(scn: Scenario, **fields: Any) -> Scenario:
    """Change model fields (n_blocks, d_model, params_per_block, bits_per_param, kv_bytes, kv_groups,
    block_gb, cache_gb; None clears the optional overrides); the preset name is dropped if a field differs."""
    d = scn_mod.to_dict(scn)
    m = d["model"]
    changed = False
    for k, v in fields.items():
        if v is None:
            changed |= m.pop(k, None) is not None
        elif m.get(k) != v:
            m[k] = v
            changed = True
    if changed:
        m.pop("preset", None)
    return scn_mod.from_dict(d)


def set_workload(scn: Scenario, **fields: Any) -> Scenario:
    """Change workload fields (rate_per_s, n_requests, l_in, l_out, seed)."""
    d = scn_mod.to_dict(scn)
    d["workload"].update(fields)
    return scn_mod.from_dict(d)


def set_name(scn: Scenario, name: str, description: str | None = None) -> Scenario:
    """Rename the scenario (and optionally change its description)."""
    d = scn_mod.to_dict(scn)
    d["name"] = name
    if description is not None:
        if description:
            d["description"] = description
        else:
            d.pop("description", None)
    return scn_mod.from_dict(d)


def describe_delta(kind: str, delta: Mapping, ids: Sequence[str]) -> str:
    """A short undo label for a table edit, e.g. "servers: edit s1 (memory_gb); add 1; remove s3"."""
    edited, added, deleted = _delta_parts(delta)
    parts = []
    if edited:
        parts.append("edit " + ", ".join(f"{ids[i] if 0 <= i < len(ids) else i} ({', '.join(sorted(cells))})"
                                         for i, cells in sorted(edited.items())))
    if added:
        parts.append(f"add {len(added)}")
    if deleted:
        parts.append("remove " + ", ".join(str(ids[i]) if 0 <= i < len(ids) else str(i) for i in deleted))
    return f"{kind}: " + "; ".join(parts) if parts else f"{kind}: no change"
