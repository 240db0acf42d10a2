"""ui/edits.py: table deltas, GPU presets, map additions, removals and settings give validated scenarios."""
from __future__ import annotations

from pathlib import Path

import pytest

from core import scenario as scn_mod
from core.errors import ScenarioError
from core.presets import PAPER_GPUS
from core.scenario import Linear
from ui import edits

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_clusters" / "teaching_small.json"


@pytest.fixture
def scn() -> scn_mod.Scenario:
    return scn_mod.load(str(SAMPLE))


def _with(scn, **network_or_policy):
    d = scn_mod.to_dict(scn)
    for k, v in network_or_policy.items():
        section, field = k.split("__")
        d[section][field] = v
    return scn_mod.from_dict(d)


def test_tables_round_trip(scn):
    rows = edits.servers_table(scn)
    assert [r["id"] for r in rows] == scn.server_ids
    s0 = scn.servers[0]
    assert (rows[0]["tau_in_per_token_ms"], rows[0]["tau_in_fixed_ms"]) == (s0.tau_in_ms.per_token, s0.tau_in_ms.fixed)
    assert edits.apply_servers_delta(scn, {}) == scn
    assert edits.delta_is_empty({"edited_rows": {}, "added_rows": [], "deleted_rows": []})
    assert not edits.delta_is_empty({"deleted_rows": [0]})


def test_edit_cells(scn):
    new = edits.apply_servers_delta(scn, {"edited_rows": {"2": {"memory_gb": 20.0, "name": "Big Lisbon"}}})
    assert (new.servers[2].memory_gb, new.servers[2].name) == (20.0, "Big Lisbon")
    assert new.servers[:2] == scn.servers[:2] and new.servers[3:] == scn.servers[3:]
    new = edits.apply_servers_delta(scn, {"edited_rows": {0: {"tau_in_fixed_ms": 40.0}}})
    assert new.servers[0].tau_in_ms == Linear(scn.servers[0].tau_in_ms.per_token, 40.0)
    # blanking an optional cell removes it; blanking a required one is an error naming it
    new = edits.apply_servers_delta(scn, {"edited_rows": {1: {"max_blocks": None}}})
    assert new.servers[1].max_blocks is None
    with pytest.raises(ScenarioError) as e:
        edits.apply_servers_delta(scn, {"edited_rows": {1: {"memory_gb": None}}})
    assert e.value.field == "servers[1].memory_gb"


def test_gpu_choice_fills_the_preset_unless_typed(scn):
    presets = edits.gpu_presets(scn.model)
    new = edits.apply_servers_delta(scn, {"edited_rows": {0: {"gpu": "MIG"}}}, presets)
    mig = PAPER_GPUS["MIG"]
    s = new.servers[0]
    assert (s.memory_gb, s.tau_ms, s.tau_in_ms, s.max_blocks) == (mig["memory_gb"], mig["tau_ms"],
                                                                   mig["tau_in_ms"], mig["max_blocks"])
    assert (s.forward_rps, s.network_rps) == (mig["forward_rps"], mig["network_rps"])
    new = edits.apply_servers_delta(scn, {"edited_rows": {0: {"gpu": "MIG", "tau_ms": 20.0}}}, presets)
    assert new.servers[0].tau_ms == 20.0 and new.servers[0].memory_gb == mig["memory_gb"]
    # a GPU label that is no preset changes only the label
    new = edits.apply_servers_delta(scn, {"edited_rows": {0: {"gpu": "my-gpu"}}}, presets)
    assert new.servers[0].gpu == "my-gpu" and new.servers[0].memory_gb == scn.servers[0].memory_gb


def test_presets_say_where_numbers_come_from(scn):
    presets = edits.gpu_presets(scn.model)
    assert {"A100", "MIG"} <= set(presets)
    for label in ("A100", "MIG"):
        assert presets[label]["estimated"] is False and "BPRR" in presets[label]["source"]
        assert presets[label]["memory_gb"] == PAPER_GPUS[label]["memory_gb"]
    for p in presets.values():
        assert p["source"] and p["memory_gb"] > 0 and p["tau_ms"] > 0
        if p["estimated"]:
            assert "estimated" in p["source"]


def test_added_rows_get_ids_and_presets(scn):
    new = edits.apply_servers_delta(scn, {"added_rows": [{"lat": 1.0, "lon": 2.0},
                                                         {"lat": 3.0, "lon": 4.0, "gpu": "MIG", "id": "mine"}]})
    a, b = new.servers[-2:]
    assert a.id not in scn.server_ids and a.id.startswith("s") and a.gpu == next(iter(edits.gpu_presets(scn.model)))
    assert (b.id, b.memory_gb) == ("mine", PAPER_GPUS["MIG"]["memory_gb"])
    with pytest.raises(ScenarioError) as e:
        edits.apply_servers_delta(scn, {"added_rows": [{"name": "no position", "lon": 3.0}]})
    assert e.value.field == f"servers[{len(scn.servers)}].lat"
    with pytest.raises(ScenarioError, match="duplicate id"):
        edits.apply_servers_delta(scn, {"added_rows": [{"id": scn.clients[0].id, "lat": 0.0, "lon": 0.0}]})


