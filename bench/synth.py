"""Seeded synthetic clusters for scale measurements (paper constants; servers scattered over the globe)."""
from __future__ import annotations

import numpy as np

from core import scenario
from core.presets import PAPER_GPUS


def synthetic(n_servers: int, n_requests: int, *, n_blocks: int = 70, rate_per_s: float = 0.5,
              frac_a100: float = 0.2, seed: int = 0, n_clients: int = 1) -> scenario.Scenario:
    """A default-mode scenario with n servers (frac_a100 of them A100, the rest MIG) and Poisson requests."""
    rng = np.random.default_rng(seed)
    servers = []
    for j in range(n_servers):
        gpu = "A100" if rng.random() < frac_a100 else "MIG"
        g = PAPER_GPUS[gpu]
        s = {"id": f"s{j}", "name": f"{gpu} {j}", "lat": float(rng.uniform(-50, 60)),
             "lon": float(rng.uniform(-170, 170)), "gpu": gpu, "memory_gb": g["memory_gb"], "tau_ms": g["tau_ms"],
             "tau_in_ms": {"per_token": g["tau_in_ms"].per_token, "fixed": g["tau_in_ms"].fixed},
             "forward_rps": g["forward_rps"], "network_rps": g["network_rps"]}
        if g["max_blocks"]:
            s["max_blocks"] = g["max_blocks"]
        servers.append(s)
    clients = [{"id": f"c{i}", "name": f"client {i}", "lat": float(rng.uniform(-40, 60)),
                "lon": float(rng.uniform(-170, 170)), "share": 1.0} for i in range(n_clients)]
    model = {"preset": "bloom-176b", "n_blocks": n_blocks}
    return scenario.from_dict({
        "format": scenario.FORMAT, "name": f"synthetic {n_servers} servers", "model": model,
        "servers": servers, "clients": clients,
        "workload": {"rate_per_s": rate_per_s, "n_requests": n_requests, "l_in": 20, "l_out": 128, "seed": seed},
        "policy": {"mode": "default"}})
