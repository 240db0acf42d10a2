"""Scenario / simulation result -> pydeck Deck, drawn fully offline (no basemap provider, no st.* calls).

The base map is the Natural Earth 1:110m outline shipped in assets/, drawn by a GeoJsonLayer; passing
`map_provider=None` keeps deck.gl from fetching any tile style (see shared notes, section 3.2). Click-to-add
works through two pickable layers: candidate cities and an invisible 2-degree grid, because a pydeck
selection only reports picked objects, never the coordinates of a click on empty map.

Layer ids are stable (selections are keyed by them): ocean, world, grid, cities, backbone, links,
link_labels, clients, servers, labels, pick, chains, highlight, hop_labels.
"""
from __future__ import annotations

import html
import json
import math
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from core import geo, perf
from core.scenario import Scenario

ASSETS = Path(__file__).resolve().parent.parent / "assets"
GRID_STEP_DEG = 2.0
GRID_LAT_RANGE = (-80.0, 84.0)  # Web Mercator cannot show the poles; nobody places a server there

# Named GPUs get fixed colours (RGB, the keys of core/catalog.py); other labels get a palette colour chosen by
# a stable checksum of the label (not hash(), which changes between processes).
_GPU_COLORS: dict[str, tuple[int, int, int]] = {
    "A100": (28, 131, 225), "MIG": (255, 140, 0), "H100": (128, 61, 245), "H200": (90, 30, 180),
    "L4": (33, 195, 84), "T4": (128, 132, 149), "A10G": (0, 170, 170), "RTX3090": (214, 39, 40),
    "RTX4090": (227, 119, 194),
}
_PALETTE: tuple[tuple[int, int, int], ...] = ((188, 189, 34), (140, 86, 75), (23, 190, 207), (255, 187, 120),
                                              (152, 223, 138), (197, 176, 213))
_REQUEST_PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
CLIENT_COLOR = (20, 20, 20)
NODE_COLOR = (120, 120, 130)
SELECT_COLOR = (255, 215, 0)
CLIENT_RING_PX = 13  # clients are hollow rings of this radius


class OfflineDeck(pdk.Deck):
    """A pydeck Deck whose JSON is compact: the world outline and click grid are ~3x smaller without indent."""

    def to_json(self) -> str:
        """Compact JSON of the deck (what st.pydeck_chart sends to the browser)."""
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


# --------------------------------------------------------------------------- shipped assets