def test_delete_and_rename_carry_references(scn):
    s1, s2, c0 = scn.servers[1].id, scn.servers[2].id, scn.clients[0].id
    base = _with(scn, network__rtt_ms={c0: {s1: 5.0, s2: 6.0}}, network__links=[[c0, s1], [s1, s2]],
                 policy__petals_join_order=[4, 3, 2, 1, 0])
    gone = edits.apply_servers_delta(base, {"deleted_rows": [1]})
    assert s1 not in gone.server_ids
    assert gone.network.rtt_ms == {c0: {s2: 6.0}}
    assert gone.network.links == ()
    assert gone.policy.petals_join_order == (3, 2, 1, 0)  # old 4, 3, 2, 0 renumbered after position 1 left
    renamed = edits.apply_servers_delta(base, {"edited_rows": {2: {"id": "lisbon"}}})
    assert renamed.network.rtt_ms[c0] == {s1: 5.0, "lisbon": 6.0}
    assert ("s1", "lisbon") in renamed.network.links
    grown = edits.apply_servers_delta(base, {"added_rows": [{"lat": 0.0, "lon": 0.0}]})
    assert grown.policy.petals_join_order == (4, 3, 2, 1, 0, 5)


def test_clients(scn):
    new = edits.apply_clients_delta(scn, {"added_rows": [{"name": "Rome", "lat": 41.9, "lon": 12.5}]})
    c = new.clients[-1]
    assert (c.name, c.share) == ("Rome", 1.0) and c.id not in {x.id for x in scn.clients} | set(scn.server_ids)
    new = edits.apply_clients_delta(new, {"edited_rows": {1: {"share": 3.0}}})
    assert new.clients[1].share == 3.0
    with pytest.raises(ScenarioError) as e:
        edits.apply_clients_delta(scn, {"deleted_rows": [0]})
    assert e.value.field == "clients"


def test_map_additions_and_removal(scn):
    new = edits.add_server(scn, "Oslo", 59.91, 10.75, "MIG")
    s = new.servers[-1]
    assert (s.name, s.lat, s.lon, s.gpu, s.memory_gb) == ("Oslo", 59.91, 10.75, "MIG", PAPER_GPUS["MIG"]["memory_gb"])
    new = edits.add_client(new, "", -33.9, 18.4, 0.5)
    c = new.clients[-1]
    assert c.name == c.id and c.share == 0.5
    assert edits.remove_node(edits.remove_node(new, c.id), s.id) == scn
    with pytest.raises(ScenarioError, match="no server or client"):
        edits.remove_node(scn, "nope")
    with pytest.raises(ScenarioError) as e:
        edits.add_server(scn, "off the map", 95.0, 0.0, "A100")
    assert e.value.field.endswith(".lat")


def test_network_and_overrides(scn):
    new = edits.set_network(scn, km_per_ms=150.0, inflation=2.0, base_ms=1.0, per_token_overhead_ms=50.0,
                            prefill_per_token_ms=0.5, prefill_fixed_ms=60.0)
    n = new.network
    assert (n.km_per_ms, n.inflation, n.base_ms, n.per_token_overhead_ms) == (150.0, 2.0, 1.0, 50.0)
    assert n.prefill_overhead_ms == Linear(0.5, 60.0)
    with pytest.raises(ScenarioError) as e:
        edits.set_network(scn, km_per_ms=150.0, inflation=0.5, base_ms=1.0, per_token_overhead_ms=50.0,
                          prefill_per_token_ms=0.5, prefill_fixed_ms=60.0)
    assert e.value.field == "network.inflation"
    a, b = scn.servers[0].id, scn.clients[0].id
    over = edits.set_rtt_overrides(scn, [{"a": a, "b": b, "rtt_ms": 9.0}, {"a": None, "b": None, "rtt_ms": None}])
    assert over.network.rtt_ms == {a: {b: 9.0}}
    assert edits.rtt_table(over) == [{"a": a, "b": b, "rtt_ms": 9.0}]
    assert edits.set_rtt_overrides(over, []).network.rtt_ms == {}
    with pytest.raises(ScenarioError) as e:
        edits.set_rtt_overrides(scn, [{"a": "ghost", "b": b, "rtt_ms": 1.0}])
    assert "ghost" in e.value.field


def test_model_and_workload(scn):
    assert edits.set_model(scn, n_blocks=scn.model.n_blocks) == scn  # unchanged: keeps the preset
    custom = edits.set_model(scn, n_blocks=60)
    assert custom.model.n_blocks == 60 and custom.model.preset is None
    back = edits.set_model_preset(custom, "bloom-176b")
    assert back.model == scn.model
    quants = edits.quantisations("bloom-176b")
    if "int8" in quants:
        q = edits.set_model_preset(scn, "bloom-176b", "int8")
        assert q.model.bits_per_param == quants["int8"] and q.model.preset == "bloom-176b"
        assert edits.catalog_model(q.model) == ("bloom-176b", "int8")
        with pytest.raises(ScenarioError):
            edits.set_model_preset(scn, "bloom-176b", "fp3")
    w = edits.set_workload(scn, rate_per_s=0.5, l_out=64).workload
    assert (w.rate_per_s, w.l_out, w.n_requests) == (0.5, 64, scn.workload.n_requests)
    with pytest.raises(ScenarioError) as e:
        edits.set_workload(scn, n_requests=0)
    assert e.value.field == "workload.n_requests"
    assert edits.set_name(scn, "X", "").name == "X" and edits.set_name(scn, "X", "").description == ""


def test_undo_labels(scn):
    ids = scn.server_ids
    assert edits.describe_delta("servers", {"edited_rows": {1: {"lat": 1, "gpu": "A100"}}}, ids) == \
        f"servers: edit {ids[1]} (gpu, lat)"
    assert edits.describe_delta("servers", {"added_rows": [{}], "deleted_rows": [0]}, ids) == \
        f"servers: add 1; remove {ids[0]}"
