"""Geography: great-circle distance and the raw RTT model of SPEC 8.1 (fibre at km_per_ms, inflated)."""
from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

# Recommended defaults for the raw-RTT model (scenario Network.inflation / base_ms). Fitted to the published
# city-pair pings of WonderProxy, "Miles per Millisecond" (2011): over its 41 regular pairs the median error is
# 8% and 24 pairs fall within 10% (tests/test_topology.py; the old 1.3 / 2 ms gave 26% and 1). A direct
# submarine route (New York-Paris) comes out 26% high and short intra-Europe hops 20-40% low: one line cannot
# fit both, and these values favour the continental and intercontinental distances a swarm spans.
ROUTE_INFLATION = 1.6
BASE_MS = 5.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def raw_rtt_ms(distance_km: float, km_per_ms: float, inflation: float, base_ms: float) -> float:
    """Raw (ping) RTT: there and back at fibre speed over a route `inflation` times the great circle, plus a base."""
    return 2.0 * distance_km / km_per_ms * inflation + base_ms


def great_circle_matrix_km(lat_a, lon_a, lat_b, lon_b):
    """Haversine distances (km) between every point of A and every point of B, vectorised (numpy array)."""
    import numpy as np

    p1 = np.radians(np.asarray(lat_a, dtype=float))[:, None]
    p2 = np.radians(np.asarray(lat_b, dtype=float))[None, :]
    dl = np.radians(np.asarray(lon_b, dtype=float))[None, :] - np.radians(np.asarray(lon_a, dtype=float))[:, None]
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
