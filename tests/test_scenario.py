"""The scenario file format: strict validation, canonical round trip, cluster capacity, safe loading (issue 6)."""
from __future__ import annotations

import ast
import copy
import json
import pickle
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES
from core import scenario, validate
from core.errors import ScenarioError
from core.perf import derive

BASE = {
    "format": "swarmscope.scenario/1", "name": "unit",
    "model": {"name": "toy", "n_blocks": 12, "d_model": 1024, "params_per_block": 1e8, "bits_per_param": 16,
              "block_gb": 1.0, "cache_gb": 0.1},
    "servers": [{"id": "big", "lat": 10, "lon": 10, "gpu": "X", "memory_gb": 10, "tau_ms": 2, "tau_in_ms": 20,
                 "forward_rps": 1000, "network_rps": 1000},
                {"id": "small", "lat": 20, "lon": 20, "gpu": "X", "memory_gb": 5, "tau_ms": 2, "tau_in_ms": 20,
                 "forward_rps": 1000, "network_rps": 1000}],
    "clients": [{"id": "c", "lat": 0, "lon": 0}],
}


def variant(**edits) -> dict:
    """BASE with top-level sections replaced or updated (dicts merge one level deep)."""
    d = copy.deepcopy(BASE)
    for k, v in edits.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k].update(v)
        else:
            d[k] = v
    return d


def refuse(d, field: str, *fragments: str) -> str:
    with pytest.raises(ScenarioError) as e:
        scenario.from_dict(d)
    assert e.value.field == field, str(e.value)
    for f in fragments:
        assert f in str(e.value), str(e.value)
    return str(e.value)


# --------------------------------------------------------------------------- canonical form unchanged

@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_samples_load_and_round_trip_canonically(path):
    scn = scenario.load(str(path))
    text = scenario.dumps(scn)
    assert scenario.loads(text) == scn
    assert scenario.dumps(scenario.loads(text)) == text


def test_canonical_text_is_stable_for_custom_and_preset_models():
    for model in (BASE["model"], {"preset": "bloom-176b"}, {"preset": "bloom-176b", "n_blocks": 12},
                  {"name": "m", "n_blocks": 3, "d_model": 64, "params_per_block": 10, "bits_per_param": 8}):
        text = scenario.dumps(scenario.from_dict(variant(model=model)))
        assert scenario.dumps(scenario.loads(text)) == text


def test_canonical_keys_are_stable():
    """Other modules and saved files rely on these names: the canonical output keeps them."""
    out = scenario.to_dict(scenario.from_dict(BASE))
    assert list(out) == ["format", "name", "model", "servers", "clients", "network", "workload", "policy"]
    assert set(out["servers"][0]) == {"id", "name", "lat", "lon", "gpu", "memory_gb", "tau_ms", "tau_in_ms",
                                      "forward_rps", "network_rps"}
    assert set(out["workload"]) == {"rate_per_s", "n_requests", "l_in", "l_out", "seed"}
    assert set(out["policy"]) == {"R", "R_num_std", "initial_delay_ms", "alloc_delay_ms", "petals_overhead_ms",
                                  "petals_penalty_ms", "petals_join_order", "petals_rebalance", "mode",
                                  "milp_time_limit_s", "milp_gap"}
    assert out["policy"]["alloc_delay_ms"] == {"proposed": 60000.0, "petals": 250000.0}


# --------------------------------------------------------------------------- field checks (the gaps)

def test_zero_rtt_between_distinct_sites_is_refused_but_zero_to_itself_is_fine():
    refuse(variant(network={"rtt_ms": {"c": {"big": 0}}}), "network.rtt_ms.c.big", "> 0 ms", "distinct")
    scn = scenario.from_dict(variant(network={"rtt_ms": {"big": {"big": 0}, "c": {"big": 4.5}}}))
    assert scn.network.rtt_ms["c"]["big"] == 4.5
    refuse(variant(network={"rtt_ms": {"big": {"big": 2}}}), "network.rtt_ms.big.big", "itself")


def test_client_client_rtt_is_refused():
    d = variant(clients=[{"id": "c", "lat": 0, "lon": 0}, {"id": "d", "lat": 1, "lon": 1}],
                network={"rtt_ms": {"d": {"c": 3}}})
    refuse(d, "network.rtt_ms.d.c", "both ids are clients")


def test_booleans_are_not_numbers_and_numbers_are_not_booleans():
    refuse(variant(workload={"n_requests": True}), "workload.n_requests", "bool true", "[1, 1000000]")
    refuse(variant(policy={"petals_rebalance": 0}), "policy.petals_rebalance", "true or false")


@pytest.mark.parametrize("token,shown", [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"),
                                         ("1e999", "inf"), ("1" + "0" * 400, "inf"), ("9" * 6000, "inf")])
