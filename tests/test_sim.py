"""Simulator behaviour beyond the reference: default mode (several clients, per-request lengths, PETALS'
full-server check), determinism, and the CLI's compare table."""
from __future__ import annotations

import dataclasses
import json

import pytest

from tests.helpers import SAMPLES, run_cli
from core import api, perf, scenario
from core.errors import Infeasible
from core.routing.petals import PetalsRouter
from core.sim import arrivals


@pytest.fixture(scope="module")
def teach():
    return scenario.load(str(SAMPLES / "teaching_small.json"))


def _with_clients(scn, clients):
    d = scenario.to_dict(scn)
    d["clients"] = clients
    return scenario.from_dict(d)


def test_same_seed_same_result(teach):
    a = api.simulate(teach, "proposed").to_dict(teach)
    b = api.simulate(teach, "proposed").to_dict(teach)
    assert json.dumps(a) == json.dumps(b)
    other = scenario.from_dict({**scenario.to_dict(teach),
                                "workload": {**scenario.to_dict(teach)["workload"], "seed": 8}})
    assert arrivals(other) != arrivals(teach)


def test_poisson_arrivals_start_at_zero_and_have_the_right_rate(teach):
    d = scenario.to_dict(teach)
    d["workload"].update(n_requests=4000, rate_per_s=2.0)
    t = arrivals(scenario.from_dict(d))
    assert t[0] == 0 and all(b >= a for a, b in zip(t, t[1:]))
    assert 4000 / (t[-1] / 1000) == pytest.approx(2.0, rel=0.06)


def test_multi_client_requests_use_their_own_client(teach):
    scn = _with_clients(teach, [{"id": "c0", "name": "Madrid", "lat": 40.42, "lon": -3.70, "share": 3},
                                {"id": "c1", "name": "Tokyo", "lat": 35.68, "lon": 139.69, "share": 1}])
    res = api.simulate(scn, "proposed")
    by = {c: [x for x in res.records if x.client == c] for c in ("c0", "c1")}
    assert len(by["c0"]) > len(by["c1"]) > 0          # shares 3:1, drawn from the seed
    d = perf.derive(scn)
    # a far client's requests take longer: its RTT to every server is larger
    assert min(d.t[1]) > max(d.t[0])
    mean = lambda xs: sum(x.time_ms for x in xs) / len(xs)  # noqa: E731
    assert mean(by["c1"]) > mean(by["c0"])
    # t~ in CG-BP uses the farthest client (SPEC 3.1 default mode)
    assert d.t_max == tuple(max(a, b) for a, b in zip(d.t[0], d.t[1]))


def test_reference_mode_rejects_two_clients(teach):
    d = scenario.to_dict(teach)
    d["clients"].append({"id": "c9", "name": "x", "lat": 0, "lon": 0})
    d["policy"]["mode"] = "reference"
    with pytest.raises(scenario.ScenarioError, match="reference mode handles exactly one client"):
        scenario.from_dict(d)


def test_per_request_output_lengths(teach):
    d = scenario.to_dict(teach)
    n = d["workload"]["n_requests"]
    d["workload"]["l_out_per_request"] = [64 if i % 2 else 128 for i in range(n)]
    res = api.simulate(scenario.from_dict(d), "proposed")
    short = [x for x in res.records if x.l_out == 64]
    assert len(short) == n // 2
    # per-token time is per the request's own tokens; the summary divides by all generated tokens
    total_tokens = sum(x.l_out for x in res.records)
    assert res.summary["avg_per_token_ms"] == pytest.approx(sum(x.time_ms for x in res.records) / total_tokens)


class _Full:
    """A ledger stub reporting a fixed number of active sessions on every server."""

    def __init__(self, n):
        self.n = n

    def active_count(self, j, t):
        return self.n


def test_petals_penalty_reference_quirk_vs_default(teach):
    p = api.place(teach, "petals")
    d = perf.derive(teach)
    cap = p.session_capacity[0]
    ref = PetalsRouter(dataclasses.replace(teach, policy=dataclasses.replace(teach.policy, mode="reference")), d, p)
    dflt = PetalsRouter(teach, d, p)
    assert ref._full(0, 0.0, _Full(cap)) and dflt._full(0, 0.0, _Full(cap))
    # over capacity: the reference only penalises exact equality, default mode any excess
    assert not ref._full(0, 0.0, _Full(cap + 1))
    assert dflt._full(0, 0.0, _Full(cap + 1))


def test_request_needing_more_slots_than_a_server_has_is_infeasible(teach):
    p = api.place(teach, "cgbp")
    starved = dataclasses.replace(p, cache_slots=tuple(3 for _ in p.cache_slots))  # fewer than any span
    with pytest.raises(Infeasible, match="no feasible chain"):
        api.simulate(teach, "proposed", placement=starved)
    with pytest.raises(Infeasible, match="cache slots on server"):
        api.simulate(teach, "petals", placement=dataclasses.replace(api.place(teach, "petals"),
                                                                     cache_slots=(3,) * len(p.cache_slots)))


def test_cli_compare_prints_every_policy_with_reduction():
    r = run_cli("compare", str(SAMPLES / "teaching_small.json"))
    assert r.returncode == 0, r.stderr
    for name in ("proposed", "petals", "petals-opt-order", "petals-opt-num"):
        assert name in r.stdout
    assert "reduction vs PETALS" in r.stdout and "%" in r.stdout


def test_cli_bad_input_is_one_line(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("{\"format\": \"swarmscope.scenario/1\"")
    r = run_cli("simulate", str(f), "--policy", "proposed")
    assert r.returncode == 2 and r.stderr.startswith("error: file: is not valid JSON")
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("place", str(SAMPLES / "teaching_small.json"), "--algorithm", "nope")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_default_mode_places_for_the_largest_feasible_R_when_the_rule_overshoots():
    """6 synthetic servers: the |R| rule asks for R_max = 48, but only 47 fit with whole blocks and MIG caps."""
    from bench.synth import synthetic
    from core.validate import largest_feasible_R

    scn = synthetic(6, 100, rate_per_s=0.5, seed=1)
    best = largest_feasible_R(perf.derive(scn))
    p = api.place(scn, "cgbp")
    assert p.info["R"] == best and p.info["R_rule"] == p.info["R_max"] > best
    for other in ("petals-opt-num", "edgeshard"):  # every placement sized by the rule gets the same |R|
        api.place(scn, other)
    assert api.simulate(scn, "proposed").summary["avg_per_token_ms"] > 0
    ref = scenario.with_changes(scn, policy=dataclasses.replace(scn.policy, mode="reference"))
    with pytest.raises(Infeasible, match="largest feasible"):
        api.place(ref, "cgbp")
    given = scenario.with_changes(scn, policy=dataclasses.replace(scn.policy, R=p.info["R_rule"]))
    with pytest.raises(Infeasible):  # a given |R| is the user's and is never lowered
        api.place(given, "cgbp")
