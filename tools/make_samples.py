"""Regenerate the generated scenarios in sample_clusters/ from the topology files, the catalog and a seed.

    python3 tools/make_samples.py            # write the files
    python3 tools/make_samples.py --check    # exit 1 if a committed file differs from a fresh regeneration

Deterministic: random choices rank candidates by SHA-256 of (seed, purpose, node id), which no library
version changes, and every file is the canonical JSON of its validated scenario. teaching_small.json is
written by hand and not touched here.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import catalog, geo, scenario, topology  # noqa: E402
from core.presets import PAPER_DELAYS  # noqa: E402
from core.scenario import FORMAT  # noqa: E402

OUT = ROOT / "sample_clusters"
SEED = 2512  # arXiv 2512.21884
RTT_DECIMALS = 4  # 0.1 microsecond: far below any effect, keeps the files readable
GEO_INFLATION, GEO_BASE_MS = geo.ROUTE_INFLATION, geo.BASE_MS  # recommended geo RTT defaults (docs/catalog.md)


def _rank(seed: int, purpose: str, item) -> str:
    """A stable pseudo-random sort key for `item` (independent of Python and numpy versions)."""
    return hashlib.sha256(f"{seed}:{purpose}:{item}".encode()).hexdigest()


def _pick(seed: int, purpose: str, items: list, n: int) -> list:
    """n items chosen pseudo-randomly by the seed, returned in their original order."""
    chosen = set(sorted(items, key=lambda x: _rank(seed, purpose, x))[:n])
    return [x for x in items if x in chosen]


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _policy(mode: str, initial_delay_ms: float) -> dict:
    return {"R": None, "R_num_std": 1, "initial_delay_ms": initial_delay_ms,
            "alloc_delay_ms": {"proposed": PAPER_DELAYS["alloc_delay_proposed_ms"][0],
                               "petals": PAPER_DELAYS["alloc_delay_petals_ms"][0]},
            "petals_overhead_ms": PAPER_DELAYS["petals_overhead_ms"][0],
            "petals_penalty_ms": PAPER_DELAYS["petals_penalty_ms"][0],
            "petals_join_order": None, "mode": mode}


def _rtt_map(ids: list[str], matrix: list[list[float]]) -> dict:
    """Explicit raw RTTs for every pair i < j (symmetric, so one direction suffices)."""
    out: dict[str, dict[str, float]] = {}
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            out.setdefault(ids[i], {})[ids[j]] = round(matrix[i][j], RTT_DECIMALS)
    return out


# --------------------------------------------------------------------------- clustered testbed

CLUSTER_SITES = {  # display positions only: every RTT in these files is explicit
    "a100": ("Site A (2 A100 + local clients)", 40.4406, -79.9959),
    "mig": ("Site B (7 MIG + local clients)", 39.9612, -82.9988),
    "remote": ("Site C (clients only)", 41.8781, -87.6298),
}
INTRA_SITE_MS, INTER_SITE_MS = 5.0, 100.0


def _ring(lat: float, lon: float, k: int, n: int, radius_deg: float = 0.03) -> tuple[float, float]:
    """Spread co-located servers on a small ring so a map shows each of them."""
    a = 2 * math.pi * k / max(n, 1)
    return round(lat + radius_deg * math.sin(a), 4), round(lon + radius_deg * math.cos(a), 4)


def clustered(client_site: str) -> dict:
    """The paper's clustered testbed (FORMAT.md case 13 constants) with the client at one of three sites."""
    a100 = dict(catalog.server_fields(catalog.performance("A100", "bloom-176b", "nf4")))
    mig = dict(catalog.server_fields(catalog.performance("MIG", "bloom-176b", "nf4")))
    # The authors' clustered setting: l_in 10 with tau_in = tau + 5 (A100) / tau + 35 (MIG), A100 memory
    # 79.138427734375 GB (FORMAT.md case 13); MIG keeps 9.1 GB and its 4-block cap.
    a100.update(memory_gb=79.138427734375, tau_ms=2.2197, tau_in_ms=round(2.2197 + 5, 10))
    mig.update(tau_in_ms=round(16.2488 + 35, 10))
    servers, site_of = [], {}
    for k in range(7):  # MIGs first, then the A100s: the server order of the reference case
        lat, lon = _ring(*CLUSTER_SITES["mig"][1:], k, 7)
        servers.append({"id": f"s{k}", "name": f"MIG 1g.10gb #{k + 1} (site B)", "lat": lat, "lon": lon, **mig})
        site_of[f"s{k}"] = "mig"
    for k in range(2):
        lat, lon = _ring(*CLUSTER_SITES["a100"][1:], k, 2)
        sid = f"s{7 + k}"
        servers.append({"id": sid, "name": f"A100 80GB #{k + 1} (site A)", "lat": lat, "lon": lon, **a100})
        site_of[sid] = "a100"
    cname, clat, clon = CLUSTER_SITES[client_site]
    site_of["c0"] = client_site
    ids = [s["id"] for s in servers] + ["c0"]
    rtt = [[0.0 if a == b else (INTRA_SITE_MS if site_of[a] == site_of[b] else INTER_SITE_MS) for b in ids]
           for a in ids]
    where = {"a100": "next to the two A100s (site A)", "mig": "next to the seven MIG slices (site B)",
             "remote": "at site C, which hosts clients only"}[client_site]
    return {
        "format": FORMAT,
        "name": f"Paper clustered testbed: client {where.split(' (')[0]}",
        "description": (
            "The paper's clustered testbed ([BPRR] Sun et al., arXiv 2512.21884): 2 A100 80GB at site A and "
            "7 A100 MIG 1g.10gb slices at site B serving BLOOM-176B (NF4); the client is " + where + ". "
            "Raw RTT 5 ms inside a site and 100 ms between sites, given explicitly for every pair (positions "
            "on the map are illustrative). Constants of the authors' clustered setting (golden case 13): "
            "l_in 10, per-token overhead 50 ms, prefill overhead 55 ms, initial delay 100 ms, A100 tau "
            "2.2197 ms with tau_in = tau + 5, MIG tau 16.2488 ms with tau_in = tau + 35, A100 memory "
            "79.138 GB, MIG 9.1 GB with at most 4 blocks. Reference mode."),
        "model": {"preset": "bloom-176b"},
        "servers": servers,
        "clients": [{"id": "c0", "name": cname.split(" (")[0] + " client", "lat": clat, "lon": clon,
                     "share": 1.0}],
        "network": {"rtt_ms": _rtt_map(ids, rtt), "per_token_overhead_ms": 50.0, "prefill_overhead_ms": 55.0},
        "workload": {"rate_per_s": 0.1, "n_requests": 100, "l_in": 10, "l_out": 128, "seed": 13},
        "policy": _policy("reference", 100.0),
    }