def test_non_finite_and_huge_numbers_name_the_field(token, shown):
    text = json.dumps(BASE).replace('"memory_gb": 10', f'"memory_gb": {token}', 1)
    with pytest.raises(ScenarioError) as e:
        scenario.loads(text)
    assert e.value.field == "servers[0].memory_gb"
    assert f"got {shown} " in str(e.value) and "(0, 100000]" in str(e.value)
    assert len(str(e.value)) < 200


def test_huge_python_int_from_code_is_refused_not_crashed():
    refuse(variant(workload={"seed": 10 ** 400}), "workload.seed", "digits")


def test_duplicate_json_keys_are_refused():
    text = json.dumps(BASE).replace('"memory_gb": 10,', '"memory_gb": 10, "memory_gb": 99,', 1)
    with pytest.raises(ScenarioError, match='key "memory_gb" appears twice'):
        scenario.loads(text)


def test_byte_order_mark_is_accepted_and_bytes_equal_text():
    text = json.dumps(BASE)
    assert scenario.loads(("\ufeff" + text).encode("utf-8")) == scenario.loads(text)


def test_unknown_key_suggests_the_close_one():
    msg = refuse(variant(policy={"milp_time_limit": 3}), "policy.milp_time_limit", "did you mean 'milp_time_limit_s'")
    assert "allowed keys are" in msg


def test_tau_in_zero_refused_prefill_overhead_zero_allowed():
    d = variant()
    d["servers"][1]["tau_in_ms"] = 0
    refuse(d, "servers[1].tau_in_ms", "(0, 1e+07]")
    scn = scenario.from_dict(variant(network={"prefill_overhead_ms": 0, "per_token_overhead_ms": 0}))
    assert scn.network.prefill_overhead_ms == 0


def test_join_order_message_says_what_is_wrong():
    refuse(variant(policy={"petals_join_order": [1, 1]}), "policy.petals_join_order", "repeats 1", "misses 0")


def test_arrivals_given_twice_or_out_of_order():
    refuse(variant(workload={"n_requests": 2, "arrivals_ms": [0, 1], "inter_arrivals_ms": [0, 1]}),
           "workload.inter_arrivals_ms", "not both")
    refuse(variant(workload={"n_requests": 3, "arrivals_ms": [0, 9, 3]}), "workload.arrivals_ms[2]",
           "non-decreasing")


def test_long_values_are_cut_in_messages():
    msg = refuse(variant(name="x" * 10_000, description=["y" * 10_000]), "description")
    assert len(msg) < 200


def test_ids_are_bounded():
    d = variant()
    d["servers"][0]["id"] = "s" * 500
    refuse(d, "servers[0].id", "at most 200")


# --------------------------------------------------------------------------- cluster capacity (core.validate)
# BASE by hand: s_m = 1 GB, s_c = 0.1 GB, L = 12, memories 10 and 5 GB, no caps.
#   R = 1: floor(10/1.1) + floor(5/1.1) = 9 + 4 = 13 >= 12   feasible
#   R = 2: floor(10/1.2) + floor(5/1.2) = 8 + 4 = 12 >= 12   feasible
#   R = 3: floor(10/1.3) + floor(5/1.3) = 7 + 3 = 10 <  12   2 blocks short, 2 x 1.3 = 2.6 GB
#   R_max = floor((15 - 1 * 14) / (0.1 * 14)) = 0: the memory bound alone would say nothing fits

def test_capacity_numbers_by_hand():
    scn = scenario.from_dict(BASE)
    d = derive(scn)
    assert [validate.blocks_placeable(d, R) for R in (1, 2, 3)] == [13, 12, 10]
    assert validate.largest_feasible_R(d) == 2
    assert validate.r_max_bound(d) == 0
    cap = validate.capacity(scn, 3, d)
    assert not cap.feasible and cap.blocks_short == 2
    assert cap.memory_short_gb == pytest.approx(2.6)
    text = cap.explain()
    assert "2 blocks short" in text and "2.60 GB" in text and "largest feasible |R| is 2" in text
    assert validate.capacity(scn, 2, d).feasible


def test_cluster_that_cannot_hold_the_model_is_refused_by_load_not_by_loads(tmp_path):
    d = variant(model={"n_blocks": 14})  # 13 blocks fit with one session's cache
    scn = scenario.from_dict(d)  # field checks alone accept it: pages can still show and edit it
    with pytest.raises(ScenarioError) as e:
        validate.check_capacity(scn)
    assert e.value.field == "model.n_blocks"
    assert "hold at most 13" in str(e.value) and "about 1.10 GB" in str(e.value)
    f = tmp_path / "small.json"
    f.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ScenarioError, match="model.n_blocks: 14 blocks do not fit"):
        scenario.load(str(f))
    assert scenario.load(str(f), check_capacity=False) == scn
    with pytest.raises(ScenarioError):
        scenario.loads(json.dumps(d), check_capacity=True)


def test_max_blocks_caps_count_in_the_capacity_check():
    d = variant()
    d["servers"][0]["max_blocks"] = 7  # 7 + 4 = 11 < 12
    with pytest.raises(ScenarioError, match="hold at most 11"):
        validate.check_capacity(scenario.from_dict(d))


