"""Shortest paths on the routing graph with the reference's tie rules (SPEC 3.4).

Nodes are servers 0..J-1 in scenario order, then the source (J) and the sink (J+1). Each step settles the
unvisited node of least distance, ties to the lowest number; neighbours are relaxed in increasing number
order and only on a strictly smaller distance, so among equal paths the first predecessor found stays.
The heap key (dist, node) gives exactly the "lowest number among equals" rule.
"""
from __future__ import annotations

import heapq
import math


def dijkstra(n_nodes: int, adj: list[list[tuple[int, float]]], source: int) -> tuple[list[float], list[int]]:
    """Distances and predecessors from `source`; adj[u] lists (v, weight) with v increasing."""
    dist = [math.inf] * n_nodes
    pred = [-1] * n_nodes
    done = [False] * n_nodes
    dist[source] = 0.0
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if done[u] or d != dist[u]:
            continue
        done[u] = True
        for v, w in adj[u]:
            if done[v]:
                continue
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = u
                heapq.heappush(heap, (nd, v))
    return dist, pred


def path_to(pred: list[int], source: int, target: int) -> list[int] | None:
    """Node sequence source..target from a predecessor array, or None when target is unreachable."""
    if target != source and pred[target] < 0:
        return None
    out = [target]
    while out[-1] != source:
        out.append(pred[out[-1]])
    return out[::-1]


def span_shortest(start, end, L: int, cost, sink_cost) -> tuple[float, list[int] | None]:
    """Shortest source -> sink chain on a span graph, with exactly Dijkstra's choices (SPEC 3.4).

    Valid when the cost of stepping into server j depends only on j and k = blocks processed there
    (`cost(j, k)`, None for no edge), as for CG-BPRR and WS-RR; `sink_cost(j)` for leaving a last server.
    Servers are taken in order of span end, and for each the best predecessor among all servers ending at
    block e is kept: O(sum of span lengths) instead of O(edges). Tie rule: Dijkstra settles nodes by
    (distance, number) and keeps the first-settled predecessor among equal candidates, so each choice
    here minimises (candidate, predecessor distance, predecessor number) - the same node.
    Returns (distance to the sink, server path) or (inf, None).
    """
    J = len(start)
    source = J
    best: list[tuple[float, int] | None] = [None] * (L + 1)
    best[0] = (0.0, source)
    dist = [math.inf] * J
    pred = [-1] * J
    for j in sorted((j for j in range(J) if end[j] > start[j]), key=lambda j: end[j]):
        e_j = end[j]
        choice = None
        for e in range(start[j], e_j):
            b = best[e]
            if b is None:
                continue
            w = cost(j, e_j - e)
            if w is None:
                continue
            key = (b[0] + w, b[0], b[1])
            if choice is None or key < choice:
                choice = key
        if choice is None:
            continue
        dist[j], pred[j] = choice[0], choice[2]
        if best[e_j] is None or (dist[j], j) < best[e_j]:
            best[e_j] = (dist[j], j)
    final = None
    for j in range(J):
        if end[j] == L and dist[j] < math.inf:
            key = (dist[j] + sink_cost(j), dist[j], j)
            if final is None or key < final:
                final = key
    if final is None:
        return math.inf, None
    path = [final[2]]
    while pred[path[-1]] != source:
        path.append(pred[path[-1]])
    return final[0], path[::-1]
