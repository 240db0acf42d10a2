"""Real backbone topologies (Internet Topology Zoo GML) and their propagation-delay RTTs.

Source: S. Knight, H. X. Nguyen, N. Falkner, R. Bowden, M. Roughan, "The Internet Topology Zoo", IEEE JSAC
29(9), 2011, topology-zoo.org; data licensed CC BY-SA 3.0 (keep this attribution with derived files).
The paper's scattered experiments follow Repetita (Gay et al. 2017): a link's delay is the great-circle
length of the link at fibre speed, and a client-server RTT is twice the shortest-path delay.

A few Topology Zoo nodes have no coordinates (hyperedge pseudo-nodes standing for a shared medium, and some
external sites); they are placed at the mean of their neighbours' positions and flagged `estimated`.
"""
from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ScenarioError
from .geo import great_circle_km

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "topologies"
ATTRIBUTION = ("Internet Topology Zoo (Knight et al., IEEE JSAC 29(9), 2011; topology-zoo.org), "
               "CC BY-SA 3.0")
FIBRE_KM_PER_MS = 200.0  # light in fibre, ~2/3 c (Repetita and SPEC 8.1 use the same figure)

# key -> (file, network name): the three backbones of the paper's scattered experiments
BACKBONES: dict[str, tuple[str, str]] = {
    "abovenet": ("Abvt.gml", "AboveNet"),
    "bellcanada": ("Bellcanada.gml", "Bell Canada"),
    "gtsce": ("GtsCe.gml", "GTS Central Europe"),
}


@dataclass(frozen=True)
class Site:
    """One topology node; `estimated` when its position was placed at its neighbours' mean."""

    id: int
    label: str
    lat: float
    lon: float
    country: str
    estimated: bool
    hyperedge: bool  # a Topology Zoo pseudo-node for a shared medium, not a city


@dataclass(frozen=True)
class Topology:
    """A backbone: sites in GML id order and undirected links as listed (parallel links kept)."""

    key: str
    network: str
    sites: tuple
    links: tuple  # (id, id) pairs, in file order
    source: str = ATTRIBUTION

    def site(self, node_id: int) -> Site:
        """The site with GML id `node_id`."""
        for s in self.sites:
            if s.id == node_id:
                return s
        raise ScenarioError("topology", f"{self.key} has no node {node_id}")

    @property
    def estimated(self) -> list[Site]:
        """Sites whose position was estimated from their neighbours."""
        return [s for s in self.sites if s.estimated]


# --------------------------------------------------------------------------- GML

_TOKEN = re.compile(r'\s*(?:(\[)|(\])|"([^"]*)"|([^\s\[\]"]+))')


