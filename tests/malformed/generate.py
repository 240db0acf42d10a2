"""Regenerate the malformed-scenario corpus: `python3 tests/malformed/generate.py`.

Each case is a small valid scenario (BASE) with one thing broken. EXPECTED.json maps every file to the field
path the one-line error must start with (`error: <field>: ...`) and the item of the validation issue it covers.
Files are written as exact bytes, so invalid JSON, NaN tokens and non-UTF-8 text survive as such.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

A100 = {"gpu": "A100", "memory_gb": 86.13, "tau_ms": 3.2197, "tau_in_ms": {"per_token": 0.0743, "fixed": 32.99}}
BASE = {
    "format": "swarmscope.scenario/1",
    "name": "malformed-corpus base: 2 A100 + 1 client",
    "model": {"preset": "bloom-176b"},
    "servers": [dict(id="s0", name="Frankfurt", lat=50.11, lon=8.68, **A100),
                dict(id="s1", name="Stockholm", lat=59.33, lon=18.07, **A100)],
    "clients": [{"id": "c0", "name": "Paris", "lat": 48.86, "lon": 2.35, "share": 1.0}],
    "network": {"rtt_ms": {"c0": {"s0": 12.0, "s1": 30.0}}},
    "workload": {"rate_per_s": 0.1, "n_requests": 20, "l_in": 20, "l_out": 128, "seed": 0},
    "policy": {"mode": "default"},
}


def _text(d) -> str:
    return json.dumps(d, indent=1) + "\n"


def edit(fn):
    """A case built by editing a copy of BASE."""
    d = copy.deepcopy(BASE)
    fn(d)
    return _text(d)


def swap(old: str, new: str):
    """A case built by replacing text in BASE's JSON (for things json.dumps will not write)."""
    text = _text(BASE)
    assert old in text, old
    return text.replace(old, new, 1)


def s0(**kw):
    return lambda d: d["servers"][0].update(kw)


def put(section: str, **kw):
    return lambda d: d.setdefault(section, {}).update(kw)


def drop(path: list):
    def fn(d):
        x = d
        for p in path[:-1]:
            x = x[p]
        del x[path[-1]]
    return fn


def add_client(d):
    d["clients"].append({"id": "c1", "name": "Rome", "lat": 41.9, "lon": 12.5, "share": 1.0})


