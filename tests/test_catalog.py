"""GPU and model catalogues: estimates reproduce the measured A100/MIG figures, everything else is flagged."""
from __future__ import annotations

import pytest

from core import catalog, perf, scenario
from core.errors import ScenarioError
from core.scenario import Linear

# SPEC 2.2, measured by the paper's authors on BLOOM-176B NF4
MEASURED = {
    "A100": {"tau": 3.2197, "tau_in": Linear(0.0743, 32.99), "forward_rps": 20829.38, "memory": 86.13},
    "MIG": {"tau": 16.2488, "tau_in": Linear(0.1041, 206.3547), "forward_rps": 2757.72, "memory": 9.1},
}
REQUIRED_GPUS = {"A100", "MIG", "H100", "L4", "T4", "RTX3090", "RTX4090", "A10G"}
REQUIRED_MODELS = {"bloom-176b", "llama-2-70b", "llama-3-8b", "falcon-180b"}


@pytest.mark.parametrize("g", sorted(MEASURED))
def test_estimate_reproduces_measured_tau(g):
    est = catalog.estimate(g, "bloom-176b", "nf4")
    want = MEASURED[g]
    assert est.tau_ms.estimated
    assert abs(est.tau_ms.value - want["tau"]) / want["tau"] <= 0.10
    for l_in in (10, 20, 50):
        got, ref = est.tau_in_ms.value.at(l_in), want["tau_in"].at(l_in)
        assert abs(got - ref) / ref <= 0.10, (g, l_in, got, ref)
    assert abs(est.forward_rps.value - want["forward_rps"]) / want["forward_rps"] <= 0.10


@pytest.mark.parametrize("g", sorted(MEASURED))
def test_measured_pairs_use_the_measurements(g):
    p = catalog.performance(g, "bloom-176b", "nf4")
    want = MEASURED[g]
    assert not p.estimated
    assert p.tau_ms.value == want["tau"] and p.tau_in_ms.value == want["tau_in"]
    assert p.memory_gb.value == want["memory"]
    assert p.forward_rps.value == pytest.approx(want["forward_rps"], abs=0.01)
    assert "BPRR" in p.tau_ms.source
    assert p.max_blocks == (4 if g == "MIG" else None)


def test_catalog_has_the_required_entries():
    assert REQUIRED_GPUS <= set(catalog.GPUS)
    assert REQUIRED_MODELS <= set(catalog.MODELS)
    for g in catalog.GPUS.values():
        assert g.memory_gib > 0 and g.bandwidth_gbps > 0 and g.peak_tflops > 0
        assert len(g.source) > 40, g.key  # every datasheet number cites where it comes from
    for m in catalog.MODELS.values():
        assert m.source and m.default_quant in m.quantisations
        assert set(m.quantisations) <= set(catalog.QUANT_BITS)


def test_every_other_pair_is_flagged_and_sourced():
    for g in catalog.GPUS:
        for mk, spec in catalog.MODELS.items():
            for q in spec.quantisations:
                p = catalog.performance(g, mk, q)
                figures = [p.tau_ms, p.tau_in_ms, p.forward_rps, p.memory_gb]
                assert all(f.source and f.unit for f in figures)
                measured = (g, mk, q) in catalog.MEASURED
                assert p.estimated is not measured, (g, mk, q)
                if not measured:
                    assert p.tau_ms.source.startswith("estimated")
                    assert p.tau_ms.value > 0 and p.tau_in_ms.value.at(20) > 0 and p.forward_rps.value > 0


def test_published_parameter_totals():
    # totals published for each checkpoint (blocks + embeddings + final norm); blocks come from the presets
    blocks = {k: catalog.MODELS[k].preset.n_blocks * catalog.MODELS[k].preset.params_per_block
              for k in catalog.MODELS}
    assert blocks["bloom-176b"] + 250880 * 14336 + 4 * 14336 == 176_247_271_424
    assert blocks["llama-2-70b"] + 2 * 32000 * 8192 + 8192 == 68_976_648_192
    assert blocks["llama-3-8b"] + 2 * 128256 * 4096 + 4096 == 8_030_261_248
    assert 176e9 < blocks["falcon-180b"] + 2 * 65024 * 14848 < 181e9  # "180B", untied head