# --------------------------------------------------------------------------- scattered backbones

SERVER_FRACTION, A100_FRACTION = 0.4, 0.2


def scattered(key: str, seed: int = SEED, n_requests: int = 100, rate_per_s: float = 0.5) -> dict:
    """The paper's scattered setting on a real backbone: servers on 40% of the nodes, 20% of them A100."""
    topo = topology.load(key)
    flag = " (position estimated)"
    # Hyperedge pseudo-nodes stand for a shared medium, not a site: they relay traffic but host nothing.
    sites = [s.id for s in topo.sites if not s.hyperedge]
    n_servers = _round_half_up(SERVER_FRACTION * len(topo.sites))
    server_sites = _pick(seed, f"{key}:servers", sites, n_servers)
    a100_sites = set(_pick(seed, f"{key}:a100", server_sites, _round_half_up(A100_FRACTION * n_servers)))
    rest = [s for s in sites if s not in server_sites and not topo.site(s).estimated]
    client_site = _pick(seed, f"{key}:client", rest, 1)[0]

    label_count: dict[str, int] = {}
    for s in topo.sites:
        label_count[s.label] = label_count.get(s.label, 0) + 1

    def name(site: topology.Site, suffix: str = "") -> str:
        base = site.label if label_count[site.label] == 1 else f"{site.label} [node {site.id}]"
        return base + suffix + (flag if site.estimated else "")

    sid: dict[int, str] = {}
    servers = []
    for k, n in enumerate(server_sites):
        site = topo.site(n)
        kind = "A100" if n in a100_sites else "MIG"
        sid[n] = f"s{k}"
        servers.append({"id": sid[n], "name": name(site, f" {kind}"), "lat": site.lat, "lon": site.lon,
                        **catalog.server_fields(catalog.performance(kind, "bloom-176b", "nf4"))})
    csite = topo.site(client_site)
    sid[client_site] = "c0"
    nodes = []
    for site in topo.sites:
        if site.id not in sid:
            sid[site.id] = f"n{site.id}"
            nodes.append({"id": sid[site.id], "name": name(site), "lat": site.lat, "lon": site.lon})
    ends = server_sites + [client_site]
    rtt = topology.rtt_matrix(topo, ends)
    ids = [sid[n] for n in ends]
    estimated = [s for s in topo.sites if s.estimated]
    est_note = (f" {len(estimated)} node(s) have no coordinates in the Topology Zoo file and were placed at the "
                f"mean of their neighbours' positions ({'; '.join(s.label for s in estimated)}); their names say "
                f"\"(position estimated)\"." if estimated else "")
    n_a100 = len(a100_sites)
    return {
        "format": FORMAT,
        "name": f"Paper scattered: {topo.network} backbone ({n_a100} A100 + {len(servers) - n_a100} MIG)",
        "description": (
            f"The paper's scattered setting ([BPRR] Sun et al., arXiv 2512.21884) on the {topo.network} backbone "
            f"({len(topo.sites)} nodes, {len(topo.links)} links) from the {topology.ATTRIBUTION}. Servers on "
            f"{len(servers)} nodes (40% of the nodes, chosen with seed {seed}; hyperedge pseudo-nodes excluded), "
            f"{n_a100} of them A100 80GB (20%) and the rest A100 MIG 1g.10gb, serving BLOOM-176B (NF4); one "
            f"client at {csite.label}. Raw RTT = 2 x shortest-path propagation delay over the backbone links "
            f"(great-circle length of each link at 200 km/ms), given explicitly for every client-server and "
            f"server-server pair; the links and relay nodes are kept for display only.{est_note} Paper "
            f"constants: A100 86.13 GB, MIG 9.1 GB with at most 4 blocks, l_in 20, per-token overhead 100 ms, "
            f"prefill overhead 0.7049 l_in + 67 ms, initial delay 70 ms. Reference mode. Regenerate with "
            f"tools/make_samples.py."),
        "model": {"preset": "bloom-176b"},
        "servers": servers,
        "clients": [{"id": "c0", "name": name(csite, " client"), "lat": csite.lat, "lon": csite.lon,
                     "share": 1.0}],
        "network": {"rtt_ms": _rtt_map(ids, rtt), "per_token_overhead_ms": 100.0,
                    "prefill_overhead_ms": {"per_token": 0.7049, "fixed": 67.0},
                    "nodes": nodes, "links": [[sid[a], sid[b]] for a, b in topo.links]},
        "workload": {"rate_per_s": rate_per_s, "n_requests": n_requests, "l_in": 20, "l_out": 128,
                     "seed": seed},
        "policy": _policy("reference", 70.0),
    }


