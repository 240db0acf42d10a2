"""Every malformed scenario in tests/malformed/ gets one clear line from the CLI, naming the field (issue 6).

The corpus and its index (EXPECTED.json: file -> field the error must name, and what it covers) are written
by tests/malformed/generate.py. The CLI contract (SPEC 8.2): exit 2, nothing on stdout, exactly one line on
stderr, `error: <field>: <what is wrong>`, never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from core import cli, scenario
from core.errors import ScenarioError

CORPUS = ROOT / "tests" / "malformed"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))
STORED = sorted(k for k, v in EXPECTED.items() if not v.get("generated"))
COMMANDS = (["validate"], ["place", "--algorithm", "cgbp"], ["simulate", "--policy", "proposed"], ["compare"])


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    """The CLI in-process (fast): exit code, stdout, stderr."""
    rc = cli.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def assert_one_line_error(rc: int, out: str, err: str, field: str) -> None:
    assert rc == 2, (rc, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    assert "Traceback" not in err


def test_corpus_is_complete_and_indexed():
    files = {p.name for p in CORPUS.glob("*.json")} - {"EXPECTED.json"}
    assert files == set(STORED), "every corpus file needs an EXPECTED.json entry and vice versa"
    assert len(EXPECTED) >= 40
    covers = " ".join(v["covers"] for v in EXPECTED.values())
    for item in ("wrong type", "missing field", "unknown key", "NaN", "Infinity", "zero memory", "zero tau",
                 "negative RTT", "latitude", "longitude", "duplicate id", "unknown id in rtt_ms", "empty server list",
                 "more blocks than any cluster could hold", "l_in", "l_out", "rate", "not a permutation",
                 "not JSON", "not UTF-8", "empty file", "size limit", "zero RTT between distinct sites",
                 "client-client", "boolean", "nested garbage", "huge"):
        assert item in covers, f"no corpus file covers {item!r}"


@pytest.mark.parametrize("name", STORED)
def test_cli_validate_gives_one_line_naming_the_field(capsys, name):
    rc, out, err = run_main(capsys, "validate", str(CORPUS / name))
    assert_one_line_error(rc, out, err, EXPECTED[name]["field"])


@pytest.mark.parametrize("name", STORED)
def test_every_command_refuses_the_file_the_same_way(capsys, name):
    for cmd in COMMANDS[1:]:
        rc, out, err = run_main(capsys, cmd[0], str(CORPUS / name), *cmd[1:])
        assert_one_line_error(rc, out, err, EXPECTED[name]["field"])


@pytest.mark.parametrize("name", STORED)
def test_loads_raises_scenario_error_with_the_field(name):
    with pytest.raises(ScenarioError) as e:
        scenario.loads((CORPUS / name).read_bytes(), check_capacity=True)
    assert e.value.field == EXPECTED[name]["field"]
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("name", ["nan_token_memory.json", "not_utf8_latin1.json", "huge_int_5000_digits.json",
                                  "nested_too_deep.json", "cluster_too_small.json"])
def test_real_process_prints_one_line_and_no_traceback(name):
    r = run_cli("validate", str(CORPUS / name))
    assert_one_line_error(r.returncode, r.stdout, r.stderr, EXPECTED[name]["field"])


def test_oversize_file_is_refused_before_parsing(capsys, tmp_path):
    big = tmp_path / "oversize.json"
    body = (CORPUS.parent.parent / "sample_clusters" / "teaching_small.json").read_text(encoding="utf-8")
    # valid JSON, padded with whitespace past the limit: only the size can be wrong
    big.write_text(body + " " * (scenario.MAX_FILE_BYTES + 1 - len(body.encode())), encoding="utf-8")
    rc, out, err = run_main(capsys, "validate", str(big))
    assert_one_line_error(rc, out, err, EXPECTED["oversize.json"]["field"])
    assert "limit" in err
    for data in (big.read_bytes(), big.read_text(encoding="utf-8")):
        with pytest.raises(ScenarioError, match="limit"):
            scenario.loads(data)


def test_missing_file_and_directory_are_one_line(capsys, tmp_path):
    for path in (tmp_path / "nope.json", tmp_path):
        rc, out, err = run_main(capsys, "validate", str(path))
        assert_one_line_error(rc, out, err, "file")


def test_corpus_base_is_valid():
    """Each case breaks exactly one thing: the scenario they are made from loads cleanly."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", CORPUS / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    scn = scenario.loads(json.dumps(gen.BASE), check_capacity=True)
    assert scn.name.startswith("malformed-corpus base")


# --------------------------------------------------------------------- infeasible clusters (issue 6, item 2)

def _teaching() -> dict:
    return json.loads((ROOT / "sample_clusters" / "teaching_small.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, d: dict) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(d), encoding="utf-8")
    return str(p)


@pytest.fixture
def too_many_sessions(tmp_path) -> str:
    """Enough memory for the model, not for the |R| = 500 sessions asked for."""
    d = _teaching()
    d["policy"]["R"] = 500
    return _write(tmp_path, "big_R.json", d)


@pytest.fixture
def nothing_feasible(tmp_path) -> str:
    """One server: CG-BP cannot fit |R| = 50 sessions and PETALS' larger cache budget leaves blocks uncovered."""
    d = _teaching()
    d["servers"] = [dict(d["servers"][0], memory_gb=94.0)]
    d["policy"]["R"] = 50
    return _write(tmp_path, "nothing.json", d)


def test_place_and_simulate_explain_an_R_that_does_not_fit(capsys, too_many_sessions):
    for argv in (["place", too_many_sessions, "--algorithm", "cgbp"],
                 ["place", too_many_sessions, "--algorithm", "petals-opt-num"],
                 ["simulate", too_many_sessions, "--policy", "proposed"]):
        rc, out, err = run_main(capsys, *argv)
        assert rc == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("error: "), (argv, err)
        assert "R_max" in err and "GB" in err and "blocks" in err


def test_petals_uncovered_blocks_are_named(capsys, nothing_feasible):
    rc, out, err = run_main(capsys, "place", nothing_feasible, "--algorithm", "petals")
    assert rc == 2 and out == "" and len(err.splitlines()) == 1
    assert "held by no server" in err


def test_compare_with_some_policies_infeasible_still_reports_the_rest(capsys, too_many_sessions):
    rc, out, err = run_main(capsys, "compare", too_many_sessions, "--json")
    assert rc == 0, err
    rows = json.loads(out)
    assert "error" in rows["proposed"] and "avg_per_token_ms" in rows["petals"]


def test_compare_with_every_policy_infeasible_is_one_line(capsys, nothing_feasible):
    rc, out, err = run_main(capsys, "compare", nothing_feasible)
    assert rc == 2 and out == "", out
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