@pytest.mark.parametrize("key,kv_heads,head_dim", [("llama-2-70b", 8, 128), ("llama-3-8b", 8, 128),
                                                   ("falcon-180b", 8, 64), ("bloom-176b", 112, 128)])
def test_kv_cache_per_block_matches_the_architecture(key, kv_heads, head_dim):
    m = catalog.MODELS[key].model()
    # keys and values, per KV head, 2 bytes each, for every token of the session
    assert perf.cache_gb(m, 20, 128) * 1e9 == pytest.approx(2 * kv_heads * head_dim * 2 * (20 + 128))


def test_quantisation_changes_block_bytes_only():
    spec = catalog.MODELS["llama-2-70b"]
    nf4, fp16 = spec.model("nf4"), spec.model("fp16")
    assert perf.block_gb(fp16) / perf.block_gb(nf4) == pytest.approx(16 / 4.25)
    assert (nf4.n_blocks, nf4.d_model, nf4.kv_groups) == (fp16.n_blocks, fp16.d_model, fp16.kv_groups)


def test_estimates_follow_the_hardware():
    taus = {g: catalog.estimate(g, "llama-2-70b").tau_ms.value for g in catalog.GPUS}
    bw = {g: catalog.GPUS[g].bandwidth_gbps for g in catalog.GPUS}
    for a in taus:
        for b in taus:
            if bw[a] > bw[b]:
                assert taus[a] < taus[b], (a, b)
    slope = {g: catalog.estimate(g, "llama-2-70b").tau_in_ms.value.per_token for g in ("H100", "A100", "T4")}
    assert slope["H100"] < slope["A100"] < slope["T4"]


def test_network_rps_reproduces_petals_measurement():
    bloom = catalog.MODELS["bloom-176b"].model()
    # the paper's A100 network_rps (3020.37 tokens/s) is a ~693 Mbit/s link at 16 bits x 14336 per token
    assert catalog.network_rps(bloom, 692.8).value == pytest.approx(3020.37, rel=0.01)
    with pytest.raises(ScenarioError, match="bandwidth_mbps"):
        catalog.network_rps(bloom, 0)


def test_unknown_keys_raise_clear_errors():
    with pytest.raises(ScenarioError, match="gpu: unknown GPU 'V100'; catalogued: A100"):
        catalog.performance("V100", "bloom-176b")
    with pytest.raises(ScenarioError, match="model: unknown model"):
        catalog.performance("A100", "gpt-5")
    with pytest.raises(ScenarioError, match="quantisation"):
        catalog.performance("A100", "llama-3-8b", "fp8")


def test_server_fields_make_a_valid_scenario():
    servers = []
    for k, g in enumerate(["H100", "RTX4090", "L4"]):
        p = catalog.performance(g, "llama-3-8b")
        net = catalog.network_rps(catalog.MODELS["llama-3-8b"].model(), 500)
        servers.append({"id": f"s{k}", "lat": 50.0 + k, "lon": 8.0, **catalog.server_fields(p, net)})
    scn = scenario.from_dict({"format": scenario.FORMAT, "name": "catalog", "model": {"preset": "llama-3-8b"},
                              "servers": servers, "clients": [{"id": "c0", "lat": 48.0, "lon": 2.0}]})
    assert [s.gpu for s in scn.servers] == ["H100", "RTX4090", "L4"]
    assert scn.model.n_blocks == 32
    rows = catalog.table()
    assert len(rows) == len(catalog.GPUS) * len(catalog.MODELS)
    assert sum(not r["estimated"] for r in rows) == 2  # only BLOOM NF4 on A100 and MIG is measured


@pytest.mark.parametrize("key", sorted(REQUIRED_MODELS))
def test_presets_round_trip(key):
    scn = scenario.from_dict({"format": scenario.FORMAT, "name": "p", "model": {"preset": key, "bits_per_param": 8},
                              "servers": [{"id": "s0", "lat": 0, "lon": 0, "gpu": "A100", "memory_gb": 500,
                                           "tau_ms": 1, "tau_in_ms": 1}],
                              "clients": [{"id": "c0", "lat": 0, "lon": 1}]})
    again = scenario.loads(scenario.dumps(scn))
    assert again.model == scn.model and again.model.bits_per_param == 8 and again.model.preset == key
