"""The routing protocol: `make(scn, derived, placement) -> Router`; `router.route(req, t, ledger) -> Chain`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from ..perf import Derived
from ..placement.base import Placement
from ..scenario import Scenario


@dataclass(frozen=True)
class Request:
    """One inference session: its index, client (position), output length and cache-slot multiplier."""

    r: int
    client: int
    l_out: int
    slot_scale: float = 1  # cache slots per block, relative to the scenario's nominal l_in + l_out


@dataclass(frozen=True)
class Chain:
    """A routed chain. time_terms / ttft_terms are added in order to give the service time and the TTFT
    (the reference's own order of additions, which keeps reference mode exact)."""

    path: tuple
    k: tuple
    path_cost_ms: float
    time_terms: tuple
    ttft_terms: tuple


class Router(Protocol):
    """Chooses a chain for each arriving request; may read the live slot ledger."""

    def route(self, req: Request, t: float, ledger) -> Chain | None:
        """The chain for `req` arriving at time t (ms), or None when no chain exists."""


RouterFactory = Callable[[Scenario, Derived, Placement], Router]


@dataclass(frozen=True)
class RouterSpec:
    """A registered routing algorithm."""

    name: str
    make: RouterFactory
    label: str
    source: str


ROUTERS: dict[str, RouterSpec] = {}


def register_router(name: str, label: str, source: str):
    """Decorator: make a router factory available by name."""

    def deco(make: RouterFactory) -> RouterFactory:
        ROUTERS[name] = RouterSpec(name, make, label, source)
        return make

    return deco
