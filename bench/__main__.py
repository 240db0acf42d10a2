"""python -m bench {scale,target,pages,milp} [--quick]: the measurements behind bench/README.md."""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def machine() -> str:
    """CPU model, cores and Python version of this machine."""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    used = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, running on {used} of {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def main() -> None:
    """Run the chosen measurements and print Markdown for bench/README.md."""
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("what", choices=["scale", "target", "pages", "milp"])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    a = ap.parse_args()
    print(f"machine: {machine()}\n")
    if a.what == "scale":
        from .scale import growth, markdown, placement_curve, simulation_curve, write_csv

        pl = placement_curve(servers=(10, 100) if a.quick else (10, 100, 1000, 10000))
        write_csv("placement", pl)
        print("### Placement time (s)\n" + markdown(pl, ["blocks", "servers", "placer", "seconds"]) + "\n")
        sim = simulation_curve(requests=(100, 1000) if a.quick else (100, 1000, 10000, 100000),
                               servers=(9, 30) if a.quick else (9, 30, 100, 300, 1000))
        write_csv("simulation", sim)
        print("### Simulation time\n" + markdown(sim, ["axis", "servers", "requests", "policy", "seconds",
                                                       "us_per_request", "waiting_share"]) + "\n")
        for pol in ("proposed", "petals"):
            print(f"- {pol}: seconds ~ requests^{growth(sim, 'requests', 'requests', pol):.2f}, "
                  f"~ servers^{growth(sim, 'servers', 'servers', pol):.2f}")
    elif a.what == "target":
        from core import api, perf

        from .scale import RATE_PER_SERVER
        from .synth import synthetic

        n = 10000 if a.quick else 100000
        scn = synthetic(1000, n, rate_per_s=RATE_PER_SERVER * 1000)
        d = perf.derive(scn)
        t = time.perf_counter()
        p = api.place(scn, "cgbp", d)
        t1 = time.perf_counter()
        res = api.simulate(scn, "proposed", d, p)
        t2 = time.perf_counter()
        print(f"CG-BP (with the |R| rule) on 1,000 servers: {t1 - t:.3f} s")
        print(f"proposed, {n:,} requests on 1,000 servers: {t2 - t1:.1f} s "
              f"({sum(r.raw_wait_ms > 0 for r in res.records)} requests waited)")
        # Where the time goes: the same simulation profiled (cProfile slows it; read the shares, not the times)
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.runcall(api.simulate, scn, "proposed", perf.derive(scn), p)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(f"\nprofile of the same run ({n:,} requests), top functions by own time:\n```")
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()) + "\n```")
    elif a.what == "pages":
        from .pages import page_timings

        print(page_timings(sizes=(26,) if a.quick else (26, 149)))
    else:
        from .milp import milp_curve, solvers
        from .scale import markdown, write_csv

        rows = milp_curve(quick=a.quick)
        write_csv("milp", rows)
        print(f"solvers found: {solvers()}\n")
        print(markdown(rows, ["sample", "servers", "R", "status", "seconds", "variables", "constraints",
                              "optimum_ms_per_token", "bound_ms_per_token", "cgbprr_ms_per_token"]))


if __name__ == "__main__":
    main()