# --------------------------------------------------------------------------- world-wide volunteer swarm

CLOUD_MBPS, VOLUNTEER_MBPS = 1000.0, 200.0  # assumed links: datacentre uplink vs home upload
WORLD_SERVERS = [  # (city, lat, lon, GPU, volunteer?)
    ("Ashburn", 39.0438, -77.4874, "H100", False),
    ("The Dalles", 45.5946, -121.1787, "A100", False),
    ("Toronto", 43.6532, -79.3832, "RTX4090", True),
    ("Austin", 30.2672, -97.7431, "RTX3090", True),
    ("Frankfurt", 50.1109, 8.6821, "A10G", False),
    ("Berlin", 52.5200, 13.4050, "RTX4090", True),
    ("Helsinki", 60.1699, 24.9384, "RTX3090", True),
    ("London", 51.5074, -0.1278, "L4", False),
    ("Tokyo", 35.6762, 139.6503, "L4", False),
    ("Seoul", 37.5665, 126.9780, "RTX4090", True),
    ("Singapore", 1.3521, 103.8198, "T4", False),
    ("Sydney", -33.8688, 151.2093, "RTX3090", True),
]
WORLD_CLIENTS = [("New York", 40.7128, -74.0060, 0.4), ("Paris", 48.8566, 2.3522, 0.3),
                 ("Bangalore", 12.9716, 77.5946, 0.2), ("Melbourne", -37.8136, 144.9631, 0.1)]


