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
        self.advance(t)
        cap = self.cache_slots[j]
        remaining = self.used[j]
        if cap - remaining >= need:
            return t
        if need > cap:
            return None
        for comp, _, slots in self.sessions[j]:
            remaining -= slots
            if cap - remaining >= need:
                return comp
        return None

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

    def release_schedule(self, j: int, t: float, upto: float = math.inf) -> tuple[float, list[float], list[float]]:
        """(free slots now, completions in release order, slots freed after each release, cumulative).

        Stops at the first release after which `upto` slots are free: a caller that never needs more sees
        the same answers, and a server with hundreds of live sessions is not walked to the end for them.
        """
        self.advance(t)
        free = self.cache_slots[j] - self.used[j]
        comps, cum, acc = [], [], 0
        if free >= upto:
            return free, comps, cum
        for comp, _, slots in self.sessions[j]:
            acc += slots
            comps.append(comp)
            cum.append(acc)
            if free + acc >= upto:
                break
        return free, comps, cum
