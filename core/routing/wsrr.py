"""WS-RR: waiting-penalised shortest-path request routing ([BPRR]; SPEC 3.3), and offline CG-BPRR routing.

Edge cost into j = w(j, k) + C_j(k), with w the wait for k free cache slots on j; the sink edge costs a
placeholder 1 (the reference treats weight 0 as "no edge"), subtracted from the reported path cost.
"""
from __future__ import annotations

from .. import perf
from ..paths import dijkstra, path_to
from ..perf import Derived
from ..placement.base import Placement
from ..scenario import Scenario
from .base import Chain, Request, register_router
from .graph import build_graph

SINK_PLACEHOLDER = 1.0


class WSRR:
    """Online router: reads the ledger for waits (or ignores them when `offline`)."""

    def __init__(self, d: Derived, placement: Placement, offline: bool = False):
        self.d = d
        self.g = build_graph(placement.start, placement.end, d.L)
        self.offline = offline

    def route(self, req: Request, t: float, ledger) -> Chain | None:
        """Shortest chain under the waiting-penalised edge costs at time t."""
        d, g, c, lo = self.d, self.g, req.client, req.l_out
        adj, cost1, waits = [], {}, {}
        for u, row in enumerate(g.out):
            edges = []
            for v, k in row:
                if v == g.sink:
                    edges.append((v, SINK_PLACEHOLDER))
                    continue
                tw = t if self.offline else ledger.ready_time(v, k * req.slot_scale, t)
                if tw is None:
                    continue  # more slots than the server has: no such edge
                w = tw - t
                # (w + network) + compute: the reference's order of additions, which decides exact ties
                a, b = perf.link_cost_terms(d.t_in[c][v], d.t[c][v], d.tau_in[v], d.tau[v], k, lo)
                edges.append((v, (w + a) + b))
                cost1[(u, v)] = perf.first_token_cost(d.t_in[c][v], d.tau_in[v], k, w)
                waits[(u, v)] = w
            adj.append(edges)
        dist, pred = dijkstra(g.J + 2, adj, g.source)
        nodes = path_to(pred, g.source, g.sink)
        if nodes is None:
            return None
        weight = {(u, v): w for u, row in enumerate(adj) for v, w in row}
        hops = list(zip(nodes[:-2], nodes[1:-1]))
        time_terms, ttft_terms = [], []
        for u, v in hops:
            time_terms += [weight[(u, v)], -waits[(u, v)]]
            ttft_terms += [cost1[(u, v)], -waits[(u, v)]]
        servers = tuple(nodes[1:-1])
        k = tuple(dict(g.out[u])[v] for u, v in hops)
        return Chain(servers, k, dist[g.sink] - SINK_PLACEHOLDER, tuple(time_terms), tuple(ttft_terms))


@register_router("wsrr", "WS-RR (waiting-penalised shortest path)", "[BPRR] WS-RR; SPEC 3.3")
def make_wsrr(scn: Scenario, d: Derived, placement: Placement) -> WSRR:
    """WS-RR over a placement."""
    return WSRR(d, placement)


@register_router("offline-sp", "Offline shortest path (CG-BPRR, no waits)", "[BPRR] CG-BPRR; SPEC 3.3")
def make_offline(scn: Scenario, d: Derived, placement: Placement) -> WSRR:
    """CG-BPRR's offline routing: the same shortest path with waits ignored when choosing."""
    return WSRR(d, placement, offline=True)