@lru_cache(maxsize=1)
def load_world() -> dict:
    """The shipped Natural Earth 1:110m country outlines (GeoJSON FeatureCollection)."""
    with open(ASSETS / "world_110m.geojson", encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def load_cities() -> tuple:
    """The shipped Natural Earth populated places: candidate sites as dicts with name, lat, lon."""
    with open(ASSETS / "cities.json", encoding="utf-8") as f:
        return tuple({"name": c["name"], "lat": float(c["lat"]), "lon": float(c["lon"])} for c in json.load(f))


@lru_cache(maxsize=1)
def click_grid() -> tuple:
    """Centres of the invisible pickable grid cells (GRID_STEP_DEG wide), as dicts with lat, lon, tip."""
    step, (lo, hi) = GRID_STEP_DEG, GRID_LAT_RANGE
    rows = int(round((hi - lo) / step))
    cols = int(round(360.0 / step))
    return tuple({"lat": lo + step * (i + 0.5), "lon": -180.0 + step * (j + 0.5), "tip": "pick this spot"}
                 for i in range(rows) for j in range(cols))


# --------------------------------------------------------------------------- colours, sizes, labels

def gpu_color(label: str) -> list[int]:
    """RGB colour of a GPU label (fixed for catalogued GPUs, a stable checksum pick otherwise)."""
    if label in _GPU_COLORS:
        return list(_GPU_COLORS[label])
    return list(_PALETTE[zlib.crc32(label.encode("utf-8")) % len(_PALETTE)])


def server_radius_px(memory_gb: float) -> float:
    """Marker radius in pixels, growing with the square root of memory so area tracks GB (6 to 26 px)."""
    return min(26.0, 6.0 + 1.2 * math.sqrt(max(memory_gb, 0.0)))


def gpu_legend(scn: Scenario) -> list[tuple[str, list[int], int, float]]:
    """Per GPU label in scenario order: (label, rgb, server count, total memory GB)."""
    out: dict[str, list] = {}
    for s in scn.servers:
        if s.gpu not in out:
            out[s.gpu] = [s.gpu, gpu_color(s.gpu), 0, 0.0]
        out[s.gpu][2] += 1
        out[s.gpu][3] += s.memory_gb
    return [tuple(v) for v in out.values()]


def legend_html(scn: Scenario) -> str:
    """An HTML legend: one dot in each GPU's map colour with its count and memory, then the client ring."""
    items = [f'<span style="color:rgb({r},{g},{b});font-size:1.2em">&#9679;</span> {html.escape(label)} '
             f"&times;{n} ({mem:,.1f} GB)" for label, (r, g, b), n, mem in gpu_legend(scn)]
    items.append('<span style="font-size:1.1em">&#9711;</span> client')
    return " &nbsp; ".join(items)


def fmt_latlon(lat: float, lon: float) -> str:
    """Latitude and longitude in degrees with hemisphere letters, e.g. 48.86°N, 2.35°E."""
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'}, {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def view_for(points: Iterable[tuple[float, float]], width_px: float = 700, height_px: float = 460) -> pdk.ViewState:
    """A view that shows every (lat, lon) point with a margin (the whole world when there are none)."""
    pts = list(points)
    if not pts:
        return pdk.ViewState(latitude=20, longitude=0, zoom=0.6)
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    lat_c, lon_c = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    lon_span = max(max(lons) - min(lons), 8.0) * 1.6
    # Mercator stretches latitude by 1/cos(lat); 512 px spans 360 degrees at zoom 0
    lat_span = max(max(lats) - min(lats), 5.0) * 1.9 / max(math.cos(math.radians(lat_c)), 0.2)
    zoom = min(math.log2(width_px * 360 / (512 * lon_span)), math.log2(height_px * 360 / (512 * lat_span)))
    return pdk.ViewState(latitude=round(lat_c, 1), longitude=round(lon_c, 1),
                         zoom=round(max(0.3, min(zoom, 6.0)), 1))


# --------------------------------------------------------------------------- rows (pure data)

def rtt_rows(scn: Scenario, node_id: str) -> list[dict]:
    """RTTs from one server or client to the nodes it talks to (hub-spoke: clients <-> servers), in ms.

    For a client: every server; for a server: every client and, for reference, every other server.
    Each row: id, name, kind, lat, lon, distance_km, raw_rtt_ms, per_token_rtt_ms, prefill_rtt_ms, source.
    """
    by_id = {x.id: x for x in (*scn.servers, *scn.clients)}
    if node_id not in by_id:
        return []
    a = by_id[node_id]
    is_client = any(c.id == node_id for c in scn.clients)
    others = [("server", s) for s in scn.servers] if is_client else \
        [("client", c) for c in scn.clients] + [("server", s) for s in scn.servers if s.id != node_id]
    n, w = scn.network, scn.workload
    over_in = perf.value_at(n.prefill_overhead_ms, w.l_in)
    out = []
    for kind, b in others:
        raw = perf.raw_rtt_between(scn, a, b)
        override = (a.id in n.rtt_ms and b.id in n.rtt_ms[a.id]) or (b.id in n.rtt_ms and a.id in n.rtt_ms[b.id])
        out.append({"id": b.id, "name": b.name, "kind": kind, "lat": b.lat, "lon": b.lon,
                    "distance_km": geo.great_circle_km(a.lat, a.lon, b.lat, b.lon), "raw_rtt_ms": raw,
                    "per_token_rtt_ms": raw + n.per_token_overhead_ms, "prefill_rtt_ms": raw + over_in,
                    "source": "override (network.rtt_ms)" if override else "geography model"})
    return out


def _span_text(span) -> str:
    s, e = span
    return "holds no blocks" if e <= s else f"blocks [{s}, {e}) ({e - s} blocks)"


def _spans_by_id(scn: Scenario, spans) -> dict[str, tuple[int, int]]:
    if spans is None:
        return {}
    if isinstance(spans, Mapping):
        return {k: (int(v[0]), int(v[1])) for k, v in spans.items()}
    return {s.id: (int(a), int(b)) for s, (a, b) in zip(scn.servers, spans)}


def server_rows(scn: Scenario, spans=None) -> list[dict]:
    """One row per server for the servers layer: position, colour, radius and a tooltip with units."""
    by_id = _spans_by_id(scn, spans)
    rows = []
    for s in scn.servers:
        span = by_id.get(s.id)
        tip = (f"{s.name} ({s.id})\n{s.gpu}, {s.memory_gb:g} GB, tau {s.tau_ms:g} ms/block/token"
               f"\n{fmt_latlon(s.lat, s.lon)}")
        if span is not None:
            tip += f"\n{_span_text(span)}"
        empty = span is not None and span[1] <= span[0]
        rgb = [200, 200, 200] if empty else gpu_color(s.gpu)
        rows.append({"id": s.id, "name": s.name, "kind": "server", "lat": s.lat, "lon": s.lon, "gpu": s.gpu,
                     "memory_gb": s.memory_gb, "color": rgb + [230], "radius": server_radius_px(s.memory_gb),
                     "label": s.name if span is None else f"{s.name} [{span[0]}, {span[1]})", "tip": tip})
    return rows


def client_rows(scn: Scenario) -> list[dict]:
    """One row per client for the clients layer, with its load share in percent."""
    total = sum(c.share for c in scn.clients)
    return [{"id": c.id, "name": c.name, "kind": "client", "lat": c.lat, "lon": c.lon, "share": c.share,
             "label": c.name, "radius": CLIENT_RING_PX,
             "tip": f"{c.name} ({c.id}), client\n{100 * c.share / total:.0f} % of the load"
                    f"\n{fmt_latlon(c.lat, c.lon)}"} for c in scn.clients]


def _view(scn: Scenario, width_px: float = 700, height_px: float = 460) -> pdk.ViewState:
    """The initial view of a deck: every server and client in sight."""
    return view_for([(x.lat, x.lon) for x in (*scn.servers, *scn.clients)], width_px, height_px)


def _node_positions(scn: Scenario) -> dict[str, tuple[float, float]]:
    pos = {x.id: (x.lat, x.lon) for x in (*scn.servers, *scn.clients)}
    pos.update({x.id: (x.lat, x.lon) for x in scn.network.nodes})
    return pos


LABEL_CHAR_PX, LABEL_LINE_PX = 7.0, 15.0  # about what a 12 px label takes per character and per line
LABEL_GAP_PX = 9                           # between a marker's edge and its label's centre line


def _screen_xy(lat: float, lon: float, view: pdk.ViewState) -> tuple[float, float]:
    """Pixel position relative to the view's centre (Web Mercator, 512 px world at zoom 0)."""
    scale = 512 * 2 ** view.zoom

    def merc(la: float) -> float:
        la = max(min(la, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / (2 * math.pi)

    return (lon - view.longitude) / 360 * scale, (merc(view.latitude) - merc(lat)) * scale


def place_labels(rows: list[dict], view: pdk.ViewState | None) -> None:
    """Set each row's "offset" [dx, dy] (pixels from its marker) so that labels overlap neither each other nor
    the markers at `view`.

    A row has "prefer" (its usual vertical offset, negative: above) and "radius" (its marker, px). Greedy, in
    row order: a label tries above or below as preferred, the other side, right and left of the marker, then
    a line further out; it keeps the first free place, or its preferred one if none is. Only the initial view
    is laid out: zooming in separates markers anyway.
    """
    if view is None:
        for row in rows:
            row["offset"] = [0, row["prefer"]]
        return
    xy = [_screen_xy(r["lat"], r["lon"], view) for r in rows]
    taken = [(x - r["radius"], y - r["radius"], x + r["radius"], y + r["radius"]) for (x, y), r in zip(xy, rows)]

    def free(b) -> bool:
        return all(b[2] <= q[0] or b[0] >= q[2] or b[3] <= q[1] or b[1] >= q[3] for q in taken)

    for (x, y), row in zip(xy, rows):
        p, rad = row["prefer"], row["radius"]
        half_w, half_h = LABEL_CHAR_PX * len(row["label"]) / 2, LABEL_LINE_PX / 2
        out = math.copysign(LABEL_LINE_PX, p)
        side = rad + 4 + half_w
        spots = [(0, p), (0, -p), (side, 0), (-side, 0), (0, p + out), (0, -p - out), (0, p + 2 * out),
                 (0, -p - 2 * out)]
        boxes = [(dx, dy, (x + dx - half_w, y + dy - half_h, x + dx + half_w, y + dy + half_h)) for dx, dy in spots]
        dx, dy, box = next((b for b in boxes if free(b[2])), boxes[0])
        taken.append(box)
        row["offset"] = [dx, dy]


# --------------------------------------------------------------------------- layers

def _text_layer(data, id: str, **kw) -> pdk.Layer:
    """A TextLayer whose glyph atlas covers the characters used (default is ASCII only: no degree sign)."""
    return pdk.Layer("TextLayer", data, id=id, character_set="'auto'", **kw)


def base_layers() -> list[pdk.Layer]:
    """Ocean background and the shipped world outline (not pickable, no network access)."""
    lo, hi = -85.0, 85.0
    ocean = pdk.Layer("SolidPolygonLayer", [{"p": [[-180, lo], [180, lo], [180, hi], [-180, hi]]}], id="ocean",
                      get_polygon="p", get_fill_color=[234, 242, 250], pickable=False)
    world = pdk.Layer("GeoJsonLayer", load_world(), id="world", stroked=True, filled=True,
                      get_fill_color=[225, 228, 235], get_line_color=[150, 150, 160], line_width_min_pixels=0.5,
                      pickable=False)
    return [ocean, world]


def candidate_layers() -> list[pdk.Layer]:
    """Pickable candidate sites: the invisible grid (click anywhere) and the shipped cities."""
    h = GRID_STEP_DEG / 2
    grid = pdk.Layer("PolygonLayer", list(click_grid()), id="grid",
                     get_polygon=f"[[lon-{h},lat-{h}],[lon+{h},lat-{h}],[lon+{h},lat+{h}],[lon-{h},lat+{h}]]",
                     get_fill_color=[0, 0, 0, 1], stroked=False, pickable=True)
    cities = pdk.Layer("ScatterplotLayer", [dict(c, tip=f"{c['name']}: candidate site") for c in load_cities()],
                       id="cities", get_position=["lon", "lat"], get_fill_color=[110, 110, 120, 150],
                       get_radius=3, radius_units="'pixels'", radius_min_pixels=2, pickable=True)
    return [grid, cities]


def backbone_layer(scn: Scenario) -> pdk.Layer:
    """The scenario's display-only links (network.links), thin grey."""
    pos = _node_positions(scn)
    rows = [{"src": [pos[a][1], pos[a][0]], "dst": [pos[b][1], pos[b][0]]} for a, b in scn.network.links
            if a in pos and b in pos]
    return pdk.Layer("LineLayer", rows, id="backbone", get_source_position="src", get_target_position="dst",
                     get_color=[120, 120, 130, 120], get_width=1, width_units="'pixels'", pickable=False)


def node_layers(scn: Scenario, spans=None, selected: str | None = None,
                view: pdk.ViewState | None = None) -> list[pdk.Layer]:
    """Relay nodes, clients (dark rings), servers (GPU colour, size by memory) and their name labels
    (laid out not to overlap at `view`, the deck's initial view)."""
    servers, clients = server_rows(scn, spans), client_rows(scn)
    for row in servers + clients:  # labels clear their marker: above a server, below a client ring
        row["prefer"] = -(row["radius"] + LABEL_GAP_PX) if row["kind"] == "server" else row["radius"] + LABEL_GAP_PX
    place_labels(servers + clients, view)  # servers first: their labels carry the spans
    sel = [r for r in servers + clients if r["id"] == selected]
    relays = [{"id": x.id, "name": x.name, "lat": x.lat, "lon": x.lon, "tip": f"{x.name}: network site"}
              for x in scn.network.nodes]
    layers = [
        pdk.Layer("ScatterplotLayer", relays, id="relays", get_position=["lon", "lat"],
                  get_fill_color=list(NODE_COLOR) + [160], get_radius=3, radius_units="'pixels'", pickable=False),
        pdk.Layer("ScatterplotLayer", sel, id="selected", get_position=["lon", "lat"],
                  get_fill_color=list(SELECT_COLOR) + [200], get_radius=30, radius_units="'pixels'", pickable=False),
        pdk.Layer("ScatterplotLayer", servers, id="servers", get_position=["lon", "lat"],
                  get_fill_color="color", get_line_color=[40, 40, 40, 255], stroked=True,
                  line_width_min_pixels=1, get_radius="radius", radius_units="'pixels'", pickable=True),
        # clients are hollow rings drawn over the servers, so a client at a server's site stays visible
        pdk.Layer("ScatterplotLayer", clients, id="clients", get_position=["lon", "lat"],
                  get_line_color=list(CLIENT_COLOR) + [255], stroked=True, filled=False, get_radius="radius",
                  radius_units="'pixels'", line_width_min_pixels=3, pickable=True),
        _text_layer(servers, id="labels", get_position=["lon", "lat"],
                    get_text="label", get_size=12, get_color=[30, 30, 30], get_pixel_offset="offset",
                    get_alignment_baseline="'center'", pickable=False),
        _text_layer(clients, id="client_labels", get_position=["lon", "lat"],
                    get_text="label", get_size=12, get_color=[30, 30, 30], get_pixel_offset="offset",
                    get_alignment_baseline="'center'", pickable=False),
    ]
    return layers


def link_layers(scn: Scenario, node_id: str) -> list[pdk.Layer]:
    """Lines from the selected node to the nodes it talks to, labelled with the raw RTT in ms."""
    by_id = {x.id: x for x in (*scn.servers, *scn.clients)}
    if node_id not in by_id:
        return []
    a = by_id[node_id]
    rows = []
    for r in rtt_rows(scn, node_id):
        spoke = r["kind"] != "server" or any(c.id == node_id for c in scn.clients)
        rows.append({"src": [a.lon, a.lat], "dst": [r["lon"], r["lat"]],
                     "mid": [(a.lon + r["lon"]) / 2, (a.lat + r["lat"]) / 2],
                     "text": f"{r['raw_rtt_ms']:.1f} ms",
                     "color": [200, 30, 30, 220] if spoke else [120, 120, 130, 140], "width": 3 if spoke else 1})
    return [
        pdk.Layer("LineLayer", rows, id="links", get_source_position="src", get_target_position="dst",
                  get_color="color", get_width="width", width_units="'pixels'", pickable=False),
        _text_layer([r for r in rows if r["width"] == 3], id="link_labels", get_position="mid", get_text="text",
                    get_size=13, get_color=[150, 20, 20], background=True,
                    get_background_color=[255, 255, 255, 220], pickable=False),
    ]


def pick_layer(lat: float, lon: float) -> pdk.Layer:
    """A marker at a picked candidate site (not yet added)."""
    return pdk.Layer("ScatterplotLayer", [{"lat": lat, "lon": lon}], id="pick", get_position=["lon", "lat"],
                     get_fill_color=[255, 255, 255, 0], get_line_color=[220, 20, 60, 255], stroked=True,
                     filled=False, get_radius=12, radius_units="'pixels'", line_width_min_pixels=3, pickable=False)


# --------------------------------------------------------------------------- decks

# A text tooltip (values are not HTML-escaped there, and "\n" breaks lines); every pickable row has `tip`.
TOOLTIP = {"text": "{tip}", "style": {"fontSize": "12px"}}


def cluster_deck(scn: Scenario, selected: str | None = None, spans=None, *, pick: tuple[float, float] | None = None,
                 candidates: bool = True, width_px: float = 700, height_px: float = 460) -> pdk.Deck:
    """The cluster map: world, candidate sites (if `candidates`), backbone, RTT links of `selected`, nodes.

    `spans` (per server, in scenario order or by id) labels servers with their half-open block span and
    greys out servers that hold nothing; `pick` marks a picked, not yet added, site. The initial view fits
    every node into a chart of about width_px x height_px.
    """
    layers = base_layers()
    if candidates:
        layers += candidate_layers()
    layers.append(backbone_layer(scn))
    if selected is not None:
        layers += link_layers(scn, selected)
    view = _view(scn, width_px, height_px)
    layers += node_layers(scn, spans, selected, view)
    if pick is not None:
        layers.append(pick_layer(*pick))
    return OfflineDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=TOOLTIP)


def wait_color(wait_ms: float, max_wait_ms: float) -> list[int]:
    """Green (no wait) to red (the largest wait of the run)."""
    f = 0.0 if max_wait_ms <= 0 else max(0.0, min(1.0, wait_ms / max_wait_ms))
    return [int(40 + 215 * f), int(170 * (1 - f) + 40), 60]


def chain_rows(scn: Scenario, records: Sequence, color_by: str = "request") -> list[dict]:
    """One row per hop of every request: the client->server spoke it pays (hub-spoke traffic, SPEC 2)."""
    if color_by not in ("request", "wait"):
        raise ValueError(f"color_by must be 'request' or 'wait', got {color_by!r}")
    pos = _node_positions(scn)
    max_wait = max((x.wait_ms for x in records), default=0.0)
    rows = []
    for x in records:
        c = pos[x.client]
        rgb = list(_REQUEST_PALETTE[x.r % len(_REQUEST_PALETTE)]) if color_by == "request" \
            else wait_color(x.wait_ms, max_wait)
        for hop, (sid, k) in enumerate(zip(x.path, x.k), start=1):
            s = pos[sid]
            rows.append({"r": x.r, "hop": hop, "server": sid, "k": k, "wait_ms": x.wait_ms,
                         "src": [c[1], c[0]], "dst": [s[1], s[0]], "pos": [s[1], s[0]], "rgb": rgb,
                         "text": f"hop {hop}: {k} blocks"})
    return rows


def chains_deck(scn: Scenario, records: Sequence, highlight: int | None = None,
                color_by: str = "request") -> pdk.Deck:
    """Request chains as client->server spokes (one per hop), coloured per request or by wait (ms).

    `highlight` (a request index r) draws that request's spokes wide, numbers its hops with the blocks
    processed there, and fades the others.
    """
    rows = chain_rows(scn, records, color_by)
    fade = highlight is not None
    for row in rows:
        row["color"] = row["rgb"] + [40 if fade else 140]
    layers = base_layers() + [backbone_layer(scn)]
    layers.append(pdk.Layer("LineLayer", rows, id="chains", get_source_position="src", get_target_position="dst",
                            get_color="color", get_width=2, width_units="'pixels'", pickable=False))
    if fade:
        hi = [dict(r, color=r["rgb"] + [255]) for r in rows if r["r"] == highlight]
        layers.append(pdk.Layer("LineLayer", hi, id="highlight", get_source_position="src",
                                get_target_position="dst", get_color="color", get_width=6, width_units="'pixels'",
                                pickable=False))
        layers.append(_text_layer(hi, id="hop_labels", get_position="pos", get_text="text", get_size=13,
                                  get_color=[20, 20, 20], get_pixel_offset=[0, 22], background=True,
                                  get_background_color=[255, 255, 255, 220], pickable=False))
    view = _view(scn)
    layers += node_layers(scn, view=view)
    return OfflineDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=TOOLTIP)


# --------------------------------------------------------------------------- selections

_PICK_ORDER = ("servers", "clients", "cities", "grid")


def picked(selection) -> dict | None:
    """What a pydeck selection state points at: a server, client, city or grid cell, or None.

    Returns {"kind": "server"|"client", "id", "name", "lat", "lon"} for a node and
    {"kind": "city"|"grid", "name", "lat", "lon"} for a candidate site. Accepts the PydeckState of
    st.pydeck_chart or the plain dict AppTest injects (item access only).
    """
    if not selection:
        return None
    try:
        objects = selection["selection"]["objects"] or {}
    except (KeyError, TypeError):
        return None
    for layer in _PICK_ORDER:
        rows = objects.get(layer) or []
        if not rows:
            continue
        o = rows[0]
        lat, lon = float(o["lat"]), float(o["lon"])
        if layer in ("servers", "clients"):
            return {"kind": layer[:-1], "id": o["id"], "name": o.get("name", o["id"]), "lat": lat, "lon": lon}
        name = o.get("name") if layer == "cities" else f"Site at {fmt_latlon(lat, lon)}"
        return {"kind": "city" if layer == "cities" else "grid", "name": name, "lat": lat, "lon": lon}
    return None
