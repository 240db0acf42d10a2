"""THE performance model (SPEC 2): sizes, per-hop costs, chain arithmetic, backoff. No other module writes
these formulas; placement, routing, the MILP and the simulator all call them.

Floating-point order follows the reference simulator so that reference mode reproduces it bit for bit:
link cost = (t_in + (l_out - 1) * t) + (tau_in + (l_out - 1) * tau) * k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import geo
from .scenario import Linear, Model, Scenario

GIB = 2 ** 30
MAX_BACKOFF_S = 60  # PETALS' cap on one retry interval


def block_gb(model: Model) -> float:
    """s_m: GB per block = params * bits / 8 * 1.01 / 1e9 (1% metadata, as PETALS' get_block_size)."""
    if model.block_gb is not None:
        return model.block_gb
    return model.params_per_block * model.bits_per_param / 8 * 1.01 / 1e9


def cache_gb(model: Model, l_in: int, l_out: int) -> float:
    """s_c: GB of KV cache per block per session of l_in + l_out tokens."""
    if model.cache_gb is not None:
        return model.cache_gb
    return 2 * model.d_model * (l_in + l_out) * model.kv_bytes / model.kv_groups / 1e9


def value_at(v: float | Linear, l_in: int) -> float:
    """A number, or a Linear evaluated at l_in."""
    return v.at(l_in) if isinstance(v, Linear) else float(v)


def link_cost_terms(t_in: float, t: float, tau_in: float, tau: float, k: int, l_out: int) -> tuple[float, float]:
    """C_j(k) as (network part, compute part): (t_in + (l_out-1) t, (tau_in + (l_out-1) tau) k)."""
    return t_in + (l_out - 1) * t, (tau_in + (l_out - 1) * tau) * k


def link_cost(t_in: float, t: float, tau_in: float, tau: float, k: int, l_out: int, wait: float = 0.0) -> float:
    """C_j(k) (+ a wait in front): time at server j for a whole request processing k blocks."""
    a, b = link_cost_terms(t_in, t, tau_in, tau, k, l_out)
    return (wait + a) + b if wait else a + b


def first_token_terms(t_in: float, tau_in: float, k: int) -> tuple[float, float]:
    """Prefill part of C_j(k) as (network, compute): what the hop adds to the time to first token."""
    return t_in, tau_in * k


def first_token_cost(t_in: float, tau_in: float, k: int, wait: float = 0.0) -> float:
    """Prefill part of C_j(k) (+ a wait in front)."""
    a, b = first_token_terms(t_in, tau_in, k)
    return (wait + a) + b


def hop_blocks(starts, ends, path) -> list[int]:
    """k_j along a chain: blocks from the first not yet done up to the end of each server's span."""
    ks, done = [], 0
    for j in path:
        ks.append(ends[j] - done)
        done = ends[j]
    return ks


def chain_feasible(starts, ends, path, n_blocks: int) -> bool:
    """SPEC 2: first server holds block 0, each next holds the next block and extends past it, last holds L-1."""
    done = 0
    for j in path:
        if not (starts[j] <= done < ends[j]):
            return False
        done = ends[j]
    return done == n_blocks and len(path) > 0


def backoff_ms(raw_wait_ms: float) -> float:
    """PETALS' retry schedule: smallest cumulative sum of min(2^(n-1), 60) s that covers the raw wait."""
    if raw_wait_ms <= 0:
        return 0.0
    n, total = 1, 1000.0
    while total < raw_wait_ms:
        n += 1
        total = total + min(2 ** (n - 1), MAX_BACKOFF_S) * 1e3
    return total


def cgbp_num_blocks(memory_gb: float, s_m: float, s_c: float, R: int, L: int) -> int:
    """CG-BP's conservative block count: room for every block plus R sessions' caches on each."""
    return min(math.floor(memory_gb / (s_m + s_c * R)), L)


def max_sessions(memory_gb: float, s_m: float, s_c: float, m: int) -> int:
    """Sessions a server holding m blocks can serve through all of them: floor((M - s_m m) / (s_c m))."""
    return math.floor((memory_gb - s_m * m) / (s_c * m)) if m > 0 else 0


def residual_cache_slots(memory_gb: float, s_m: float, s_c: float, m: int) -> int:
    """WS-RR cache slots: floor((M - m s_m) / s_c); one slot = one block of one session."""
    return math.floor((memory_gb - m * s_m) / s_c)


def petals_cache_bytes_per_block(model: Model) -> int:
    """PETALS' cache budget per block: 2 * d_model * T * kv_bytes / kv_groups bytes (T = 4096, 16384 for GQA)."""
    tokens = 4096 if model.kv_groups == 1 else 16384
    return math.floor(2 * model.d_model * tokens * model.kv_bytes / model.kv_groups)


def petals_num_blocks(memory_gb: float, model: Model, s_m: float, L: int) -> int:
    """PETALS' _choose_num_blocks: (memory - autograd reserve) / (block + its cache budget), in bytes."""
    autograd = (2 * GIB / 14336) * model.d_model
    total = memory_gb * 10 ** 9
    per_block = s_m * 10 ** 9 + petals_cache_bytes_per_block(model)
    return min(math.floor((total - autograd) / per_block), L)


def petals_throughput(forward_rps: float, network_rps: float, m: int) -> float:
    """A server's announced throughput: min(forward_rps / mean blocks used ((1+m)/2), network_rps)."""
    return min(forward_rps / ((1 + m) / 2), network_rps)


@dataclass(frozen=True)
class Derived:
    """Everything the algorithms need, computed once per scenario (indices = scenario order)."""

    L: int
    J: int
    s_m: float
    s_c: float
    l_in: int
    l_out: int
    memory: tuple      # M_j (GB)
    tau: tuple         # ms / block / token
    tau_in: tuple      # ms / block for the prompt, at l_in
    cap: tuple         # max_blocks or None
    raw_cs: tuple      # raw_cs[c][j]: raw RTT client c -> server j (ms)
    t: tuple           # t[c][j] = raw + per-token overhead
    t_in: tuple        # t_in[c][j] = raw + prefill overhead at l_in
    shares: tuple      # client load shares, normalised
    mode: str
    scenario: Scenario = field(repr=False, compare=False, default=None)

    @property
    def raw_ss(self):
        """raw_ss[i][j]: raw RTT between servers (ms); J x J, so built on first use (PETALS routing only)."""
        cached = self.__dict__.get("_raw_ss")
        if cached is None:
            cached = np.array(raw_rtt_matrix(self.scenario, self.scenario.servers, self.scenario.servers))
            object.__setattr__(self, "_raw_ss", cached)
        return cached

    @property
    def t_max(self) -> tuple:
        """max over clients of the per-token RTT to each server (CG-BP's t~ uses the farthest client)."""
        return tuple(max(self.t[c][j] for c in range(len(self.t))) for j in range(self.J))


def raw_rtt_between(scn: Scenario, a, b) -> float:
    """Raw RTT between two nodes (Server or Client): the explicit override, else the geographic model."""
    row = scn.network.rtt_ms
    if a.id in row and b.id in row[a.id]:
        return row[a.id][b.id]
    if b.id in row and a.id in row[b.id]:
        return row[b.id][a.id]
    if a.id == b.id:
        return 0.0
    n = scn.network
    return geo.raw_rtt_ms(geo.great_circle_km(a.lat, a.lon, b.lat, b.lon), n.km_per_ms, n.inflation, n.base_ms)


def raw_rtt_matrix(scn: Scenario, rows, cols) -> tuple:
    """Raw RTTs between two lists of nodes: the geographic model (vectorised), then the explicit overrides."""
    n = scn.network
    km = geo.great_circle_matrix_km([a.lat for a in rows], [a.lon for a in rows],
                                    [b.lat for b in cols], [b.lon for b in cols])
    out = (2.0 * km / n.km_per_ms * n.inflation + n.base_ms).tolist()
    col = {b.id: j for j, b in enumerate(cols)}
    row = {a.id: i for i, a in enumerate(rows)}
    for i, a in enumerate(rows):
        if a.id in col:
            out[i][col[a.id]] = 0.0
    for a_id, targets in n.rtt_ms.items():
        for b_id, ms in targets.items():
            if a_id in row and b_id in col:
                out[row[a_id]][col[b_id]] = ms
            if b_id in row and a_id in col:
                out[row[b_id]][col[a_id]] = ms
    return tuple(tuple(r) for r in out)


def derive(scn: Scenario) -> Derived:
    """Compute the derived arrays of SPEC 2 for a scenario."""
    w, n = scn.workload, scn.network
    raw_cs = raw_rtt_matrix(scn, scn.clients, scn.servers)
    over_in = value_at(n.prefill_overhead_ms, w.l_in)
    total_share = sum(c.share for c in scn.clients)
    return Derived(
        L=scn.model.n_blocks, J=len(scn.servers),
        s_m=block_gb(scn.model), s_c=cache_gb(scn.model, w.l_in, w.l_out),
        l_in=w.l_in, l_out=w.l_out,
        memory=tuple(s.memory_gb for s in scn.servers),
        tau=tuple(s.tau_ms for s in scn.servers),
        tau_in=tuple(value_at(s.tau_in_ms, w.l_in) for s in scn.servers),
        cap=tuple(s.max_blocks for s in scn.servers),
        raw_cs=raw_cs, scenario=scn,
        t=tuple(tuple(r + n.per_token_overhead_ms for r in row) for row in raw_cs),
        t_in=tuple(tuple(r + over_in for r in row) for row in raw_cs),
        shares=tuple(c.share / total_share for c in scn.clients),
        mode=scn.policy.mode,
    )