# --------------------------------------------------------------------------- safe loading (issue 6, item 5)

UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
UNSAFE_ATTRS = {"read_pickle", "to_pickle", "unsafe_load", "full_load", "loads_pickle"}
WRITE_ATTRS = {"write_text", "write_bytes", "to_csv", "to_json", "to_parquet", "to_excel", "savefig", "write_html",
               "write_image", "mkdir", "makedirs", "touch", "unlink", "remove", "rmtree", "rename", "replace",
               "mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "dump"}
APP_CODE = [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "pages").rglob("*.py"))]
ENGINE_CODE = sorted((ROOT / "core").rglob("*.py"))


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            yield node, name


def _write_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def _root_name(node) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _enclosing_params(tree) -> dict[int, set[str]]:
    """For each call node id: the parameter names of the function it sits in."""
    out: dict[int, set[str]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
            for node in ast.walk(fn):
                if isinstance(node, ast.Call):
                    out[id(node)] = params
    return out


@pytest.mark.parametrize("path", APP_CODE + ENGINE_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pickle_eval_or_exec(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            bad.append(node.module)
    for call, name in _calls(tree):
        if name in UNSAFE_CALLS and isinstance(call.func, ast.Name):
            bad.append(f"{name}() at line {call.lineno}")
        if name in UNSAFE_ATTRS or (name == "load" and _root_name(call.func) == "yaml"):
            bad.append(f"{name} at line {call.lineno}")
        if name == "load" and any(k.arg == "allow_pickle" for k in call.keywords):
            bad.append(f"load(allow_pickle=...) at line {call.lineno}")
    assert not bad, f"{path.name}: {bad}"


@pytest.mark.parametrize("path", APP_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_app_code_writes_no_files(path: Path):
    """Downloads go through st.download_button from memory; the app never writes to disk."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for call, name in _calls(tree):
        if name == "open" and _write_mode(call):
            bad.append(f"open(..., write) at line {call.lineno}")
        # to_csv() / to_json() with no path return text for a download button: only a path argument writes
        if name in WRITE_ATTRS and isinstance(call.func, ast.Attribute):
            if name in ("to_csv", "to_json", "dump") and not call.args and not any(
                    k.arg in ("path_or_buf", "fp") for k in call.keywords):
                continue
            if name in ("replace", "remove") and _root_name(call.func) not in ("os", "shutil", "Path", "path"):
                continue  # str.replace / list.remove
            bad.append(f"{name} at line {call.lineno}")
    assert not bad, f"{path.name}: {bad}"


@pytest.mark.parametrize("path", ENGINE_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_writes_only_to_a_path_its_caller_chose(path: Path):
    """core/ opens a file for writing only at a path passed in by the caller (save(path), CLI -o FILE)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    params = _enclosing_params(tree)
    bad = []
    for call, name in _calls(tree):
        if name == "open" and _write_mode(call):
            target = call.args[0] if call.args else None
            if _root_name(target) not in params.get(id(call), set()):
                bad.append(f"open(..., write) of a path not given by the caller at line {call.lineno}")
        elif name in ("write_text", "write_bytes", "mkdir", "makedirs", "touch", "mkstemp", "mkdtemp",
                      "NamedTemporaryFile", "to_pickle", "savefig"):
            bad.append(f"{name} at line {call.lineno}")
    assert not bad, f"{path.name}: {bad}"


class _Tripwire:
    """Unpickling this would create a file: loading must never get that far."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_a_pickle_payload_is_refused_and_never_unpickled(tmp_path):
    trip = tmp_path / "unpickled"
    payload = pickle.dumps({"format": "swarmscope.scenario/1", "x": _Tripwire(trip)})
    for data in (payload, payload.decode("latin-1")):
        with pytest.raises(ScenarioError) as e:
            scenario.loads(data)
        assert e.value.field == "file"
    f = tmp_path / "scenario.json"
    f.write_bytes(payload)
    with pytest.raises(ScenarioError):
        scenario.load(str(f))
    assert not trip.exists()


def test_python_expressions_are_not_evaluated(tmp_path):
    trip = tmp_path / "evaluated"
    text = json.dumps(BASE).replace('"memory_gb": 10', f'"memory_gb": __import__("pathlib").Path({str(trip)!r}).touch()')
    with pytest.raises(ScenarioError, match="file: is not valid JSON"):
        scenario.loads(text)
    assert not trip.exists()


@pytest.mark.parametrize("raw", [b'{"\\n": null}', b'{"a\\u0000b": 1}', b'{"": 1}',
                                 json.dumps(variant(model={"\r\n": 1})).encode()])
def test_keys_with_control_characters_or_empty_are_named_on_one_line(raw):
    """Found by the slow property profile: a key "\\n" made the message two lines."""
    with pytest.raises(scenario.ScenarioError) as e:
        scenario.loads(raw)
    assert "\n" not in str(e.value) and "\r" not in str(e.value) and "unknown key" in str(e.value)
