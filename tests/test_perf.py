"""The performance model's formulas (SPEC 2) against numbers worked out by hand from the paper's constants."""
from __future__ import annotations

import math

import pytest

from core import perf
from core.presets import BLOOM_176B
from core.scenario import Linear


def test_block_and_cache_size_bloom():
    assert perf.block_gb(BLOOM_176B) == pytest.approx(1.3233976672, rel=1e-12)
    # 2 * 14336 * (20 + 128) * 2 bytes / 1e9
    assert perf.cache_gb(BLOOM_176B, 20, 128) == pytest.approx(0.008486912, rel=1e-12)


@pytest.mark.parametrize("memory, blocks", [(86.13, 53), (79.14, 49), (9.1, 4)])
def test_petals_block_count(memory, blocks):
    assert perf.petals_num_blocks(memory, BLOOM_176B, perf.block_gb(BLOOM_176B), 70) == blocks


def test_petals_block_count_capped_by_model():
    assert perf.petals_num_blocks(10_000, BLOOM_176B, perf.block_gb(BLOOM_176B), 70) == 70


def test_cgbp_block_count_and_sessions():
    s_m, s_c = 1.3233976672, 0.008486912
    assert perf.cgbp_num_blocks(86.13, s_m, s_c, 9, 70) == 61          # 86.13 / 1.39978 = 61.5
    assert perf.max_sessions(86.13, s_m, s_c, 61) == 10                # (86.13 - 80.727) / 0.5177
    assert perf.residual_cache_slots(86.13, s_m, s_c, 61) == 636


def test_link_cost_matches_worked_example():
    # case01, server s2: t_in 112.196, t 131.098, tau_in 34.476, tau 3.2197, 61 blocks, l_out 128
    c = perf.link_cost(112.196, 131.098, 34.476, 3.2197, 61, 128)
    assert c == pytest.approx(112.196 + 127 * 131.098 + (34.476 + 127 * 3.2197) * 61, rel=1e-12)
    assert perf.first_token_cost(112.196, 34.476, 61) == pytest.approx(112.196 + 34.476 * 61)
    assert perf.link_cost(1, 1, 1, 1, 1, 128, wait=5.0) == pytest.approx(5 + 128 + 128)


def test_backoff_schedule():
    assert perf.backoff_ms(0) == 0
    assert perf.backoff_ms(1) == 1000
    assert perf.backoff_ms(1000.0001) == 3000
    cumulative = [1, 3, 7, 15, 31, 63, 123, 183, 243]
    for lo, hi in zip([0] + cumulative, cumulative):
        assert perf.backoff_ms(lo * 1000 + 0.5) == hi * 1000
        assert perf.backoff_ms(hi * 1000) == hi * 1000


def test_chain_arithmetic():
    start, end = [0, 3, 5], [4, 8, 10]
    assert perf.hop_blocks(start, end, [0, 1, 2]) == [4, 4, 2]
    assert perf.chain_feasible(start, end, [0, 1, 2], 10)
    assert perf.chain_feasible(start, end, [0, 2], 10) is False      # block 4 is not held by s2 (starts at 5)
    assert perf.chain_feasible(start, end, [0, 1], 10) is False      # stops at block 8
    assert perf.chain_feasible(start, end, [1, 2], 10) is False      # does not hold block 0


def test_linear_values():
    assert perf.value_at(Linear(0.7049, 67), 20) == pytest.approx(81.098)
    assert perf.value_at(5.0, 20) == 5.0


def test_petals_throughput():
    assert perf.petals_throughput(20829.38, 3020.37, 53) == pytest.approx(min(20829.38 / 27, 3020.37))
    assert perf.petals_throughput(100.0, 3.0, 1) == 3.0
    assert math.isclose(perf.petals_throughput(2757.72, 3138.10, 4), 2757.72 / 2.5)


def test_vectorised_rtts_equal_the_pairwise_model():
    from core import scenario
    from tests.helpers import SAMPLES

    scn = scenario.load(str(SAMPLES / "teaching_small.json"))
    d = perf.derive(scn)
    for i, a in enumerate(scn.servers):
        for j, b in enumerate(scn.servers):
            assert d.raw_ss[i][j] == pytest.approx(perf.raw_rtt_between(scn, a, b), rel=1e-12, abs=1e-12)
        assert d.raw_cs[0][i] == pytest.approx(perf.raw_rtt_between(scn, scn.clients[0], a), rel=1e-12)
