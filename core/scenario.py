"""The `swarmscope.scenario/1` file: frozen dataclasses, strict parsing and canonical JSON (SPEC 8.1).

Parsing happens once, at the edge (CLI, upload, page state). Every problem raises ScenarioError naming the
field path (``servers[3].memory_gb``), the value and what is allowed. Unknown keys are errors.
"""
from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ScenarioError
from .geo import BASE_MS, ROUTE_INFLATION

FORMAT = "swarmscope.scenario/1"
MAX_FILE_BYTES = 5_000_000  # uploads and files larger than this are refused before parsing
MODES = ("reference", "default")
MAX_MEMORY_GB = 100_000   # per server; also bounds block and cache sizes
MAX_MS = 1e9              # any single delay or RTT (about 11.6 days); keeps every sum of times finite
MAX_BLOCKS = 10_000
MAX_ARRIVAL_MS = 1e12     # about 31.7 years of simulated time


@dataclass(frozen=True)
class Linear:
    """A quantity linear in the input length: per_token * l_in + fixed (ms)."""

    per_token: float
    fixed: float

    def at(self, l_in: int) -> float:
        """Value at input length `l_in`."""
        return self.per_token * l_in + self.fixed


@dataclass(frozen=True)
class Model:
    """A decoder-only model; block_gb / cache_gb override the formulas of SPEC 2 when given."""

    name: str
    n_blocks: int
    d_model: int
    params_per_block: float
    bits_per_param: float
    kv_bytes: float = 2
    kv_groups: int = 1
    block_gb: float | None = None
    cache_gb: float | None = None
    preset: str | None = None


@dataclass(frozen=True)
class Server:
    """A GPU server hosting one contiguous span of blocks."""

    id: str
    name: str
    lat: float
    lon: float
    gpu: str
    memory_gb: float
    tau_ms: float
    tau_in_ms: float | Linear
    max_blocks: int | None = None
    forward_rps: float | None = None
    network_rps: float | None = None


@dataclass(frozen=True)
class Client:
    """A client site; `share` is its fraction of the load (normalised over clients)."""

    id: str
    name: str
    lat: float
    lon: float
    share: float = 1.0


@dataclass(frozen=True)
class Node:
    """A display-only network site (a backbone router without a server or client)."""

    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Network:
    """Raw RTTs from geography unless overridden per pair; overheads turn raw RTT into per-token RTT."""

    km_per_ms: float = 200.0
    inflation: float = ROUTE_INFLATION  # fitted to published pings: docs/catalog.md
    base_ms: float = BASE_MS
    rtt_ms: dict = field(default_factory=dict)  # id -> id -> raw RTT (ms), symmetric
    per_token_overhead_ms: float = 100.0
    prefill_overhead_ms: float | Linear = Linear(0.7049, 67.0)
    links: tuple = ()  # display only: (id, id) pairs of server, client or node ids
    nodes: tuple = ()  # display only: relay sites (Node) that links may pass through


@dataclass(frozen=True)
class Workload:
    """Requests: Poisson arrivals from the seed unless explicit arrivals or gaps are given."""

    rate_per_s: float = 0.1
    n_requests: int = 100
    l_in: int = 20
    l_out: int = 128
    seed: int = 0
    arrivals_ms: tuple | None = None
    inter_arrivals_ms: tuple | None = None
    l_out_per_request: tuple | None = None  # default mode only: one output length per request


