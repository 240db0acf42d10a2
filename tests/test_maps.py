"""ui/maps.py: offline decks, layer contents, RTT links, selections and chain drawings (no Streamlit needed)."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pydeck as pdk
import pytest

from core import api
from core import scenario as scn_mod
from ui import maps

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_clusters" / "teaching_small.json"


@pytest.fixture(scope="module")
def scn() -> scn_mod.Scenario:
    return scn_mod.load(str(SAMPLE))


def _spec(deck) -> dict:
    return json.loads(deck.to_json())


def _layers(deck) -> dict:
    return {layer["id"]: layer for layer in _spec(deck)["layers"]}


def _haversine_km(lat1, lon1, lat2, lon2):
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_decks_need_no_network(scn):
    records = api.simulate(scn, "proposed").records
    for deck in (maps.cluster_deck(scn), maps.chains_deck(scn, records, highlight=0)):
        text = deck.to_json()
        spec = json.loads(text)
        assert spec.get("mapProvider") is None
        assert spec.get("mapStyle") in (None, "__MAP_STYLE__")  # pydeck's "no style" sentinel, not a Carto URL
        assert "http" not in text and "mapbox" not in text.lower()
        assert spec["layers"][:2] == [layer for layer in spec["layers"] if layer["id"] in ("ocean", "world")]


def test_world_outline_and_cities_come_from_assets():
    world = maps.load_world()
    assert world["type"] == "FeatureCollection" and len(world["features"]) > 150
    cities = maps.load_cities()
    assert len(cities) > 200 and all(-90 <= c["lat"] <= 90 and -180 <= c["lon"] <= 180 for c in cities)
    base = {layer.id for layer in maps.base_layers()}
    assert base == {"ocean", "world"}


def test_grid_cells_tile_the_map():
    cells = maps.click_grid()
    step = maps.GRID_STEP_DEG
    lo, hi = maps.GRID_LAT_RANGE
    assert len(cells) == round((hi - lo) / step) * round(360 / step)
    # every point in range lies in exactly one cell
    for lat, lon in ((48.85, 2.35), (-33.9, 151.2), (0.0, 0.0), (83.9, -179.99)):
        h = step / 2
        inside = [c for c in cells if c["lat"] - h <= lat < c["lat"] + h and c["lon"] - h <= lon < c["lon"] + h]
        assert len(inside) == 1, (lat, lon, inside)


def test_cluster_layers(scn):
    layers = _layers(maps.cluster_deck(scn))
    assert {"grid", "cities", "servers", "clients", "labels"} <= set(layers)
    for lid in ("grid", "cities", "servers", "clients"):
        assert layers[lid]["pickable"] is True
    assert layers["grid"]["getFillColor"][3] <= 1  # invisible but pickable
    servers = layers["servers"]["data"]
    assert [r["id"] for r in servers] == scn.server_ids
    assert [r["id"] for r in layers["clients"]["data"]] == [c.id for c in scn.clients]
    assert all(layers[lid].get("radiusUnits") in (None, "pixels") for lid in layers)
    no_candidates = _layers(maps.cluster_deck(scn, candidates=False))
    assert "grid" not in no_candidates and "cities" not in no_candidates


def test_servers_coloured_by_gpu_and_sized_by_memory(scn):
    rows = {r["id"]: r for r in maps.server_rows(scn)}
    by_gpu: dict[str, set] = {}
    for s in scn.servers:
        by_gpu.setdefault(s.gpu, set()).add(tuple(rows[s.id]["color"]))
    assert all(len(colors) == 1 for colors in by_gpu.values())
    assert len({next(iter(c)) for c in by_gpu.values()}) == len(by_gpu)
    big = max(scn.servers, key=lambda s: s.memory_gb)
    small = min(scn.servers, key=lambda s: s.memory_gb)
    assert rows[big.id]["radius"] > rows[small.id]["radius"]
    assert maps.gpu_color("some new GPU") == maps.gpu_color("some new GPU")
    assert all("GB" in r["tip"] and "ms/block/token" in r["tip"] for r in rows.values())


def test_legend_counts_and_escapes(scn):
    legend = maps.gpu_legend(scn)
    assert sum(n for _, _, n, _ in legend) == len(scn.servers)
    assert math.isclose(sum(mem for _, _, _, mem in legend), sum(s.memory_gb for s in scn.servers))
    weird = replace(scn, servers=(replace(scn.servers[0], gpu="<b>x</b>"),) + scn.servers[1:])
    assert "<b>x</b>" not in maps.legend_html(weird)


def test_links_of_a_selected_server_carry_the_raw_rtt(scn):
    s = scn.servers[0]
    layers = _layers(maps.cluster_deck(scn, selected=s.id))
    assert "selected" in layers and layers["selected"]["data"][0]["id"] == s.id
    n = scn.network
    labels = {row["text"] for row in layers["link_labels"]["data"]}
    for c in scn.clients:
        raw = 2 * _haversine_km(s.lat, s.lon, c.lat, c.lon) / n.km_per_ms * n.inflation + n.base_ms
        assert f"{raw:.1f} ms" in labels
    # one line to every client and every other server
    assert len(layers["links"]["data"]) == len(scn.clients) + len(scn.servers) - 1
    assert "links" not in _layers(maps.cluster_deck(scn))


def test_rtt_rows_use_overrides(scn):
    s, c = scn.servers[1], scn.clients[0]
    over = scn_mod.from_dict(scn_mod.to_dict(scn) | {"network": scn_mod.to_dict(scn)["network"]
                                                   | {"rtt_ms": {c.id: {s.id: 42.0}}}})
    rows = {r["id"]: r for r in maps.rtt_rows(over, c.id)}
    assert set(rows) == set(over.server_ids)  # a client talks to every server
    assert rows[s.id]["raw_rtt_ms"] == 42.0 and rows[s.id]["source"].startswith("override")
    assert rows[s.id]["per_token_rtt_ms"] == 42.0 + over.network.per_token_overhead_ms
    other = next(r for r in rows.values() if r["id"] != s.id)
    assert other["source"] == "geography model"
    assert maps.rtt_rows(over, "no-such-node") == []


def test_spans_label_servers_and_grey_out_empty_ones(scn):
    spans = [(0, 4), (4, 8), (8, 8), (8, 40), (40, 70)][: len(scn.servers)]
    rows = maps.server_rows(scn, spans)
    assert rows[0]["label"].endswith("[0, 4)")
    assert "blocks [4, 8) (4 blocks)" in rows[1]["tip"]
    if len(rows) > 2:
        assert rows[2]["color"][:3] == [200, 200, 200] and "holds no blocks" in rows[2]["tip"]
    by_id = maps.server_rows(scn, {scn.servers[0].id: (0, 70)})
    assert by_id[0]["label"].endswith("[0, 70)") and not by_id[1]["label"].endswith(")")


def test_picked_reads_every_kind_of_selection():
    assert maps.picked(None) is None
    assert maps.picked({"selection": {"indices": {}, "objects": {}}}) is None
    city = maps.picked({"selection": {"objects": {"cities": [{"name": "Lima", "lat": -12.05, "lon": -77.05}]}}})
    assert city == {"kind": "city", "name": "Lima", "lat": -12.05, "lon": -77.05}
    cell = maps.picked({"selection": {"objects": {"grid": [{"lat": 13.0, "lon": 101.0}]}}})
    assert cell["kind"] == "grid" and cell["lat"] == 13.0 and "13.00°N" in cell["name"]
    # a server wins over the grid cell under it
    both = {"selection": {"objects": {"grid": [{"lat": 1.0, "lon": 1.0}],
                                      "servers": [{"id": "s3", "name": "X", "lat": 1.0, "lon": 1.2}]}}}
    assert maps.picked(both)["kind"] == "server" and maps.picked(both)["id"] == "s3"


def test_view_fits_the_nodes(scn):
    v = maps.view_for([(s.lat, s.lon) for s in scn.servers])
    lats = [s.lat for s in scn.servers]
    lons = [s.lon for s in scn.servers]
    assert min(lats) <= v.latitude <= max(lats) and min(lons) <= v.longitude <= max(lons)
    world = maps.view_for([(60, -120), (-35, 150)])
    assert world.zoom < v.zoom
    assert maps.view_for([]).zoom < 1


def test_chains_deck(scn):
    res = api.simulate(scn, "proposed")
    records = res.records
    rows = maps.chain_rows(scn, records)
    assert len(rows) == sum(len(x.path) for x in records)
    first = records[0]
    pos = {s.id: [s.lon, s.lat] for s in scn.servers}
    client = next(c for c in scn.clients if c.id == first.client)
    hops = [r for r in rows if r["r"] == first.r]
    assert [r["dst"] for r in hops] == [pos[sid] for sid in first.path]
    assert all(r["src"] == [client.lon, client.lat] for r in hops)  # hub-spoke: every hop starts at the client
    assert [r["k"] for r in hops] == list(first.k)
    layers = _layers(maps.chains_deck(scn, records, highlight=first.r))
    assert len(layers["highlight"]["data"]) == len(first.path)
    assert [row["text"] for row in layers["hop_labels"]["data"]] == \
        [f"hop {i}: {k} blocks" for i, k in enumerate(first.k, start=1)]
    assert "highlight" not in _layers(maps.chains_deck(scn, records))


def test_chains_coloured_by_wait(scn):
    records = api.simulate(scn, "petals").records
    rows = maps.chain_rows(scn, records, color_by="wait")
    worst = max(records, key=lambda x: x.wait_ms)
    best = min(records, key=lambda x: x.wait_ms)
    red = next(r["rgb"] for r in rows if r["r"] == worst.r)
    green = next(r["rgb"] for r in rows if r["r"] == best.r)
    if worst.wait_ms > best.wait_ms:
        assert red[0] > green[0] and red[1] < green[1]
    with pytest.raises(ValueError, match="color_by"):
        maps.chain_rows(scn, records, color_by="blocks")


def test_labels_of_nearby_markers_do_not_overlap_at_the_initial_view(scn):
    """Madrid and Lisbon are close at the teaching sample's zoom: their labels must be laid out apart."""
    deck = json.loads(maps.cluster_deck(scn, candidates=False).to_json())
    view = maps.cluster_deck(scn, candidates=False).initial_view_state
    rows = [r for layer in deck["layers"] if layer["id"] in ("labels", "client_labels") for r in layer["data"]]
    assert len(rows) == len(scn.servers) + len(scn.clients)
    boxes, markers = [], []
    for r in rows:
        x, y = maps._screen_xy(r["lat"], r["lon"], view)
        markers.append((x - r["radius"], y - r["radius"], x + r["radius"], y + r["radius"]))
        w, h = maps.LABEL_CHAR_PX * len(r["label"]) / 2, maps.LABEL_LINE_PX / 2
        x, y = x + r["offset"][0], y + r["offset"][1]
        boxes.append((x - w, y - h, x + w, y + h))

    def apart(a, b):
        return a[2] <= b[0] or a[0] >= b[2] or a[3] <= b[1] or a[1] >= b[3]

    for i, a in enumerate(boxes):
        assert all(apart(a, b) for b in boxes[i + 1:] + markers), rows[i]["label"]
    # a label with room keeps its usual place above its marker
    lone = next(r for r in rows if r["name"].startswith("Stockholm"))
    assert lone["offset"] == [0, lone["prefer"]] and lone["prefer"] < 0
    assert [r["label"] for r in rows if r["offset"] != [0, r["prefer"]]], "the sample has labels to move"


def test_label_layout_tries_the_other_side_first():
    rows = [{"lat": 40.0, "lon": -3.0, "label": "A" * 10, "prefer": -20, "radius": 0},
            {"lat": 40.0, "lon": -3.0, "label": "B" * 10, "prefer": -20, "radius": 0},
            {"lat": 40.0, "lon": -3.0, "label": "C" * 10, "prefer": -20, "radius": 0}]
    maps.place_labels(rows, pdk.ViewState(latitude=40, longitude=-3, zoom=4))
    # above, then below, then to the right (4 px + half the label's 70 px from the marker)
    assert [r["offset"] for r in rows] == [[0, -20], [0, 20], [39, 0]]
    maps.place_labels(rows, None)  # no view: every label at its preferred place
    assert [r["offset"] for r in rows] == [[0, -20]] * 3