# file name -> (content, field the error must name, issue item covered)
CASES: dict[str, tuple] = {
    # wrong types
    "type_memory_string.json": (edit(s0(memory_gb="86 GB")), "servers[0].memory_gb", "wrong type"),
    "type_lat_bool.json": (edit(s0(lat=True)), "servers[0].lat", "boolean where a number is expected"),
    "type_tau_bool.json": (edit(s0(tau_ms=False)), "servers[0].tau_ms", "boolean where a number is expected"),
    "type_servers_object.json": (edit(lambda d: d.update(servers={"s0": BASE["servers"][0]})), "servers",
                                 "wrong type"),
    "type_name_number.json": (edit(lambda d: d.update(name=42)), "name", "wrong type"),
    "type_tau_in_list.json": (edit(s0(tau_in_ms=[0.07, 33])), "servers[0].tau_in_ms", "wrong type"),
    "type_top_level_array.json": ("[" + _text(BASE) + "]\n", "scenario", "wrong type"),
    "type_rebalance_number.json": (edit(put("policy", petals_rebalance=1)), "policy.petals_rebalance",
                                   "number where a boolean is expected"),
    "nested_garbage_lon.json": (edit(s0(lon={"deg": [8, {"min": 41}]})), "servers[0].lon", "nested garbage"),
    "nested_garbage_client.json": (edit(lambda d: d["clients"].__setitem__(0, [[["c0"]]])), "clients[0]",
                                   "nested garbage"),
    # missing fields
    "missing_memory.json": (edit(drop(["servers", 0, "memory_gb"])), "servers[0].memory_gb", "missing field"),
    "missing_format.json": (edit(drop(["format"])), "format", "missing field"),
    "missing_clients.json": (edit(drop(["clients"])), "clients", "missing field"),
    "missing_model_blocks.json": (edit(lambda d: d.update(model={"d_model": 4096, "params_per_block": 2e8,
                                                               "bits_per_param": 16})),
                                  "model.n_blocks", "missing field"),
    # unknown keys
    "unknown_top_key.json": (edit(lambda d: d.update(solver="cbc")), "solver", "unknown key"),
    "unknown_server_key.json": (edit(s0(memry_gb=80)), "servers[0].memry_gb", "unknown key (typo)"),
    "unknown_policy_key.json": (edit(put("policy", alloc_delay=5)), "policy.alloc_delay", "unknown key"),
    # NaN / inf / huge numbers
    "nan_token_memory.json": (swap('"memory_gb": 86.13', '"memory_gb": NaN'), "servers[0].memory_gb",
                              "bare NaN token"),
    "infinity_token_tau.json": (swap('"tau_ms": 3.2197', '"tau_ms": Infinity'), "servers[0].tau_ms",
                                "Infinity token"),
    "neg_infinity_rtt.json": (swap('"s0": 12.0', '"s0": -Infinity'), "network.rtt_ms.c0.s0", "-Infinity token"),
    "huge_float_memory.json": (swap('"memory_gb": 86.13', '"memory_gb": 1e400'), "servers[0].memory_gb",
                               "huge number (overflows to inf)"),
    "huge_int_500_digits.json": (swap('"n_requests": 20', '"n_requests": 1' + "0" * 500), "workload.n_requests",
                                 "huge integer"),
    "huge_int_5000_digits.json": (swap('"seed": 0', '"seed": 9' * 1 + "9" * 5000), "workload.seed",
                                  "huge integer (beyond Python's int parsing limit)"),
    "huge_memory.json": (edit(s0(memory_gb=1e12)), "servers[0].memory_gb", "out of range"),
    # negative or zero memory / tau / RTT
    "zero_memory.json": (edit(s0(memory_gb=0)), "servers[0].memory_gb", "zero memory"),
    "negative_memory.json": (edit(s0(memory_gb=-80)), "servers[0].memory_gb", "negative memory"),
    "zero_tau.json": (edit(s0(tau_ms=0)), "servers[0].tau_ms", "zero tau"),
    "negative_tau.json": (edit(s0(tau_ms=-3.2)), "servers[0].tau_ms", "negative tau"),
    "zero_tau_in.json": (edit(s0(tau_in_ms={"per_token": 0, "fixed": 0})), "servers[0].tau_in_ms", "zero tau_in"),
    "zero_rtt_distinct_sites.json": (edit(lambda d: d["network"]["rtt_ms"]["c0"].update(s1=0)),
                                     "network.rtt_ms.c0.s1", "zero RTT between distinct sites"),
    "negative_rtt.json": (edit(lambda d: d["network"]["rtt_ms"]["c0"].update(s0=-5)), "network.rtt_ms.c0.s0",
                          "negative RTT"),
    "asymmetric_rtt.json": (edit(lambda d: d["network"]["rtt_ms"].update(s0={"s1": 9.0}, s1={"s0": 11.0})),
                            "network.rtt_ms.s1.s0", "RTT overrides that disagree"),
    "self_rtt_nonzero.json": (edit(lambda d: d["network"]["rtt_ms"].update(s0={"s0": 3.0})),
                              "network.rtt_ms.s0.s0", "RTT from a site to itself"),
    # coordinates
    "lat_above_90.json": (edit(s0(lat=91.5)), "servers[0].lat", "latitude outside [-90, 90]"),
    "lat_below_minus_90.json": (edit(lambda d: d["clients"][0].update(lat=-90.01)), "clients[0].lat",
                                "latitude outside [-90, 90]"),
    "lon_above_180.json": (edit(s0(lon=180.5)), "servers[0].lon", "longitude outside [-180, 180]"),
    "lon_below_minus_180.json": (edit(lambda d: d["clients"][0].update(lon=-200)), "clients[0].lon",
                                 "longitude outside [-180, 180]"),
    # ids
    "duplicate_server_id.json": (edit(lambda d: d["servers"][1].update(id="s0")), "servers[1].id",
                                 "duplicate id"),
    "duplicate_server_client_id.json": (edit(lambda d: d["clients"][0].update(id="s1")), "clients[0].id",
                                        "duplicate id"),
    "duplicate_node_id.json": (edit(put("network", nodes=[{"id": "c0", "lat": 1, "lon": 1}])),
                               "network.nodes[0].id", "duplicate id"),
    "empty_server_id.json": (edit(s0(id="  ")), "servers[0].id", "empty id"),
    "rtt_unknown_row_id.json": (edit(lambda d: d["network"]["rtt_ms"].update(c9={"s0": 5})),
                                "network.rtt_ms.c9", "reference to an unknown id in rtt_ms"),
    "rtt_unknown_column_id.json": (edit(lambda d: d["network"]["rtt_ms"]["c0"].update(s7=5)),
                                   "network.rtt_ms.c0.s7", "reference to an unknown id in rtt_ms"),
    "rtt_client_client.json": (edit(lambda d: (add_client(d), d["network"]["rtt_ms"]["c0"].update(c1=7))),
                               "network.rtt_ms.c0.c1", "rtt_ms row for a client-client pair"),
    "link_unknown_id.json": (edit(put("network", links=[["s0", "madrid"]])), "network.links[0]",
                             "reference to an unknown id in links"),
    "link_to_itself.json": (edit(put("network", links=[["s1", "s1"]])), "network.links[0]", "self link"),
    # lists that must not be empty
    "empty_servers.json": (edit(lambda d: d.update(servers=[])), "servers", "empty server list"),
    "empty_clients.json": (edit(lambda d: d.update(clients=[])), "clients", "empty client list"),
    # more blocks than any cluster could hold
    "blocks_beyond_limit.json": (edit(lambda d: d.update(model={"preset": "bloom-176b", "n_blocks": 50_000})),
                                 "model.n_blocks", "more blocks than any cluster could hold"),
    "blocks_exceed_cluster.json": (edit(lambda d: d.update(model={"preset": "bloom-176b", "n_blocks": 200})),
                                   "model.n_blocks", "more blocks than this cluster can hold"),
    "cluster_too_small.json": (edit(lambda d: [s.update(memory_gb=20) for s in d["servers"]]), "model.n_blocks",
                               "more blocks than this cluster can hold"),
    "cache_too_large.json": (edit(put("workload", l_in=200_000, l_out=200_000)), "model.n_blocks",
                             "more blocks than this cluster can hold (KV cache of one session)"),
    # workload out of range
    "l_in_zero.json": (edit(put("workload", l_in=0)), "workload.l_in", "l_in out of range"),
    "l_out_too_large.json": (edit(put("workload", l_out=2_000_000)), "workload.l_out", "l_out out of range"),
    "l_out_fraction.json": (edit(put("workload", l_out=12.5)), "workload.l_out", "l_out not whole"),
    "rate_zero.json": (edit(put("workload", rate_per_s=0)), "workload.rate_per_s", "rate out of range"),
    "rate_negative.json": (edit(put("workload", rate_per_s=-1)), "workload.rate_per_s", "rate out of range"),
    "n_requests_zero.json": (edit(put("workload", n_requests=0)), "workload.n_requests", "out of range"),
    "share_zero.json": (edit(lambda d: d["clients"][0].update(share=0)), "clients[0].share", "out of range"),
    "arrivals_decreasing.json": (edit(put("workload", n_requests=3, arrivals_ms=[0, 500, 200])),
                                 "workload.arrivals_ms[2]", "arrival times out of order"),
    "arrivals_both_forms.json": (edit(put("workload", n_requests=2, arrivals_ms=[0, 1], inter_arrivals_ms=[0, 1])),
                                 "workload.inter_arrivals_ms", "two arrival specifications"),
    "arrivals_wrong_count.json": (edit(put("workload", n_requests=3, inter_arrivals_ms=[0, 100])),
                                  "workload.inter_arrivals_ms", "list length"),
    "l_out_per_request_zero.json": (edit(put("workload", n_requests=2, l_out_per_request=[64, 0])),
                                    "workload.l_out_per_request[1]", "l_out out of range"),
    # policy
    "join_order_repeat.json": (edit(put("policy", petals_join_order=[0, 0])), "policy.petals_join_order",
                               "join order not a permutation"),
    "join_order_short.json": (edit(put("policy", petals_join_order=[1])), "policy.petals_join_order",
                              "join order not a permutation"),
    "join_order_out_of_range.json": (edit(put("policy", petals_join_order=[0, 2])),
                                     "policy.petals_join_order[1]", "join order not a permutation"),
    "join_order_string.json": (edit(put("policy", petals_join_order="0,1")), "policy.petals_join_order",
                               "join order wrong type"),
    "mode_unknown.json": (edit(put("policy", mode="exact")), "policy.mode", "value not allowed"),
    "reference_two_clients.json": (edit(lambda d: (add_client(d), d["policy"].update(mode="reference"))),
                                   "clients", "reference mode limits"),
    "format_wrong.json": (edit(lambda d: d.update(format="swarmscope.scenario/2")), "format", "wrong format"),
    # files that are not JSON, not UTF-8, empty, duplicated keys, too deep
    "not_json_truncated.json": (_text(BASE)[:300], "file", "not JSON"),
    "not_json_trailing_comma.json": (swap('"seed": 0\n', '"seed": 0,\n'), "file", "not JSON"),
    "not_json_python_repr.json": (repr(BASE) + "\n", "file", "not JSON (a Python dict)"),
    "not_json_yaml.json": ("format: swarmscope.scenario/1\nname: yaml\n", "file", "not JSON"),
    "not_utf8_latin1.json": (swap('"Frankfurt"', '"Frankfurt am M\u00e4in"').encode("latin-1"), "file",
                             "not UTF-8"),
    "not_utf8_binary.json": (bytes(range(256)) * 4, "file", "not UTF-8"),
    "empty_file.json": (b"", "file", "empty file"),
    "whitespace_only.json": (" \n\t\n", "file", "empty file"),
    "duplicate_key.json": (swap('"memory_gb": 86.13,', '"memory_gb": 86.13, "memory_gb": -1,'), "file",
                           "the same key twice"),
    "nested_too_deep.json": ("[" * 100_000 + "]" * 100_000, "file", "nested garbage (deep)"),
}

# Generated at test time rather than stored: a file over the size limit (core.scenario.MAX_FILE_BYTES).
GENERATED = {"oversize.json": ("file", "file over the size limit")}


def main() -> None:
    """Write every case and EXPECTED.json."""
    expected = {}
    for name, (content, field, covers) in sorted(CASES.items()):
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
        expected[name] = {"field": field, "covers": covers}
    for name, (field, covers) in GENERATED.items():
        expected[name] = {"field": field, "covers": covers, "generated": True}
    (HERE / "EXPECTED.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
