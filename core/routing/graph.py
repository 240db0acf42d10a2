"""The routing graph of SPEC 3.3: servers, a source (J) and a sink (J+1); edges are feasible chain steps."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChainGraph:
    """Static structure of a placement's routing graph; edge weights are the router's business.

    out[u] lists (v, k) in increasing v: k is the number of blocks processed at v when stepping u -> v
    (0 for the edge into the sink).
    """

    J: int
    out: tuple

    @property
    def source(self) -> int:
        """Node number of the source."""
        return self.J

    @property
    def sink(self) -> int:
        """Node number of the sink."""
        return self.J + 1


def build_graph(start, end, L: int) -> ChainGraph:
    """Edges: source -> j if j starts at block 0; i -> j if start_j <= end_i < end_j; j -> sink if end_j == L."""
    J = len(start)
    s = np.asarray(start, dtype=np.int64)
    e = np.asarray(end, dtype=np.int64)
    holds = e > s
    out: list[list[tuple[int, int]]] = []
    for i in range(J):
        row: list[tuple[int, int]] = []
        if holds[i]:
            nxt = np.nonzero(holds & (s <= e[i]) & (e > e[i]))[0]
            row = [(int(j), int(e[j] - e[i])) for j in nxt]
            if e[i] == L:
                row.append((J + 1, 0))
        out.append(row)
    first = np.nonzero(holds & (s == 0))[0]
    out.append([(int(j), int(e[j])) for j in first])   # source
    out.append([])                                      # sink
    return ChainGraph(J, tuple(tuple(r) for r in out))
