"""The bench scripts still run (tiny sizes) and report what they claim; no timing is asserted here."""
from __future__ import annotations

from bench import scale


def test_scale_curves_cover_every_placer_and_both_axes():
    rows = scale.placement_curve(servers=(10,), blocks=(70,), repeats=1)
    assert {r["placer"] for r in rows} == set(scale.PLACERS)
    assert all(r["seconds"] is not None and r["seconds"] > 0 for r in rows)
    sim = scale.simulation_curve(requests=(20, 40), servers=(9, 12), fixed_servers=9, fixed_requests=20)
    assert {(r["axis"], r["policy"]) for r in sim} == {(a, p) for a in ("requests", "servers")
                                                       for p in ("proposed", "petals")}
    assert all(0 <= r["waiting_share"] <= 1 for r in sim)
    assert abs(scale.growth([{"axis": "requests", "policy": "p", "requests": x, "seconds": 2.0 * x ** 1.5}
                             for x in (10, 100, 1000)], "requests", "requests", "p") - 1.5) < 1e-9
    assert scale.markdown(rows, ["servers", "placer"]).splitlines()[0] == "| servers | placer |"


def test_milp_bench_proves_the_clustered_testbed_optimal():
    from bench.milp import milp_curve

    rows = milp_curve(quick=True, time_limit_s=60)
    clustered = [r for r in rows if r["sample"].startswith("paper_clustered")]
    assert {r["R"] for r in clustered} == {1, 2, 4}
    assert all(r["status"] == "optimal" for r in clustered)
    assert all(r["optimum_ms_per_token"] <= r["cgbprr_ms_per_token"] + 1e-9 for r in rows)


def test_page_timings_drive_every_page_without_errors():
    from bench.pages import ACTIONS, time_actions

    rows = time_actions(26)
    assert [r["action"] for r in rows] == [a[2] for a in ACTIONS]
