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