def _tokens(text: str, where: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            line = text.count("\n", 0, pos) + 1
            raise ScenarioError(where, f"is not valid GML near line {line} (unterminated string?)")
        pos = m.end()
        if m.group(1):
            out.append(("open", None))
        elif m.group(2):
            out.append(("close", None))
        elif m.group(3) is not None:
            out.append(("str", m.group(3)))
        elif m.group(4) is not None:
            out.append(("word", m.group(4)))
    return out


def _number(word: str):
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def parse_gml(text: str, where: str = "topology") -> dict:
    """Parse GML into nested dicts; a repeated key (node, edge) becomes a list of its values."""
    toks = _tokens(text, where)
    stack: list[dict] = [{}]
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        if kind == "close":
            if len(stack) == 1:
                raise ScenarioError(where, "is not valid GML: ']' without a matching '['")
            stack.pop()
            i += 1
            continue
        if kind != "word" or i + 1 >= len(toks):
            raise ScenarioError(where, f"is not valid GML: expected a key, got {val!r}")
        key = str(val)
        vkind, v = toks[i + 1]
        if vkind == "open":
            child: dict = {}
            stack[-1].setdefault(key, []).append(child)
            stack.append(child)
        elif vkind == "close":
            raise ScenarioError(where, f"is not valid GML: key {key!r} has no value")
        else:
            stack[-1].setdefault(key, []).append(_number(v) if vkind == "word" else v)
        i += 2
    if len(stack) != 1:
        raise ScenarioError(where, "is not valid GML: a '[' is never closed")
    return stack[0]


def _one(d: dict, key: str, default=None):
    v = d.get(key)
    return default if not v else v[0]


def _mean_position(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean of points on the sphere (unit-vector mean), so the result is sane across the antimeridian."""
    x = y = z = 0.0
    for lat, lon in points:
        p, l = math.radians(lat), math.radians(lon)
        x += math.cos(p) * math.cos(l)
        y += math.cos(p) * math.sin(l)
        z += math.sin(p)
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-12:  # antipodal neighbours: no meaningful mean; take the first one
        return points[0]
    return math.degrees(math.asin(z / norm)), math.degrees(math.atan2(y, x))


def from_gml(text: str, key: str, network: str | None = None) -> Topology:
    """Build a Topology from GML text; nodes without coordinates get their neighbours' mean position."""
    where = f"topology {key}"
    doc = parse_gml(text, where)
    graphs = doc.get("graph")
    if not graphs or not isinstance(graphs[0], dict):
        raise ScenarioError(where, "has no 'graph [ ... ]' block")
    g = graphs[0]
    raw_nodes = g.get("node", [])
    if not raw_nodes:
        raise ScenarioError(where, "has no nodes")
    info: dict[int, dict] = {}
    for k, nd in enumerate(raw_nodes):
        nid = _one(nd, "id")
        if not isinstance(nid, int):
            raise ScenarioError(f"{where}.node[{k}].id", f"must be an integer, got {nid!r}")
        if nid in info:
            raise ScenarioError(f"{where}.node[{k}].id", f"duplicate node id {nid}")
        info[nid] = nd
    links = []
    for k, e in enumerate(g.get("edge", [])):
        a, b = _one(e, "source"), _one(e, "target")
        for end in (a, b):
            if end not in info:
                raise ScenarioError(f"{where}.edge[{k}]", f"refers to unknown node {end!r}")
        links.append((a, b))
    nbrs: dict[int, set[int]] = {n: set() for n in info}
    for a, b in links:
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    pos: dict[int, tuple[float, float]] = {}
    for n, nd in info.items():
        lat, lon = _one(nd, "Latitude"), _one(nd, "Longitude")
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            pos[n] = (float(lat), float(lon))
    measured = set(pos)
    # Placed in rounds from the positions known before each round, so the result is independent of id order.
    while len(pos) < len(info):
        new = {n: _mean_position([pos[m] for m in sorted(nbrs[n]) if m in pos])
               for n in sorted(info) if n not in pos and any(m in pos for m in nbrs[n])}
        if not new:
            missing = sorted(n for n in info if n not in pos)
            raise ScenarioError(where, f"nodes {missing} have no coordinates and no placed neighbour")
        pos.update(new)
    sites = []
    for n in sorted(info):
        nd = info[n]
        hyper = bool(_one(nd, "hyperedge", 0))
        label = str(_one(nd, "label", "") or "")
        if hyper or label in ("", "None"):
            label = f"hub {n}"
        sites.append(Site(id=n, label=label, lat=round(pos[n][0], 6), lon=round(pos[n][1], 6),
                          country=str(_one(nd, "Country", "") or ""), estimated=n not in measured,
                          hyperedge=hyper))
    name = network or str(_one(g, "Network", key))
    return Topology(key=key, network=name, sites=tuple(sites), links=tuple(links))


def load(name: str) -> Topology:
    """A backbone by key (abovenet, bellcanada, gtsce) from assets/topologies/, or a GML file path."""
    if name in BACKBONES:
        file, network = BACKBONES[name]
        path, key = ASSETS / file, name
    else:
        path, key, network = Path(name), Path(name).stem, None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        known = ", ".join(BACKBONES)
        raise ScenarioError("topology", f"cannot read {path}: {e.strerror} (known backbones: {known})") from None
    return from_gml(text, key, network)


# --------------------------------------------------------------------------- delays

def link_km(topo: Topology) -> list[float]:
    """Great-circle length of every link (km), in link order."""
    pos = {s.id: (s.lat, s.lon) for s in topo.sites}
    return [great_circle_km(*pos[a], *pos[b]) for a, b in topo.links]


def propagation_ms(topo: Topology, source: int, km_per_ms: float = FIBRE_KM_PER_MS) -> dict[int, float]:
    """One-way shortest-path propagation delay (ms) from `source` to every reachable site (Dijkstra)."""
    adj: dict[int, dict[int, float]] = {s.id: {} for s in topo.sites}
    for (a, b), km in zip(topo.links, link_km(topo)):
        ms = km / km_per_ms
        if a == b:
            continue
        if ms < adj[a].get(b, math.inf):  # parallel links: the shorter one carries the traffic
            adj[a][b] = adj[b][a] = ms
    if source not in adj:
        raise ScenarioError("topology", f"{topo.key} has no node {source}")
    dist = {source: 0.0}
    heap = [(0.0, source)]
    done: set[int] = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for v, w in adj[u].items():
            nd = d + w
            if nd < dist.get(v, math.inf):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def rtt_matrix(topo: Topology, ids: list[int], km_per_ms: float = FIBRE_KM_PER_MS) -> list[list[float]]:
    """Raw RTT (ms) between the given sites: twice the shortest-path propagation delay."""
    out = []
    for a in ids:
        dist = propagation_ms(topo, a, km_per_ms)
        row = []
        for b in ids:
            if b not in dist:
                raise ScenarioError("topology", f"{topo.key}: node {b} is not reachable from node {a}")
            row.append(2.0 * dist[b])
        out.append(row)
    return out