@dataclass(frozen=True)
class Policy:
    """Parameters of the algorithms and the calibrated delays (SPEC 2.2; paper preset defaults)."""

    R: int | None = None
    R_num_std: float = 1.0
    initial_delay_ms: float = 70.0
    alloc_delay_proposed_ms: float = 60_000.0
    alloc_delay_petals_ms: float = 250_000.0
    petals_overhead_ms: float = 18.0
    petals_penalty_ms: float = 10_000.0
    petals_join_order: tuple | None = None
    petals_rebalance: bool = False
    mode: str = "default"
    milp_time_limit_s: float = 30.0
    milp_gap: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A whole cluster, its network, workload and policy parameters."""

    name: str
    model: Model
    servers: tuple
    clients: tuple
    network: Network = Network()
    workload: Workload = Workload()
    policy: Policy = Policy()
    description: str = ""

    @property
    def server_ids(self) -> list[str]:
        """Server ids in scenario order (server index = position)."""
        return [s.id for s in self.servers]


# --------------------------------------------------------------------------- parsing helpers

def _type_name(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _show(v: Any, limit: int = 40) -> str:
    """A short JSON-like rendering of a value for messages (long values are cut with an ellipsis)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 ** 15:
        return f"an integer of {len(str(abs(v)))} digits"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    try:
        text = json.dumps(v)
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(v: Any) -> str:
    """'<type> <value>' for messages, e.g. 'str "10"' or 'null'."""
    return "null" if v is None else f"{_type_name(v)} {_show(v)}"


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _num(v: Any, path: str, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
         integer: bool = False) -> float:
    """A finite JSON number within [lo, hi] (or (lo, hi] when lo_open)."""
    rng = f"{'(' if lo_open else '['}{_fmt(lo) if lo is not None else '-inf'}, {_fmt(hi) if hi is not None else 'inf'}]"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(path, f"expected a number in {rng}, got {_got(v)}")
    # Python ints are unbounded; anything beyond float range cannot be a meaningful quantity here.
    if isinstance(v, int) and abs(v) >= 10 ** 300:
        raise ScenarioError(path, f"must be a number in {rng}, got {_show(v)}")
    if not math.isfinite(v):
        raise ScenarioError(path, f"must be a finite number in {rng}, got {v} (NaN, infinity or a number "
                                  f"too large to represent)")
    if integer and float(v) != int(v):
        raise ScenarioError(path, f"must be a whole number in {rng}, got {_show(v)}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ScenarioError(path, f"must be in {rng}, got {_show(v)}")
    if hi is not None and v > hi:
        raise ScenarioError(path, f"must be in {rng}, got {_show(v)}")
    return int(v) if integer else float(v)


def _str(v: Any, path: str) -> str:
    if not isinstance(v, str):
        raise ScenarioError(path, f"expected a string, got {_got(v)}")
    return v


MAX_ID_CHARS = 200


def _id(v: Any, path: str) -> str:
    """A non-empty id of at most MAX_ID_CHARS characters."""
    sid = _str(v, path)
    if not sid.strip():
        raise ScenarioError(path, "must be a non-empty string")
    if len(sid) > MAX_ID_CHARS:
        raise ScenarioError(path, f"is {len(sid)} characters long; ids are at most {MAX_ID_CHARS}")
    return sid


def _obj(v: Any, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(v, dict):
        raise ScenarioError(path or "scenario", f"expected an object, got {_got(v)}")
    for k in v:
        if k not in allowed:
            # a key that is long, empty or holds control characters is shown quoted and escaped (one line)
            key = _show(k) if isinstance(k, str) and (len(k) > 40 or not k or not k.isprintable()) else k
            hint = difflib.get_close_matches(str(k), sorted(allowed), n=1, cutoff=0.75)
            tip = f"did you mean {hint[0]!r}? " if hint else ""
            raise ScenarioError(f"{path}.{key}" if path else str(key),
                                f"unknown key; {tip}allowed keys are {', '.join(sorted(allowed))}")
    for k in sorted(required):
        if k not in v:
            raise ScenarioError(f"{path}.{k}" if path else k, "required field is missing")
    return v


def _linear(v: Any, path: str, *, positive: bool = False, hi: float = 1e7) -> float | Linear:
    """A number or {per_token, fixed}; `positive` refuses a value that is 0 for every l_in."""
    if isinstance(v, dict):
        _obj(v, path, {"per_token", "fixed"}, {"per_token", "fixed"})
        out = Linear(_num(v["per_token"], f"{path}.per_token", lo=0, hi=hi),
                     _num(v["fixed"], f"{path}.fixed", lo=0, hi=hi))
        if positive and out.per_token == 0 and out.fixed == 0:
            raise ScenarioError(path, "per_token and fixed are both 0; a time that is 0 for every l_in is not "
                                      "allowed (give per_token > 0 or fixed > 0, in ms)")
        return out
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(path, f"expected a number (ms) or an object {{per_token, fixed}}, got "
                                  f"{_got(v)}")
    return _num(v, path, lo=0, hi=hi, lo_open=positive)


def _list(v: Any, path: str) -> list:
    if not isinstance(v, list):
        raise ScenarioError(path, f"expected a list, got {_got(v)}")
    return v


def _model(v: Any) -> Model:
    from .presets import MODEL_PRESETS

    if isinstance(v, str):
        if v not in MODEL_PRESETS:
            raise ScenarioError("model", f"unknown preset {v!r}; known: {', '.join(sorted(MODEL_PRESETS))}")
        return MODEL_PRESETS[v]
    keys = {"preset", "name", "n_blocks", "d_model", "params_per_block", "bits_per_param", "kv_bytes",
            "kv_groups", "block_gb", "cache_gb"}
    d = _obj(v, "model", keys)
    base: dict[str, Any] = {}
    if "preset" in d and d["preset"] is not None:
        p = _str(d["preset"], "model.preset")
        if p not in MODEL_PRESETS:
            raise ScenarioError("model.preset", f"unknown preset {p!r}; known: {', '.join(sorted(MODEL_PRESETS))}")
        base = dict(MODEL_PRESETS[p].__dict__)
    else:
        for k in ("n_blocks", "d_model", "params_per_block", "bits_per_param"):
            if k not in d:
                raise ScenarioError(f"model.{k}", "required field is missing (or give model.preset)")
    out = dict(base)
    if "name" in d:
        out["name"] = _str(d["name"], "model.name")
    out.setdefault("name", d.get("preset") or "custom")
    if "n_blocks" in d:
        out["n_blocks"] = _num(d["n_blocks"], "model.n_blocks", lo=1, hi=MAX_BLOCKS, integer=True)
    if "d_model" in d:
        out["d_model"] = _num(d["d_model"], "model.d_model", lo=1, hi=1_000_000, integer=True)
    if "params_per_block" in d:
        out["params_per_block"] = _num(d["params_per_block"], "model.params_per_block", lo=0, hi=1e13,
                                       lo_open=True)
    if "bits_per_param" in d:
        out["bits_per_param"] = _num(d["bits_per_param"], "model.bits_per_param", lo=0, hi=64, lo_open=True)
    if "kv_bytes" in d:
        out["kv_bytes"] = _num(d["kv_bytes"], "model.kv_bytes", lo=0, hi=8, lo_open=True)
    if "kv_groups" in d:
        out["kv_groups"] = _num(d["kv_groups"], "model.kv_groups", lo=1, hi=1024, integer=True)
    for k in ("block_gb", "cache_gb"):
        if d.get(k) is not None:
            out[k] = _num(d[k], f"model.{k}", lo=0, hi=MAX_MEMORY_GB, lo_open=True)
    out["preset"] = d.get("preset")
    # A parsed value equal to the preset's (or the default) keeps the preset's object, int or float, so that
    # dumps(loads(dumps(s))) == dumps(s): the canonical text is a cache key and an undo-stack entry.
    for k in ("params_per_block", "bits_per_param", "kv_bytes"):
        was = base.get(k, getattr(Model, k, None))
        if k in out and was is not None and out[k] == was:
            out[k] = was
    return Model(**out)


def _server(v: Any, i: int) -> Server:
    p = f"servers[{i}]"
    d = _obj(v, p, {"id", "name", "lat", "lon", "gpu", "memory_gb", "tau_ms", "tau_in_ms", "max_blocks",
                    "forward_rps", "network_rps"},
             {"id", "lat", "lon", "gpu", "memory_gb", "tau_ms", "tau_in_ms"})
    sid = _id(d["id"], f"{p}.id")
    mb = d.get("max_blocks")
    return Server(
        id=sid,
        name=_str(d.get("name", sid), f"{p}.name"),
        lat=_num(d["lat"], f"{p}.lat", lo=-90, hi=90),
        lon=_num(d["lon"], f"{p}.lon", lo=-180, hi=180),
        gpu=_str(d["gpu"], f"{p}.gpu"),
        memory_gb=_num(d["memory_gb"], f"{p}.memory_gb", lo=0, hi=MAX_MEMORY_GB, lo_open=True),
        tau_ms=_num(d["tau_ms"], f"{p}.tau_ms", lo=0, hi=1e7, lo_open=True),
        tau_in_ms=_linear(d["tau_in_ms"], f"{p}.tau_in_ms", positive=True),
        max_blocks=None if mb is None else _num(mb, f"{p}.max_blocks", lo=1, hi=MAX_BLOCKS, integer=True),
        forward_rps=None if d.get("forward_rps") is None else _num(d["forward_rps"], f"{p}.forward_rps",
                                                                   lo=0, hi=1e12, lo_open=True),
        network_rps=None if d.get("network_rps") is None else _num(d["network_rps"], f"{p}.network_rps",
                                                                   lo=0, hi=1e12, lo_open=True),
    )


def _client(v: Any, i: int) -> Client:
    p = f"clients[{i}]"
    d = _obj(v, p, {"id", "name", "lat", "lon", "share"}, {"id", "lat", "lon"})
    cid = _id(d["id"], f"{p}.id")
    return Client(id=cid, name=_str(d.get("name", cid), f"{p}.name"),
                  lat=_num(d["lat"], f"{p}.lat", lo=-90, hi=90),
                  lon=_num(d["lon"], f"{p}.lon", lo=-180, hi=180),
                  share=_num(d.get("share", 1.0), f"{p}.share", lo=0, hi=1e6, lo_open=True))


def _rtt_ms(raw: Any, server_ids: set[str], client_ids: set[str]) -> dict[str, dict[str, float]]:
    """Explicit raw RTT overrides: client-server or server-server pairs, > 0 ms between distinct sites."""
    ids = server_ids | client_ids
    rtt: dict[str, dict[str, float]] = {}
    _obj(raw, "network.rtt_ms", set(raw) if isinstance(raw, dict) else set())
    for a, row in raw.items():
        if a not in ids:
            raise ScenarioError(f"network.rtt_ms.{a}", f"unknown id {_show(a)}; must be a server or client id")
        _obj(row, f"network.rtt_ms.{a}", set(row) if isinstance(row, dict) else set())
        for b, ms in row.items():
            path = f"network.rtt_ms.{a}.{b}"
            if b not in ids:
                raise ScenarioError(path, f"unknown id {_show(b)}; must be a server or client id")
            if a in client_ids and b in client_ids and a != b:
                raise ScenarioError(path, "both ids are clients; an RTT override is only used between a client "
                                          "and a server or between two servers")
            val = _num(ms, path, lo=0, hi=MAX_MS)
            if a == b and val != 0:
                raise ScenarioError(path, f"the RTT from a site to itself must be 0 (or left out), got {_show(ms)}")
            if a != b and val == 0:
                raise ScenarioError(path, f"must be > 0 ms between two distinct sites ({a} and {b}), got 0; "
                                          f"allowed: (0, {MAX_MS:g}]")
            other = rtt.get(b, {}).get(a)
            if other is not None and other != val:
                raise ScenarioError(path, f"must equal network.rtt_ms.{b}.{a} ({other}); RTTs are symmetric")
            rtt.setdefault(a, {})[b] = val
    return rtt


def _network(v: Any, server_ids: set[str], client_ids: set[str]) -> Network:
    ids = server_ids | client_ids
    d = _obj(v, "network", {"km_per_ms", "inflation", "base_ms", "rtt_ms", "per_token_overhead_ms",
                            "prefill_overhead_ms", "links", "nodes"})
    nodes = []
    for i, x in enumerate(_list(d.get("nodes", []), "network.nodes")):
        p = f"network.nodes[{i}]"
        x = _obj(x, p, {"id", "name", "lat", "lon"}, {"id", "lat", "lon"})
        nid = _id(x["id"], f"{p}.id")
        if nid in ids or any(n.id == nid for n in nodes):
            raise ScenarioError(f"{p}.id", f"duplicate id {nid!r}")
        nodes.append(Node(nid, _str(x.get("name", nid), f"{p}.name"), _num(x["lat"], f"{p}.lat", lo=-90, hi=90),
                          _num(x["lon"], f"{p}.lon", lo=-180, hi=180)))
    link_ids = set(ids) | {n.id for n in nodes}
    rtt = _rtt_ms(d.get("rtt_ms", {}), server_ids, client_ids)
    links = []
    for i, ln in enumerate(_list(d.get("links", []), "network.links")):
        if not (isinstance(ln, list) and len(ln) == 2 and all(isinstance(x, str) for x in ln)):
            raise ScenarioError(f"network.links[{i}]", f"expected a pair of ids [a, b], got {_show(ln)}")
        for x in ln:
            if x not in link_ids:
                raise ScenarioError(f"network.links[{i}]", f"unknown id {_show(x)}; must be a server, client "
                                                           f"or network.nodes id")
        if ln[0] == ln[1]:
            raise ScenarioError(f"network.links[{i}]", f"joins {ln[0]!r} to itself; a link needs two different ids")
        links.append(tuple(ln))
    dflt = Network()
    return Network(
        # fibre carries light at about 200 km/ms; nothing travels faster than light in vacuum (299.8 km/ms)
        km_per_ms=_num(d.get("km_per_ms", dflt.km_per_ms), "network.km_per_ms", lo=0, hi=300, lo_open=True),
        inflation=_num(d.get("inflation", dflt.inflation), "network.inflation", lo=1, hi=10),
        base_ms=_num(d.get("base_ms", dflt.base_ms), "network.base_ms", lo=0, hi=10_000),
        rtt_ms=rtt,
        per_token_overhead_ms=_num(d.get("per_token_overhead_ms", dflt.per_token_overhead_ms),
                                   "network.per_token_overhead_ms", lo=0, hi=1e6),
        prefill_overhead_ms=_linear(d.get("prefill_overhead_ms", {"per_token": 0.7049, "fixed": 67.0}),
                                    "network.prefill_overhead_ms", hi=1e6),
        links=tuple(links),
        nodes=tuple(nodes),
    )


def _num_list(v: Any, path: str, **kw) -> tuple:
    return tuple(_num(x, f"{path}[{i}]", **kw) for i, x in enumerate(_list(v, path)))


def _workload(v: Any) -> Workload:
    d = _obj(v, "workload", {"rate_per_s", "n_requests", "l_in", "l_out", "seed", "arrivals_ms",
                             "inter_arrivals_ms", "l_out_per_request"})
    w = Workload()
    out = Workload(
        rate_per_s=_num(d.get("rate_per_s", w.rate_per_s), "workload.rate_per_s", lo=0, hi=1e6, lo_open=True),
        n_requests=_num(d.get("n_requests", w.n_requests), "workload.n_requests", lo=1, hi=1_000_000,
                        integer=True),
        l_in=_num(d.get("l_in", w.l_in), "workload.l_in", lo=1, hi=1_000_000, integer=True),
        l_out=_num(d.get("l_out", w.l_out), "workload.l_out", lo=1, hi=1_000_000, integer=True),
        seed=_num(d.get("seed", w.seed), "workload.seed", lo=0, hi=2**63 - 1, integer=True),
        arrivals_ms=None if d.get("arrivals_ms") is None else _num_list(d["arrivals_ms"], "workload.arrivals_ms",
                                                                         lo=0, hi=MAX_ARRIVAL_MS),
        inter_arrivals_ms=None if d.get("inter_arrivals_ms") is None else _num_list(
            d["inter_arrivals_ms"], "workload.inter_arrivals_ms", lo=0, hi=MAX_MS),
        l_out_per_request=None if d.get("l_out_per_request") is None else _num_list(
            d["l_out_per_request"], "workload.l_out_per_request", lo=1, hi=1_000_000, integer=True),
    )
    if out.arrivals_ms is not None and out.inter_arrivals_ms is not None:
        raise ScenarioError("workload.inter_arrivals_ms", "give either workload.arrivals_ms or "
                                                          "workload.inter_arrivals_ms, not both")
    if out.arrivals_ms is not None:
        for i, (a, b) in enumerate(zip(out.arrivals_ms, out.arrivals_ms[1:])):
            if b < a:
                raise ScenarioError(f"workload.arrivals_ms[{i + 1}]",
                                    f"must be non-decreasing: {_show(b)} ms comes after {_show(a)} ms")
    for k in ("arrivals_ms", "inter_arrivals_ms", "l_out_per_request"):
        seq = getattr(out, k)
        if seq is not None and len(seq) != out.n_requests:
            raise ScenarioError(f"workload.{k}", f"must have n_requests = {out.n_requests} entries, "
                                                 f"got {len(seq)}")
    return out


def _policy(v: Any, n_servers: int) -> Policy:
    d = _obj(v, "policy", {"R", "R_num_std", "initial_delay_ms", "alloc_delay_ms", "petals_overhead_ms",
                           "petals_penalty_ms", "petals_join_order", "petals_rebalance", "mode",
                           "milp_time_limit_s", "milp_gap"})
    p = Policy()
    alloc = d.get("alloc_delay_ms", {})
    _obj(alloc, "policy.alloc_delay_ms", {"proposed", "petals"})
    mode = _str(d.get("mode", p.mode), "policy.mode")
    if mode not in MODES:
        raise ScenarioError("policy.mode", f"must be one of {', '.join(MODES)}, got {_show(mode)}")
    jo = d.get("petals_join_order")
    if jo is not None:
        jo = _num_list(jo, "policy.petals_join_order", lo=0, hi=max(n_servers - 1, 0), integer=True)
        if sorted(jo) != list(range(n_servers)):
            twice = sorted({x for x in jo if jo.count(x) > 1})
            missing = sorted(set(range(n_servers)) - set(jo))
            why = "; ".join(([f"repeats {', '.join(map(str, twice))}"] if twice else [])
                            + ([f"misses {', '.join(map(str, missing))}"] if missing else []))
            raise ScenarioError("policy.petals_join_order",
                                f"must be a permutation of 0..{n_servers - 1} (each server position exactly "
                                f"once, {n_servers} entries); got {len(jo)} {'entry' if len(jo) == 1 else 'entries'}: {why}")
    rb = d.get("petals_rebalance", False)
    if not isinstance(rb, bool):
        raise ScenarioError("policy.petals_rebalance", f"expected true or false, got {_got(rb)}")
    return Policy(
        R=None if d.get("R") is None else _num(d["R"], "policy.R", lo=1, hi=10_000_000, integer=True),
        R_num_std=_num(d.get("R_num_std", p.R_num_std), "policy.R_num_std", lo=0, hi=10),
        initial_delay_ms=_num(d.get("initial_delay_ms", p.initial_delay_ms), "policy.initial_delay_ms", lo=0, hi=MAX_MS),
        alloc_delay_proposed_ms=_num(alloc.get("proposed", p.alloc_delay_proposed_ms),
                                     "policy.alloc_delay_ms.proposed", lo=0, hi=MAX_MS),
        alloc_delay_petals_ms=_num(alloc.get("petals", p.alloc_delay_petals_ms), "policy.alloc_delay_ms.petals",
                                   lo=0, hi=MAX_MS),
        petals_overhead_ms=_num(d.get("petals_overhead_ms", p.petals_overhead_ms), "policy.petals_overhead_ms",
                                lo=0, hi=MAX_MS),
        petals_penalty_ms=_num(d.get("petals_penalty_ms", p.petals_penalty_ms), "policy.petals_penalty_ms", lo=0, hi=MAX_MS),
        petals_join_order=jo,
        petals_rebalance=rb,
        mode=mode,
        milp_time_limit_s=_num(d.get("milp_time_limit_s", p.milp_time_limit_s), "policy.milp_time_limit_s",
                               lo=0, hi=86_400, lo_open=True),
        milp_gap=_num(d.get("milp_gap", p.milp_gap), "policy.milp_gap", lo=0, hi=1),
    )


def from_dict(d: Any) -> Scenario:
    """Validate a parsed JSON object and build a Scenario; raises ScenarioError naming the field."""
    d = _obj(d, "", {"format", "name", "description", "model", "servers", "clients", "network", "workload",
                     "policy"}, {"format", "name", "model", "servers", "clients"})
    if d["format"] != FORMAT:
        raise ScenarioError("format", f"must be {FORMAT!r}, got {_show(d['format'])}")
    name = _str(d["name"], "name")
    model = _model(d["model"])
    servers = tuple(_server(s, i) for i, s in enumerate(_list(d["servers"], "servers")))
    if not servers:
        raise ScenarioError("servers", "must list at least one server")
    clients = tuple(_client(c, i) for i, c in enumerate(_list(d["clients"], "clients")))
    if not clients:
        raise ScenarioError("clients", "must list at least one client")
    seen: dict[str, str] = {}
    for kind, items in (("servers", servers), ("clients", clients)):
        for i, x in enumerate(items):
            if x.id in seen:
                raise ScenarioError(f"{kind}[{i}].id", f"duplicate id {x.id!r} (also {seen[x.id]})")
            seen[x.id] = f"{kind}[{i}]"
    network = _network(d.get("network", {}), {x.id for x in servers}, {x.id for x in clients})
    workload = _workload(d.get("workload", {}))
    policy = _policy(d.get("policy", {}), len(servers))
    if policy.mode == "reference":
        if len(clients) != 1:
            raise ScenarioError("clients", f"reference mode handles exactly one client, got {len(clients)}")
        if workload.l_out_per_request is not None:
            raise ScenarioError("workload.l_out_per_request", "reference mode uses one l_out for all requests")
    return Scenario(name=name, description=_str(d.get("description", ""), "description"), model=model,
                    servers=servers, clients=clients, network=network, workload=workload, policy=policy)


def _decode_int(digits: str) -> int | float:
    # Python refuses to convert integers of more than 4300 digits (and ones over ~309 digits do not fit a
    # float); such a number is never meaningful here, so it becomes infinity and the field check names it.
    if len(digits) > 300:
        return -math.inf if digits.startswith("-") else math.inf
    return int(digits)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ScenarioError("file", f"key {_show(k)} appears twice in the same object; each key may "
                                        f"appear once")
        out[k] = v
    return out


def loads(text: str | bytes, check_capacity: bool = False) -> Scenario:
    """Parse scenario JSON text (bytes must be UTF-8); raises ScenarioError on any problem.

    With `check_capacity`, also refuse a cluster that cannot hold the model even for one request
    (core.validate.check_capacity); `load` does this for files, the app's upload should too.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ScenarioError("file", f"is {len(text):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ScenarioError("file", f"is not UTF-8 text (invalid byte 0x{e.object[e.start]:02x} at "
                                        f"offset {e.start}); save it as UTF-8 JSON") from None
    if not isinstance(text, str):
        raise ScenarioError("file", f"expected JSON text, got {_type_name(text)}")
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError("file", f"is {len(text):,} characters; the limit is {MAX_FILE_BYTES:,}")
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as some Windows editors write
    if not text.strip():
        raise ScenarioError("file", "is empty; expected a JSON object")
    try:
        # NaN / Infinity tokens (not JSON, but Python writes them) parse to floats so that the field
        # check below can name the field that holds them.
        d = json.loads(text, parse_int=_decode_int, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise ScenarioError("file", f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise ScenarioError("file", "is nested too deeply to be a scenario") from None
    except ValueError as e:  # e.g. a number json cannot convert
        raise ScenarioError("file", f"is not valid JSON: {str(e)[:80]}") from None
    scn = from_dict(d)
    if check_capacity:
        from .validate import check_capacity as _check

        _check(scn)
    return scn


def load(path: str, check_capacity: bool = True) -> Scenario:
    """Read and parse a scenario file; by default also refuse a cluster too small for the model."""
    import os

    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ScenarioError("file", f"{path} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # the file may grow between the size check and the read
    except OSError as e:
        raise ScenarioError("file", f"cannot read {path}: {e.strerror or e}") from None
    return loads(raw, check_capacity=check_capacity)


# --------------------------------------------------------------------------- dumping

def _lin_out(v: float | Linear):
    return {"per_token": v.per_token, "fixed": v.fixed} if isinstance(v, Linear) else v


def to_dict(s: Scenario) -> dict:
    """The canonical JSON object of a scenario (round-trips through from_dict)."""
    m = s.model
    model = {"name": m.name, "n_blocks": m.n_blocks, "d_model": m.d_model, "params_per_block": m.params_per_block,
             "bits_per_param": m.bits_per_param, "kv_bytes": m.kv_bytes, "kv_groups": m.kv_groups}
    if m.preset:
        model["preset"] = m.preset
    for k in ("block_gb", "cache_gb"):
        if getattr(m, k) is not None:
            model[k] = getattr(m, k)
    servers = []
    for x in s.servers:
        d = {"id": x.id, "name": x.name, "lat": x.lat, "lon": x.lon, "gpu": x.gpu, "memory_gb": x.memory_gb,
             "tau_ms": x.tau_ms, "tau_in_ms": _lin_out(x.tau_in_ms)}
        for k in ("max_blocks", "forward_rps", "network_rps"):
            if getattr(x, k) is not None:
                d[k] = getattr(x, k)
        servers.append(d)
    n = s.network
    network = {"km_per_ms": n.km_per_ms, "inflation": n.inflation, "base_ms": n.base_ms,
               "per_token_overhead_ms": n.per_token_overhead_ms,
               "prefill_overhead_ms": _lin_out(n.prefill_overhead_ms)}
    if n.rtt_ms:
        network["rtt_ms"] = {a: dict(row) for a, row in n.rtt_ms.items()}
    if n.nodes:
        network["nodes"] = [{"id": x.id, "name": x.name, "lat": x.lat, "lon": x.lon} for x in n.nodes]
    if n.links:
        network["links"] = [list(x) for x in n.links]
    w = s.workload
    workload = {"rate_per_s": w.rate_per_s, "n_requests": w.n_requests, "l_in": w.l_in, "l_out": w.l_out,
                "seed": w.seed}
    for k in ("arrivals_ms", "inter_arrivals_ms", "l_out_per_request"):
        if getattr(w, k) is not None:
            workload[k] = list(getattr(w, k))
    p = s.policy
    policy = {"R": p.R, "R_num_std": p.R_num_std, "initial_delay_ms": p.initial_delay_ms,
              "alloc_delay_ms": {"proposed": p.alloc_delay_proposed_ms, "petals": p.alloc_delay_petals_ms},
              "petals_overhead_ms": p.petals_overhead_ms, "petals_penalty_ms": p.petals_penalty_ms,
              "petals_join_order": None if p.petals_join_order is None else list(p.petals_join_order),
              "petals_rebalance": p.petals_rebalance, "mode": p.mode,
              "milp_time_limit_s": p.milp_time_limit_s, "milp_gap": p.milp_gap}
    out = {"format": FORMAT, "name": s.name}
    if s.description:
        out["description"] = s.description
    out.update({"model": model, "servers": servers,
                "clients": [{"id": c.id, "name": c.name, "lat": c.lat, "lon": c.lon, "share": c.share}
                            for c in s.clients],
                "network": network, "workload": workload, "policy": policy})
    return out


def dumps(s: Scenario, indent: int | None = 1) -> str:
    """Canonical JSON text of a scenario (stable key order: usable as a cache key)."""
    return json.dumps(to_dict(s), indent=indent)


def save(s: Scenario, path: str) -> None:
    """Write a scenario file."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(s))
        f.write("\n")


def with_changes(s: Scenario, **kw) -> Scenario:
    """A copy with top-level fields replaced, re-validated through the JSON form."""
    return from_dict(to_dict(replace(s, **kw)))
