"""AppTest: the Home page (scenario at a glance, samples, upload / download, compare against PETALS)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import api
from core import scenario as scn_mod

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_clusters" / "teaching_small.json"


@pytest.fixture
def at() -> AppTest:
    """The app, run once (Home is the default page)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at.run()


def _scenario(at: AppTest) -> scn_mod.Scenario:
    return scn_mod.loads(at.session_state["scn_json"])


def _metric(at: AppTest, label: str) -> str:
    hits = [m.value for m in at.metric if m.label == label]
    assert hits, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return hits[0]


def test_glance_shows_the_current_scenario(at):
    scn = scn_mod.load(str(SAMPLE))
    assert not at.exception
    assert at.title[0].value == "Swarmscope"
    assert _metric(at, "Servers") == str(len(scn.servers))
    assert _metric(at, "Clients") == str(len(scn.clients))
    assert _metric(at, "Model") == f"{scn.model.n_blocks} blocks"
    assert _metric(at, "Load") == f"{scn.workload.rate_per_s:g} req/s"


def test_home_map_is_offline(at):
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec.get("mapProvider") is None
    assert "http" not in at.get("deck_gl_json_chart")[0].proto.json
    ids = {layer["id"] for layer in spec["layers"]}
    assert {"world", "servers", "clients"} <= ids
    assert "grid" not in ids  # no click-to-add on Home


def test_compare_shows_what_core_returns(at):
    at.button(key="home_compare").click().run()
    assert not at.exception
    rows = api.compare(scn_mod.load(str(SAMPLE)), ("proposed", "petals"))["rows"]
    prop, pet = rows["proposed"], rows["petals"]
    assert _metric(at, "Proposed: mean per-token time") == f"{prop['avg_per_token_ms'] / 1000:.3f} s/token"
    assert _metric(at, "PETALS: mean per-token time") == f"{pet['avg_per_token_ms'] / 1000:.3f} s/token"
    assert _metric(at, "Proposed: mean time to first token") == f"{prop['avg_ttft_ms'] / 1000:.1f} s"
    reduction = 1 - prop["avg_per_token_ms"] / pet["avg_per_token_ms"]
    assert _metric(at, "Per-token time reduction vs PETALS") == f"{100 * reduction:.1f} %"


def test_compare_result_is_dropped_when_the_scenario_changes(at):
    at.button(key="home_compare").click().run()
    assert any(m.label == "PETALS: mean per-token time" for m in at.metric)
    at.file_uploader(key="home_upload").set_value(("two.json", _bigger_load(SAMPLE), "application/json")).run()
    assert not any(m.label == "PETALS: mean per-token time" for m in at.metric)


def _bigger_load(path: Path) -> bytes:
    d = json.loads(path.read_text())
    d["workload"]["rate_per_s"] = 0.5
    d["name"] = "More load"
    return json.dumps(d).encode()


def test_bad_upload_keeps_the_previous_scenario(at):
    before = at.session_state["scn_json"]
    d = json.loads(SAMPLE.read_text())
    d["servers"][1]["memory_gb"] = -3
    at.file_uploader(key="home_upload").set_value(("bad.json", json.dumps(d).encode(), "application/json")).run()
    assert not at.exception
    assert at.session_state["scn_json"] == before
    errors = [e.value for e in at.error]
    assert any("servers[1].memory_gb" in e for e in errors), errors
    # not JSON at all
    at.file_uploader(key="home_upload").set_value(("junk.json", b"{not json", "application/json")).run()
    assert at.session_state["scn_json"] == before
    assert any("not valid JSON" in e.value for e in at.error)


def test_good_upload_replaces_the_scenario_and_can_be_undone(at):
    before = at.session_state["scn_json"]
    at.file_uploader(key="home_upload").set_value(("more.json", _bigger_load(SAMPLE), "application/json")).run()
    assert not at.exception
    assert _scenario(at).name == "More load"
    assert _metric(at, "Load") == "0.5 req/s"
    at.sidebar.button(key="sidebar_undo").click().run()
    assert at.session_state["scn_json"] == before


def test_load_sample(at):
    names = at.selectbox(key="home_sample").options
    assert "teaching_small.json" in names
    other = next((n for n in names if n != "teaching_small.json"), None)
    if other is None:
        pytest.skip("only one sample cluster is shipped")
    at.selectbox(key="home_sample").set_value(other).run()
    at.button(key="home_load_sample").click().run()
    assert not at.exception
    assert at.session_state["scn_json"] == scn_mod.dumps(scn_mod.load(str(ROOT / "sample_clusters" / other)))
    assert any(other in s.value for s in at.success)


CORPUS = ROOT / "tests" / "malformed"
EXPECTED = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))
# every fourth stored file of the corpus (about 20): each kind of mistake reaches the app as it reaches the CLI
UPLOAD_SAMPLE = sorted(k for k, v in EXPECTED.items() if not v.get("generated"))[::4]


def test_a_sample_of_the_malformed_corpus_is_one_error_naming_the_field(at):
    before = at.session_state["scn_json"]
    for name in UPLOAD_SAMPLE:
        raw = (CORPUS / name).read_bytes()
        at.file_uploader(key="home_upload").set_value((name, raw, "application/json")).run()
        assert not at.exception, name
        assert at.session_state["scn_json"] == before, name
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and EXPECTED[name]["field"] in errors[0], (name, errors)
        assert "Traceback" not in errors[0]
    assert len(UPLOAD_SAMPLE) >= 15
