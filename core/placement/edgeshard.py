"""EdgeShard's latency-optimal partition ([EdgeShard] Zhang et al., arXiv 2405.14371, Sec. IV; SPEC 6), adapted.

EdgeShard's DP: D[i][j] = least time to finish blocks 0..i with block i on device j,
D[i][j] = min_k D[i-1][k] + compute(i, j) + transfer(k -> j), under per-device memory limits.

Adaptation to this model (documented in the module so the app and docs can point here):
1. Contiguous spans, one per server: a server appears at most once on the chain and processes one run of
   consecutive blocks. EdgeShard's per-layer DP would let a device come back later on the chain.
2. Hub-spoke traffic (SPEC 2): every hop into server j costs the client-server round trip, whatever the
   previous server, so transfer(k -> j) does not depend on k. The chain's cost is then the sum over its
   servers of A_j + B_j * n_j (n_j blocks on j), whatever their order, and the DP over (block, device)
   becomes an exact DP over (servers considered, blocks covered): D[i+1][b] = min(D[i][b],
   min_{1<=n<=cap_i} D[i][b-n] + A_i + B_i n). O(J * L * cap).
3. Latency = the simulator's service time of one request, C_j(n) = (t_in + (l_out-1) t) + (tau_in + (l_out-1)
   tau) n, averaged over clients by load share (EdgeShard serves one source; we have several clients).
4. Memory: cap_j = CG-BP's conservative count min(floor(M_j / (s_m + s_c |R|)), L, max_blocks), so each
   server keeps room for |R| sessions through its whole span (|R| from CG-BP's rule; EdgeShard sizes for a
   single request and would otherwise leave no cache for concurrent sessions).
5. Replicas: EdgeShard's latency mode deploys one pipeline. The servers it leaves unused would sit idle
   here, so the DP is run again on the remaining servers as long as they can hold a whole further chain;
   each replica is a further latency-optimal pipeline (info["chains"]). Routing is WS-RR over all spans.
Within a chain, spans follow the order of server index (the cost does not depend on it).
"""
from __future__ import annotations

import math

import numpy as np

from .. import perf
from ..errors import Infeasible
from ..perf import Derived
from ..policies import register_policy
from ..scenario import Scenario
from .base import Placement, register_placer


def best_chain(A, B, caps, L: int) -> tuple[float, list[tuple[int, int]]] | None:
    """Least sum of A_j + B_j n_j over distinct servers with 1 <= n_j <= caps_j and sum n_j = L.

    Returns (cost, [(server, n_j), ...] in server order), or None when the caps cannot cover L blocks.
    Ties keep the solution found first (fewer, earlier servers), so the result is deterministic.
    """
    inf = math.inf
    D = np.full(L + 1, inf)
    D[0] = 0.0
    choice: list[np.ndarray] = []  # choice[i][b]: blocks server i takes in the best cover of b blocks by 0..i
    for i in range(len(A)):
        new = D.copy()
        pick = np.zeros(L + 1, dtype=np.int64)
        for n in range(1, min(caps[i], L) + 1):
            # n ascending and a strict comparison: among equal costs the smallest n (first found) stays
            c = np.full(L + 1, inf)
            c[n:] = D[:L + 1 - n] + A[i] + B[i] * n
            better = c < new
            new[better] = c[better]
            pick[better] = n
        D = new
        choice.append(pick)
    if D[L] == inf:
        return None
    out, b = [], L
    for i in range(len(A) - 1, -1, -1):
        n = int(choice[i][b])
        if n:
            out.append((i, n))
            b -= n
    return float(D[L]), out[::-1]


def service_coefficients(d: Derived) -> tuple[list[float], list[float]]:
    """Share-weighted per-hop cost A_j + B_j n of one request's service time C_j(n) (ms)."""
    A = []
    for j in range(d.J):
        acc = 0.0
        for c, share in enumerate(d.shares):
            acc += share * perf.link_cost_terms(d.t_in[c][j], d.t[c][j], d.tau_in[j], d.tau[j], 0, d.l_out)[0]
        A.append(acc)
    B = [d.tau_in[j] + (d.l_out - 1) * d.tau[j] for j in range(d.J)]
    return A, B


def edgeshard_caps(d: Derived, R: int) -> list[int]:
    """Blocks each server may take: room for R sessions through its span, and its max_blocks."""
    caps = []
    for j in range(d.J):
        m = max(perf.cgbp_num_blocks(d.memory[j], d.s_m, d.s_c, R, d.L), 0)
        if d.cap[j] is not None:
            m = min(m, d.cap[j])
        caps.append(m)
    return caps


def edgeshard_chains(d: Derived, R: int, replicas: bool = True) -> list[tuple[float, list[tuple[int, int]]]]:
    """The latency-optimal chain, then (if `replicas`) further ones on the servers left, while they fit."""
    A, B = service_coefficients(d)
    caps = edgeshard_caps(d, R)
    chains = []
    while True:
        found = best_chain(A, B, caps, d.L)
        if found is None:
            break
        chains.append(found)
        for j, _ in found[1]:
            caps[j] = 0
        if not replicas:
            break
    return chains


@register_placer("edgeshard", "EdgeShard latency DP (contiguous spans)", "[EdgeShard] Sec. IV, adapted; SPEC 6")
def place_edgeshard(scn: Scenario, d: Derived) -> Placement:
    """EdgeShard's latency DP per chain, replicated over the servers left, sized for CG-BP's |R|."""
    from .cgbp import choose_R

    Rinfo = choose_R(scn, d)
    R = Rinfo["value"]
    chains = edgeshard_chains(d, R)
    if not chains:
        caps = edgeshard_caps(d, R)
        raise Infeasible(f"EdgeShard: the servers can hold {sum(caps)} of {d.L} blocks with room for |R| = {R} "
                         f"sessions each; no chain covers the model", {"R": R, "blocks_placeable": sum(caps)})
    start, end = [0] * d.J, [0] * d.J
    ids = scn.server_ids
    info_chains = []
    for cost, hops in chains:
        a = 0
        for j, n in hops:
            start[j], end[j] = a, a + n
            a += n
        info_chains.append({"servers": [ids[j] for j, _ in hops], "blocks": [n for _, n in hops],
                            "latency_ms": cost})
    m = [e - s for s, e in zip(start, end)]
    slots = tuple(perf.residual_cache_slots(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    sessions = tuple(perf.max_sessions(d.memory[j], d.s_m, d.s_c, m[j]) for j in range(d.J))
    info = {"R": R, "R_source": Rinfo["source"], "R_max": Rinfo["R_max"], "chains": info_chains,
            "latency_ms": chains[0][0], "block_gb": d.s_m, "cache_gb": d.s_c}
    return Placement("edgeshard", tuple(start), tuple(end), slots, sessions, info)


register_policy("edgeshard", "edgeshard", "wsrr", "proposed", "EdgeShard latency DP + WS-RR")
