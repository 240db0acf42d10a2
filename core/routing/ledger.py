"""Cache-slot ledger: who holds how many slots on which server until when (SPEC 3.3 waits)."""
from __future__ import annotations

import bisect


class Ledger:
    """Per-server sessions (completion time, slots, request index); a session holds its slots from its
    arrival to its completion. Entries stay ordered by request index, as the reference scans them."""

    def __init__(self, cache_slots):
        self.cache_slots = list(cache_slots)
        self.sessions: list[list[tuple[float, float, int]]] = [[] for _ in self.cache_slots]
        self._completions: list[float] = []

    def _prune(self, j: int, t: float) -> list[tuple[float, float, int]]:
        # A session ended at or before t can never again be active: arrivals only move forward.
        live = [x for x in self.sessions[j] if x[0] > t]
        self.sessions[j] = live
        return live

    def active_count(self, j: int, t: float) -> int:
        """Sessions on server j still running at time t (completion later than t)."""
        return len(self._prune(j, t))

    def ready_time(self, j: int, need: float, t: float) -> float | None:
        """Earliest time >= t at which `need` slots are free on j: t itself, or the completion of the q-th
        session to end (stable by request index on equal completions); None if need exceeds the server."""
        live = self._prune(j, t)
        cap = self.cache_slots[j]
        used = 0
        for x in live:
            used += x[1]
        if cap - used >= need:
            return t
        if need > cap:
            return None
        ordered = sorted(live, key=lambda x: x[0])  # stable: equal completions keep request order
        remaining = used
        for comp, slots, _ in ordered:
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
            self.sessions[j].append((completion, n, r))
        bisect.insort(self._completions, completion)
