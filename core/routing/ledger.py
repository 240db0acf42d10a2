"""Cache-slot ledger: who holds how many slots on which server until when (SPEC 3.3 waits).

A session holds its slots on every server of its chain from arrival to completion. Time only moves
forward (requests are handled in arrival order), so expired sessions are dropped once, from a global
expiry heap, and each server keeps a running count of slots in use: asking whether k slots are free is
O(1). Only when they are not does the ledger walk the server's sessions in completion order (ties by
request index, as the reference's stable sort) to find when enough would be released.
"""
from __future__ import annotations

import bisect
import heapq
import math


class Ledger:
    """Per-server live sessions, sorted by (completion, request), and slots in use."""

    def __init__(self, cache_slots):
        self.cache_slots = list(cache_slots)
        self.sessions: list[list[tuple[float, int, float]]] = [[] for _ in self.cache_slots]
        self.used = [0] * len(self.cache_slots)
        self._expiry: list[tuple[float, int, int, float]] = []
        self._completions: list[float] = []
        self._now = -math.inf
        self._fractional = False

    def advance(self, t: float) -> None:
        """Drop every session that completed at or before t (it can never be active again)."""
        if t < self._now:
            raise ValueError("the ledger only moves forward in time")
        self._now = t
        heap = self._expiry
        while heap and heap[0][0] <= t:
            _, j, _, slots = heapq.heappop(heap)
            self.sessions[j].pop(0)  # the heap pops in (completion, server, request) order: always the front
            self.used[j] -= slots
        if self._fractional:
            for j, live in enumerate(self.sessions):
                self.used[j] = math.fsum(x[2] for x in live)

    def active_count(self, j: int, t: float) -> int:
        """Sessions on server j still running at time t (completion later than t)."""
        self.advance(t)
        return len(self.sessions[j])

    def ready_time(self, j: int, need: float, t: float) -> float | None:
        """Earliest time >= t at which `need` slots are free on j: t itself, or the completion of the q-th
        session to end; None if need exceeds the server's slots."""
        return self.ready_times(j, (need,), t)[0]

    def concurrent(self, t: float) -> int:
        """Requests (already admitted) whose completion is later than t."""
        return len(self._completions) - bisect.bisect_right(self._completions, t)

    def admit(self, r: int, path, slots, completion: float) -> None:
        """Record request r on every server of its chain until `completion`."""
        for j, n in zip(path, slots):
            if n != int(n):
                self._fractional = True
            bisect.insort(self.sessions[j], (completion, r, n))
            self.used[j] += n
            heapq.heappush(self._expiry, (completion, j, r, n))
        bisect.insort(self._completions, completion)

    def ready_times(self, j: int, needs, t: float) -> list[float | None]:
        """ready_time for several slot counts on server j, ascending, in one walk of its first releases."""
        self.advance(t)
        cap, remaining = self.cache_slots[j], self.used[j]
        live, q, out = self.sessions[j], 0, []
        for need in needs:
            if cap - remaining >= need:
                out.append(t if q == 0 else live[q - 1][0])
                continue
            if need > cap:
                out.append(None)
                continue
            # release sessions in completion order until enough is free (the reference's arithmetic)
            while q < len(live) and cap - remaining < need:
                remaining -= live[q][2]
                q += 1
            out.append(live[q - 1][0] if cap - remaining >= need else None)
        return out
