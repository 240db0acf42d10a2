"""AppTest: the Cluster map editor (click-to-add through an injected map selection, table edits with GPU presets,
links of a selected node, settings forms, undo, persistence across pages, invalid edits)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import perf
from core import scenario as scn_mod
from core.presets import PAPER_GPUS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_clusters" / "teaching_small.json"


@pytest.fixture
def at() -> AppTest:
    """The app switched to the Cluster page."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page("pages/cluster.py").run()


def _scn(at: AppTest) -> scn_mod.Scenario:
    return scn_mod.loads(at.session_state["scn_json"])


def _keys(at: AppTest) -> dict:
    return at.session_state["cluster_keys"]


def _deck(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def _layer(spec: dict, layer_id: str) -> dict:
    return next(layer for layer in spec["layers"] if layer["id"] == layer_id)


def _select(at: AppTest, layer: str, obj: dict) -> AppTest:
    """Inject a pydeck selection, as a click on `obj` of `layer` would produce, and rerun."""
    at.session_state[_keys(at)["map"]] = {"selection": {"indices": {layer: [0]}, "objects": {layer: [obj]}}}
    return at.run()


def _edit(at: AppTest, table: str, delta: dict) -> AppTest:
    """Inject a data_editor edit state into one of the page's tables and rerun."""
    full = {"edited_rows": {}, "added_rows": [], "deleted_rows": []} | delta
    at.session_state[_keys(at)[table]] = full
    return at.run()


def test_page_renders_an_offline_pickable_map(at):
    assert not at.exception
    spec = _deck(at)
    assert spec.get("mapProvider") is None
    assert "http" not in at.get("deck_gl_json_chart")[0].proto.json  # no tiles, styles or fonts from the web
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert {"world", "grid", "cities", "servers", "clients"} <= set(layers)
    assert all(layers[k]["pickable"] for k in ("grid", "cities", "servers", "clients"))
    assert len(layers["servers"]["data"]) == len(_scn(at).servers)


def test_click_a_city_then_add_a_server(at):
    n0 = len(_scn(at).servers)
    city = {"name": "Paris", "lat": 48.866, "lon": 2.333, "tip": "Paris: candidate site"}
    _select(at, "cities", city)
    assert not at.exception
    assert any("Picked Paris" in m.value for m in at.markdown)
    assert "pick" in {layer["id"] for layer in _deck(at)["layers"]}  # a marker shows the picked site
    at.button(key="add_picked").click().run()
    assert not at.exception
    scn = _scn(at)
    assert len(scn.servers) == n0 + 1
    new = scn.servers[-1]
    assert (new.name, new.lat, new.lon, new.gpu) == ("Paris", 48.866, 2.333, "A100")
    assert new.memory_gb == PAPER_GPUS["A100"]["memory_gb"]
    assert new.tau_ms == PAPER_GPUS["A100"]["tau_ms"]
    assert new.id not in {s.id for s in scn.servers[:-1]}
    # the selection was cleared and the new server is drawn
    assert "pick" not in {layer["id"] for layer in _deck(at)["layers"]}
    assert new.id in {row["id"] for row in _layer(_deck(at), "servers")["data"]}
    assert any("Added server Paris" in s.value for s in at.success)


def test_click_the_grid_then_add_a_client_with_a_refined_position(at):
    _select(at, "grid", {"lat": 13.0, "lon": 101.0, "tip": "pick this spot"})
    radio = next(r for r in at.radio if r.key.startswith("add_kind_"))
    radio.set_value("Client").run()
    lat = next(n for n in at.number_input if n.key.startswith("add_lat_"))
    lat.set_value(13.75).run()
    share = next(n for n in at.number_input if n.key.startswith("add_share_"))
    share.set_value(2.0).run()
    at.button(key="add_picked").click().run()
    assert not at.exception
    c = _scn(at).clients[-1]
    assert (c.lat, c.lon, c.share) == (13.75, 101.0, 2.0)
    assert len(_scn(at).clients) == 2


def test_select_a_server_shows_its_rtts_as_core_computes_them(at):
    scn = _scn(at)
    s = scn.servers[0]
    _select(at, "servers", {"id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon})
    assert not at.exception
    spec = _deck(at)
    links = _layer(spec, "links")["data"]
    labels = [row["text"] for row in _layer(spec, "link_labels")["data"]]
    c = scn.clients[0]
    # raw RTT (SPEC 8.1): 2 * great-circle km / km_per_ms * inflation + base
    n = scn.network
    expected = 2 * _haversine_km(s.lat, s.lon, c.lat, c.lon) / n.km_per_ms * n.inflation + n.base_ms
    assert f"{expected:.1f} ms" in labels
    assert len(links) == len(scn.clients) + len(scn.servers) - 1
    table = at.dataframe[0].value
    row = table[table["name"] == c.name].iloc[0]
    assert math.isclose(row["raw_rtt_ms"], expected, rel_tol=1e-9)
    assert math.isclose(row["per_token_rtt_ms"], expected + n.per_token_overhead_ms, rel_tol=1e-9)


def _haversine_km(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def test_remove_the_selected_server(at):
    scn = _scn(at)
    s = scn.servers[2]
    _select(at, "servers", {"id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon})
    at.button(key="remove_picked").click().run()
    assert not at.exception
    assert s.id not in _scn(at).server_ids
    assert len(_scn(at).servers) == len(scn.servers) - 1


def test_edit_a_value_then_undo(at):
    before = at.session_state["scn_json"]
    _edit(at, "servers", {"edited_rows": {"1": {"memory_gb": 12.5}}})
    assert not at.exception
    assert _scn(at).servers[1].memory_gb == 12.5
    assert "memory_gb" in at.sidebar.caption[-1].value  # "Last edit: servers: edit s1 (memory_gb)"
    at.sidebar.button(key="sidebar_undo").click().run()
    assert at.session_state["scn_json"] == before
    at.sidebar.button(key="sidebar_redo").click().run()
    assert _scn(at).servers[1].memory_gb == 12.5


def test_choosing_a_gpu_fills_its_preset(at):
    _edit(at, "servers", {"edited_rows": {"0": {"gpu": "MIG"}}})
    s = _scn(at).servers[0]
    mig = PAPER_GPUS["MIG"]
    assert (s.gpu, s.memory_gb, s.tau_ms, s.max_blocks) == ("MIG", mig["memory_gb"], mig["tau_ms"], 4)
    assert s.tau_in_ms == mig["tau_in_ms"]
    # an edit that sets memory together with the GPU keeps the typed memory
    _edit(at, "servers", {"edited_rows": {"0": {"gpu": "A100", "memory_gb": 40.0}}})
    s = _scn(at).servers[0]
    assert (s.gpu, s.memory_gb, s.tau_ms, s.max_blocks) == ("A100", 40.0, PAPER_GPUS["A100"]["tau_ms"], None)


def test_add_and_delete_rows_in_the_tables(at):
    n0 = len(_scn(at).servers)
    _edit(at, "servers", {"added_rows": [{"name": "Oslo", "lat": 59.9, "lon": 10.75, "gpu": "MIG"}]})
    assert len(_scn(at).servers) == n0 + 1 and _scn(at).servers[-1].memory_gb == PAPER_GPUS["MIG"]["memory_gb"]
    _edit(at, "servers", {"deleted_rows": [0]})
    assert len(_scn(at).servers) == n0 and _scn(at).servers[0].name != "Frankfurt A100"
    _edit(at, "clients", {"added_rows": [{"name": "Rome", "lat": 41.9, "lon": 12.5}]})
    assert [c.name for c in _scn(at).clients][-1] == "Rome"


def test_invalid_edit_shows_an_error_and_keeps_the_scenario(at):
    before = at.session_state["scn_json"]
    _edit(at, "servers", {"edited_rows": {"0": {"lat": 123.0}}})
    assert not at.exception
    assert at.session_state["scn_json"] == before
    assert any("servers[0].lat" in e.value and "[-90" in e.value for e in at.error)
    # a new row without a position names the missing field; discarding clears the error
    at.button(key=f"discard_{_keys(at)['servers']}").click().run()
    assert not at.error
    _edit(at, "servers", {"added_rows": [{"name": "nowhere"}]})
    assert at.session_state["scn_json"] == before
    assert any(".lat" in e.value and "missing" in e.value for e in at.error)


def test_network_form_changes_the_rtt_model(at):
    inflation = next(n for n in at.number_input if n.key.startswith("net_infl_"))
    inflation.set_value(2.0)
    _submit(at, "Apply network settings")
    assert not at.exception
    scn = _scn(at)
    assert scn.network.inflation == 2.0
    d = perf.derive(scn)
    s, c = scn.servers[0], scn.clients[0]
    assert math.isclose(d.raw_cs[0][0], 2 * _haversine_km(s.lat, s.lon, c.lat, c.lon) / scn.network.km_per_ms * 2.0
                        + scn.network.base_ms, rel_tol=1e-9)


def _submit(at: AppTest, label: str) -> AppTest:
    """Click a form's submit button by its label (widget values set before it are sent with the submit)."""
    return next(b for b in at.button if b.label == label).click().run()


def test_rtt_override_replaces_the_geography_model(at):
    scn = _scn(at)
    a, b = scn.servers[0].id, scn.clients[0].id
    _edit(at, "rtt", {"added_rows": [{"a": a, "b": b, "rtt_ms": 7.5}]})
    assert not at.exception
    assert _scn(at).network.rtt_ms == {a: {b: 7.5}}
    assert perf.derive(_scn(at)).raw_cs[0][0] == 7.5


def test_workload_form(at):
    rate = next(n for n in at.number_input if n.key.startswith("w_rate_"))
    rate.set_value(0.35)
    _submit(at, "Apply workload")
    assert not at.exception
    assert _scn(at).workload.rate_per_s == 0.35


def test_edits_survive_page_changes(at):
    _select(at, "cities", {"name": "Warsaw", "lat": 52.25, "lon": 21.0, "tip": ""})
    at.button(key="add_picked").click().run()
    _edit(at, "servers", {"edited_rows": {"1": {"memory_gb": 11.0}}})
    edited = at.session_state["scn_json"]
    at.switch_page("pages/home.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Servers") == "6"
    at.switch_page("pages/cluster.py").run()
    assert at.session_state["scn_json"] == edited
    assert _scn(at).servers[-1].name == "Warsaw" and _scn(at).servers[1].memory_gb == 11.0
    table = at.data_editor[0].value
    assert list(table["name"])[-1] == "Warsaw"
