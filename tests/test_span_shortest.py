"""span_shortest must choose exactly what Dijkstra with the reference tie rules chooses (SPEC 3.4)."""
from __future__ import annotations

import random

import pytest

from core.paths import dijkstra, path_to, span_shortest
from core.routing.graph import build_graph


@pytest.mark.parametrize("seed", range(60))
def test_same_path_and_cost_as_dijkstra(seed):
    rng = random.Random(seed)
    L = rng.randint(3, 12)
    J = rng.randint(2, 9)
    start, end = [], []
    for _ in range(J):
        m = rng.randint(0, L)
        a = rng.randint(0, L - m)
        start.append(a)
        end.append(a + m)
    # small integer weights make equal-cost chains (the tie rules' business) common
    node_w = [rng.choice([1.0, 2.0, 3.0]) for _ in range(J)]
    blk_w = [rng.choice([0.0, 1.0]) for _ in range(J)]
    sink_w = [rng.choice([1.0, 2.0]) for _ in range(J)]
    cost = lambda j, k: node_w[j] + blk_w[j] * k  # noqa: E731
    g = build_graph(start, end, L)
    adj = [[(v, sink_w[u] if v == g.sink else cost(v, k)) for v, k in row] for u, row in enumerate(g.out)]
    dist, pred = dijkstra(J + 2, adj, g.source)
    want = path_to(pred, g.source, g.sink)
    got_cost, got = span_shortest(start, end, L, cost, lambda j: sink_w[j])
    if want is None:
        assert got is None
    else:
        assert got == want[1:-1]
        assert got_cost == dist[g.sink]
