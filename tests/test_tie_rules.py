"""Tie rules that reference mode depends on (SPEC 3.1, 3.4, 4.1): each test fails if its rule changes."""
from __future__ import annotations

from core.paths import dijkstra, path_to
from core.placement.cgbp import cgbp_core, lexmin_window, round_half_away
from core.routing.ledger import Ledger

import numpy as np


def test_dijkstra_equal_paths_keep_first_predecessor():
    # source 2 -> {0, 1} (weight 1 each) -> sink 3 (weight 1 each): equal cost; node 0 settles first
    adj = [[(3, 1.0)], [(3, 1.0)], [(0, 1.0), (1, 1.0)], []]
    dist, pred = dijkstra(4, adj, 2)
    assert dist[3] == 2.0
    assert path_to(pred, 2, 3) == [2, 0, 3]


def test_dijkstra_settles_lowest_number_among_equal_distances():
    # nodes 3 (reached first, straight from the source) and 1 (reached later, via 0) tie at distance 1;
    # the lower number settles first, so it relaxes the sink first and stays its predecessor.
    S, T = 4, 5
    adj = [[(1, 0.5)], [(T, 1.0)], [], [(T, 1.0)], [(0, 0.5), (3, 1.0)], []]
    dist, pred = dijkstra(6, adj, S)
    assert dist[1] == dist[3] == 1.0
    assert path_to(pred, S, T) == [S, 0, 1, T]


def test_dijkstra_strict_improvement_only():
    # a later, equally short path through node 1 must not replace the one through node 0
    adj = [[(2, 3.0)], [(2, 1.0)], [], [(0, 1.0), (1, 3.0)]]
    dist, pred = dijkstra(4, adj, 3)
    assert dist[2] == 4.0 and pred[2] == 0


def test_round_half_away_from_zero():
    assert round_half_away(2.5) == 3 and round_half_away(3.5) == 4 and round_half_away(2.4999) == 2


def test_lexmin_window_ties_keep_smallest_start():
    assert lexmin_window(np.zeros(10), 3) == 0
    assert lexmin_window(np.array([5.0, 0, 0, 5, 0, 0, 5]), 2) == 1
    # sorted windows [0,1] < [0,2]: window starting at 2 ([1,0]) beats window 0 ([0,2])
    assert lexmin_window(np.array([0.0, 2, 1, 0]), 2) == 2


def _core(memory, tau, t, L=10, R=1, cap=None):
    return cgbp_core(memory, tau, t, cap or [None] * len(memory), L, 1.0, 0.01, R)


def test_cgbp_order_is_stable_on_equal_t_tilde():
    res = _core([5.5, 5.5, 5.5], [1.0, 1.0, 1.0], [10.0, 10.0, 10.0])
    assert res["order"] == [0, 1, 2]


def test_cgbp_phase1_equal_sums_keep_smallest_start_then_fills_the_gap():
    # three identical 5-block servers on a 10-block model: the first takes [0,5), the second the gap [5,10)
    res = _core([5.5, 5.5, 5.5], [1.0, 1.0, 1.0], [10.0, 10.0, 10.0])
    assert res["m"] == [5, 5, 5]
    assert res["start"][:2] == [0, 5]
    assert res["K"] == 2
    # phase 2 for the third server: every block has the same capacity, all windows tie, start 0 wins
    assert res["start"][2] == 0


def test_cgbp_phase2_prefers_lexicographically_smallest_capacities():
    # 4-block model; two 2-block servers cover it, a third 1-block server goes where capacity is least:
    # give the second server more sessions (more memory) so blocks 2-3 have more capacity than 0-1.
    res = cgbp_core([2.5, 3.0, 1.6], [1.0, 1.0, 1.0], [1.0, 1.0, 10.0], [None, None, None], 4, 1.0, 0.01, 1)
    assert res["m"] == [2, 2, 1]
    assert res["start"][:2] == [0, 2]
    assert res["max_sessions"][0] < res["max_sessions"][1]
    assert res["start"][2] == 0


def test_cgbp_bound_formula():
    res = _core([5.5, 5.5], [1.0, 1.0], [10.0, 10.0])
    # t~ = (10 + 1*5)/5 = 3 each; K = 2; bound = 3*5 + 3*5 - tau*(10 - 10) = 30
    assert res["bound"] == 30.0


def test_cgbp_uses_farthest_client_for_t_tilde():
    # default mode: derive() gives t_max over clients; here two servers where the far client flips the order
    t_near, t_far = [10.0, 20.0], [40.0, 20.0]
    t_max = [max(a, b) for a, b in zip(t_near, t_far)]
    res = _core([5.5, 5.5], [1.0, 1.0], t_max)
    assert res["order"] == [1, 0]


def test_ledger_waits_release_in_completion_order_stable_by_request():
    led = Ledger([10])
    led.admit(0, [0], [4], 50.0)
    led.admit(1, [0], [4], 30.0)
    led.admit(2, [0], [2], 30.0)
    assert led.ready_time(0, 0, 10.0) == 10.0
    assert led.ready_time(0, 3, 10.0) == 30.0       # releasing request 1 (done at 30) frees 4
    assert led.ready_time(0, 9, 10.0) == 50.0
    assert led.ready_time(0, 11, 10.0) is None      # more than the server has
    assert led.concurrent(29.0) == 3 and led.concurrent(30.0) == 1
