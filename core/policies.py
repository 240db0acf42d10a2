"""Named simulation policies: a placement, a router and the allocation delay they pay (SPEC 3, 4)."""
from __future__ import annotations

from dataclasses import dataclass

from .scenario import Policy


@dataclass(frozen=True)
class PolicySpec:
    """A simulation policy: which placer and router, and which calibrated allocation delay applies."""

    name: str
    placer: str
    router: str
    alloc: str  # "proposed" or "petals": which of policy.alloc_delay_ms applies
    label: str

    def alloc_delay_ms(self, pol: Policy) -> float:
        """The allocation delay added once to each request."""
        return pol.alloc_delay_proposed_ms if self.alloc == "proposed" else pol.alloc_delay_petals_ms


POLICIES: dict[str, PolicySpec] = {}


def register_policy(name: str, placer: str, router: str, alloc: str, label: str) -> None:
    """Pair a placer and a router under a policy name (CLI --policy, app selectors)."""
    POLICIES[name] = PolicySpec(name, placer, router, alloc, label)


register_policy("proposed", "cgbp", "wsrr", "proposed", "Proposed (CG-BP + WS-RR)")
register_policy("petals", "petals", "petals", "petals", "PETALS")
register_policy("petals-opt-order", "petals-opt-order", "petals", "petals", "PETALS + CG-BP order")
register_policy("petals-opt-num", "petals-opt-num", "petals", "petals", "PETALS + CG-BP block counts")
register_policy("cgbp-offline", "cgbp", "offline-sp", "proposed", "CG-BP + offline shortest path")
