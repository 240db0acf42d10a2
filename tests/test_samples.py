"""sample_clusters/: every file validates and simulates; generated files equal a fresh regeneration."""
from __future__ import annotations

import importlib.util
import json
import math
import time

import pytest

from tests.helpers import ROOT, SAMPLES, run_cli
from core import api, catalog, derive, geo, scenario, topology

FILES = sorted(SAMPLES.glob("*.json"))
POLICIES = ("proposed", "petals", "petals-opt-order", "petals-opt-num")


def _make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "tools" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    return _make_samples()


@pytest.fixture(scope="module")
def generated(gen):
    return gen.build_all()


def test_expected_samples_exist():
    names = {p.name for p in FILES}
    assert "teaching_small.json" in names
    assert sum(n.startswith("paper_clustered_") for n in names) == 3
    assert {"paper_scattered_abovenet.json", "paper_scattered_bellcanada.json",
            "paper_scattered_gtsce.json", "world_swarm_llama2_70b.json"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_validates_with_the_cli(path):
    r = run_cli("validate", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: ")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_simulates_under_every_policy(path):
    scn = scenario.load(str(path))
    assert scn.name and len(scn.description) > 80
    t0 = time.perf_counter()
    out = api.compare(scn, POLICIES)
    assert time.perf_counter() - t0 < 5.0  # a few seconds at most, GTS-CE included
    for pol in POLICIES:
        row = out["rows"][pol]
        assert "error" not in row, f"{path.name} {pol}: {row.get('error')}"
        assert row["n_requests"] == scn.workload.n_requests and row["avg_per_token_ms"] > 0


def test_generated_files_equal_a_fresh_regeneration(gen, generated):
    for fname, obj in generated.items():
        assert (SAMPLES / fname).read_text(encoding="utf-8") == gen.render(obj), f"{fname} is stale"


def test_regeneration_is_deterministic(gen, generated):
    again = gen.build_all()
    assert list(again) == list(generated)
    for fname in generated:
        assert gen.render(again[fname]) == gen.render(generated[fname])


def test_check_mode_detects_a_stale_file(gen, tmp_path):
    assert gen.main(["--out", str(tmp_path)]) == 0
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0
    victim = tmp_path / "paper_scattered_abovenet.json"
    victim.write_text(victim.read_text().replace('"seed": 2512', '"seed": 1'))
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1


# --------------------------------------------------------------------------- clustered testbed

def test_clustered_testbed_constants_and_rtts():
    for path in SAMPLES.glob("paper_clustered_*.json"):
        scn = scenario.load(str(path))
        gpus = [s.gpu for s in scn.servers]
        assert gpus.count("A100") == 2 and gpus.count("MIG") == 7
        assert scn.workload.l_in == 10 and scn.policy.initial_delay_ms == 100 and scn.policy.mode == "reference"
        assert scn.network.per_token_overhead_ms == 50 and scn.network.prefill_overhead_ms == 55
        for s in scn.servers:
            if s.gpu == "A100":
                assert (s.memory_gb, s.tau_ms, s.tau_in_ms) == (79.138427734375, 2.2197, pytest.approx(2.2197 + 5))
            else:
                assert (s.memory_gb, s.tau_ms, s.max_blocks) == (9.1, 16.2488, 4)
                assert s.tau_in_ms == pytest.approx(16.2488 + 35)
        d = derive(scn)
        rtts = sorted({round(x, 9) for row in d.raw_ss for x in row} | {round(x, 9) for x in d.raw_cs[0]})
        assert set(rtts) <= {0.0, 5.0, 100.0}
        ids = {s.id for s in scn.servers} | {"c0"}
        pairs = {(a, b) for a, row in scn.network.rtt_ms.items() for b in row}
        assert all((a, b) in pairs or (b, a) in pairs for a in ids for b in ids if a < b)  # every pair explicit


def test_clustered_client_at_migs_reproduces_golden_case13_placement():
    scn = scenario.load(str(SAMPLES / "paper_clustered_client_at_migs.json"))
    want = json.loads((ROOT / "tests" / "golden" / "case13.out.json").read_text())
    p = api.place(scn, "cgbp")
    assert [a + 1 for a in p.start] == want["cgbp"]["a"]
    assert [e - a for a, e in zip(p.start, p.end)] == want["cgbp"]["m"]
    assert p.info["R"] == want["R"]["value"] and p.info["K"] == want["cgbp"]["K"]
    assert p.info["bound_ms"] == pytest.approx(want["cgbp"]["bound_ms"], rel=1e-9)


def test_client_location_changes_the_result():
    rows = {}
    for where in ("at_a100s", "at_migs", "remote"):
        scn = scenario.load(str(SAMPLES / f"paper_clustered_client_{where}.json"))
        rows[where] = api.place(scn, "cgbp").info["t_tilde_ms"]
    assert len({tuple(v) for v in rows.values()}) == 3


# --------------------------------------------------------------------------- scattered backbones

BACKBONE_FILES = {"abovenet": "paper_scattered_abovenet.json", "bellcanada": "paper_scattered_bellcanada.json",
                  "gtsce": "paper_scattered_gtsce.json"}


@pytest.mark.parametrize("key", sorted(BACKBONE_FILES))
def test_scattered_sample_follows_the_paper_setting(key):
    topo = topology.load(key)
    scn = scenario.load(str(SAMPLES / BACKBONE_FILES[key]))
    n = len(topo.sites)
    assert len(scn.servers) == math.floor(0.4 * n + 0.5)
    assert sum(s.gpu == "A100" for s in scn.servers) == math.floor(0.2 * len(scn.servers) + 0.5)
    assert len(scn.clients) == 1 and scn.policy.mode == "reference"
    assert len(scn.servers) + 1 + len(scn.network.nodes) == n
    assert len(scn.network.links) == len(topo.links)
    for s in scn.servers:
        ref = catalog.performance(s.gpu, "bloom-176b", "nf4")
        assert (s.memory_gb, s.tau_ms) == (ref.memory_gb.value, ref.tau_ms.value)
    assert scn.workload.l_in == 20 and scn.policy.initial_delay_ms == 70
    assert scn.network.per_token_overhead_ms == 100


@pytest.mark.parametrize("key", sorted(BACKBONE_FILES))
def test_scattered_rtts_are_twice_the_shortest_propagation_delay(key):
    topo = topology.load(key)
    scn = scenario.load(str(SAMPLES / BACKBONE_FILES[key]))
    at = {(round(s.lat, 6), round(s.lon, 6)): s.id for s in topo.sites}
    ends = list(scn.servers) + list(scn.clients)
    site = {x.id: at[(round(x.lat, 6), round(x.lon, 6))] for x in ends}
    checked = 0
    for a in ends[::7] + [scn.clients[0]]:  # a spread of sources keeps this fast on GTS-CE
        dist = topology.propagation_ms(topo, site[a.id])
        for b in ends:
            if a.id == b.id or (a.id.startswith("c") and b.id.startswith("c")):
                continue
            got = scn.network.rtt_ms.get(a.id, {}).get(b.id, scn.network.rtt_ms.get(b.id, {}).get(a.id))
            assert got == pytest.approx(2 * dist[site[b.id]], abs=1e-4), (a.id, b.id)
            checked += 1
    assert checked >= len(scn.servers)


@pytest.mark.parametrize("key", sorted(BACKBONE_FILES))
def test_estimated_positions_are_flagged_in_names(key):
    topo = topology.load(key)
    scn = scenario.load(str(SAMPLES / BACKBONE_FILES[key]))
    flag = " (position estimated)"
    everything = list(scn.servers) + list(scn.clients) + list(scn.network.nodes)
    flagged = [x.name for x in everything if flag in x.name]
    assert len(flagged) == len(topo.estimated)
    for s in topo.estimated:  # with the count above, no measured site carries the flag
        assert any(n.startswith(s.label) and n.endswith(flag) for n in flagged), s.label
    if topo.estimated:
        assert "position estimated" in scn.description


# --------------------------------------------------------------------------- world swarm and teaching

def test_world_swarm_uses_flagged_catalog_estimates():
    scn = scenario.load(str(SAMPLES / "world_swarm_llama2_70b.json"))
    assert scn.model.preset == "llama-2-70b" and scn.policy.mode == "default"
    assert len(scn.clients) >= 3 and len({c.share for c in scn.clients}) > 1
    gpus = {s.gpu for s in scn.servers}
    assert {"RTX3090", "RTX4090"} <= gpus and len(gpus & {"H100", "A100", "A10G", "L4", "T4"}) >= 3
    # four continents: the Americas, Europe, Asia, Oceania
    regions = {("oceania" if s.lat < -10 and s.lon > 100 else "asia" if s.lon > 60 else
                "europe" if s.lon > -25 else "americas") for s in scn.servers}
    assert regions == {"americas", "europe", "asia", "oceania"}
    assert "ESTIMATED" in scn.description
    for s in scn.servers:
        est = catalog.performance(s.gpu, "llama-2-70b", "nf4")
        assert est.estimated and "est." in s.name
        assert s.tau_ms == pytest.approx(est.tau_ms.value, abs=1e-4)
        assert s.forward_rps and s.network_rps
    assert (scn.network.inflation, scn.network.base_ms) == (geo.ROUTE_INFLATION, geo.BASE_MS)


def test_teaching_example_shows_a_clear_difference():
    scn = scenario.load(str(SAMPLES / "teaching_small.json"))
    assert 3 <= len(scn.servers) <= 5
    cg, pt = api.place(scn, "cgbp"), api.place(scn, "petals")
    assert (cg.start, cg.end) != (pt.start, pt.end)
    rows = api.compare(scn, ("proposed", "petals"))["rows"]
    assert rows["proposed"]["avg_per_token_ms"] < 0.8 * rows["petals"]["avg_per_token_ms"]