def world_swarm() -> dict:
    """Llama-2-70B (NF4) on consumer and cloud GPUs across four continents; tau from the catalog estimate."""
    spec = catalog.model_spec("llama-2-70b")
    model = spec.model("nf4")
    servers = []
    for k, (city, lat, lon, g, volunteer) in enumerate(WORLD_SERVERS):
        perf = catalog.performance(g, spec.key, "nf4")
        fields = catalog.server_fields(perf, catalog.network_rps(model, VOLUNTEER_MBPS if volunteer else CLOUD_MBPS))
        for f in ("tau_ms", "forward_rps", "network_rps"):
            fields[f] = round(fields[f], 4)
        tin = fields["tau_in_ms"]
        fields["tau_in_ms"] = {"per_token": round(tin["per_token"], 6), "fixed": round(tin["fixed"], 4)}
        fields["memory_gb"] = round(fields["memory_gb"], 4)
        fields.pop("max_blocks", None)
        who = "volunteer" if volunteer else "cloud"
        servers.append({"id": f"s{k}", "name": f"{city} {catalog.GPUS[g].label} ({who}, tau est.)",
                        "lat": lat, "lon": lon, **fields})
    clients = [{"id": f"c{k}", "name": f"{city} client", "lat": lat, "lon": lon, "share": share}
               for k, (city, lat, lon, share) in enumerate(WORLD_CLIENTS)]
    return {
        "format": FORMAT,
        "name": "World-wide volunteer swarm: Llama-2-70B on consumer and cloud GPUs",
        "description": (
            "A PETALS-style public swarm serving Llama-2-70B in NF4 from 12 GPUs in North America, Europe, Asia "
            "and Oceania: volunteers' GeForce RTX 3090/4090 and cloud H100, A100, A10G, L4 and T4. tau, tau_in "
            "and forward_rps are ESTIMATED with the catalog's roofline model fitted to the paper's A100/MIG "
            "measurements (names say \"tau est.\"); memory is the datasheet capacity (the paper's 86.13 GB "
            "for the A100); network_rps assumes 1 Gbit/s for cloud servers and 200 Mbit/s for volunteers. "
            "Four clients share the load (New York 40%, Paris 30%, Bangalore 20%, Melbourne 10%). RTTs come "
            f"from geography: great-circle distance at 200 km/ms, route inflation {GEO_INFLATION:g}, plus "
            f"{GEO_BASE_MS:g} ms. Delays and "
            "overheads are the paper's calibrated defaults. Default mode."),
        "model": {"preset": "llama-2-70b"},
        "servers": servers,
        "clients": clients,
        "network": {"km_per_ms": 200.0, "inflation": GEO_INFLATION, "base_ms": GEO_BASE_MS,
                    "per_token_overhead_ms": 100.0, "prefill_overhead_ms": {"per_token": 0.7049, "fixed": 67.0}},
        "workload": {"rate_per_s": 0.2, "n_requests": 80, "l_in": 20, "l_out": 128, "seed": SEED},
        "policy": _policy("default", 70.0),
    }


# --------------------------------------------------------------------------- driver

def build_all() -> dict[str, dict]:
    """File name -> scenario object for every generated sample."""
    return {
        "paper_clustered_client_at_a100s.json": clustered("a100"),
        "paper_clustered_client_at_migs.json": clustered("mig"),
        "paper_clustered_client_remote.json": clustered("remote"),
        "paper_scattered_abovenet.json": scattered("abovenet"),
        "paper_scattered_bellcanada.json": scattered("bellcanada"),
        "paper_scattered_gtsce.json": scattered("gtsce", n_requests=100),
        "world_swarm_llama2_70b.json": world_swarm(),
    }


def render(obj: dict) -> str:
    """Validate and return the canonical JSON text of a scenario object (what the files hold)."""
    return scenario.dumps(scenario.from_dict(obj)) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the generated samples, or with --check report files that differ from a regeneration."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    ap.add_argument("--out", default=str(OUT), help="output folder (default sample_clusters/)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    stale = []
    for fname, obj in build_all().items():
        text = render(obj)
        path = out / fname
        if a.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(fname)
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if stale:
        print("out of date (run python3 tools/make_samples.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
