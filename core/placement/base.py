"""The placement protocol: every placer is `place(scn, derived) -> Placement`, registered by name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..errors import Infeasible
from ..perf import Derived
from ..scenario import Scenario


@dataclass(frozen=True)
class Placement:
    """Per-server half-open spans [start, end) (start == end: holds nothing) and cache slots."""

    algorithm: str
    start: tuple
    end: tuple
    cache_slots: tuple                      # slots of one block x one session, as the router's ledger sees them
    session_capacity: tuple | None = None   # PETALS' session count for its full-server penalty
    info: dict = field(default_factory=dict)

    @property
    def blocks(self) -> tuple:
        """m_j: number of blocks each server holds."""
        return tuple(e - s for s, e in zip(self.start, self.end))

    def coverage(self, L: int) -> list[int]:
        """How many servers hold each block."""
        cov = [0] * L
        for s, e in zip(self.start, self.end):
            for b in range(s, e):
                cov[b] += 1
        return cov

    def uncovered(self, L: int) -> list[int]:
        """Blocks that no server holds."""
        return [b for b, c in enumerate(self.coverage(L)) if c == 0]

    def to_dict(self, scn: Scenario) -> dict:
        """JSON form: per server id, start, end, blocks, cache_slots; plus the policy's diagnostics."""
        servers = []
        for j, s in enumerate(scn.servers):
            row = {"id": s.id, "start": self.start[j], "end": self.end[j], "blocks": self.end[j] - self.start[j],
                   "cache_slots": self.cache_slots[j]}
            if self.session_capacity is not None:
                row["session_capacity"] = self.session_capacity[j]
            servers.append(row)
        return {"algorithm": self.algorithm, "feasible": True, "servers": servers, "info": self.info}


Placer = Callable[[Scenario, Derived], Placement]


@dataclass(frozen=True)
class PlacerSpec:
    """A registered placement algorithm."""

    name: str
    func: Placer
    label: str
    source: str


PLACERS: dict[str, PlacerSpec] = {}


def register_placer(name: str, label: str, source: str):
    """Decorator: make a placement function available by name to the CLI, the app and the simulator."""

    def deco(func: Placer) -> Placer:
        PLACERS[name] = PlacerSpec(name, func, label, source)
        return func

    return deco


def require_coverage(p: Placement, L: int, what: str) -> Placement:
    """Raise Infeasible naming the uncovered blocks when some block has no server."""
    miss = p.uncovered(L)
    if miss:
        raise Infeasible(f"{what}: blocks {format_blocks(miss)} are held by no server "
                         f"({len(miss)} of {L} blocks uncovered)",
                         {"uncovered_blocks": miss, "start": list(p.start), "end": list(p.end)})
    return p


def format_blocks(blocks: list[int]) -> str:
    """Compact ranges of 0-based block numbers, e.g. '0-3, 7'."""
    out, i = [], 0
    while i < len(blocks):
        j = i
        while j + 1 < len(blocks) and blocks[j + 1] == blocks[j] + 1:
            j += 1
        out.append(str(blocks[i]) if i == j else f"{blocks[i]}-{blocks[j]}")
        i = j + 1
    return ", ".join(out)
