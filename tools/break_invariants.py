"""Break each invariant of issue 6 on purpose and check that the quick property tests catch it.

    python3 tools/break_invariants.py

For each mutation: copy the committed tree (git worktree, nothing here is touched), apply a one-line change
to core/, run tests/test_properties.py (quick profile) and report which test failed. Exit 1 if any mutation
went unnoticed. Takes a minute or two.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (what is broken, file, original text, mutated text, the property test expected to fail)
MUTATIONS = [
    ("completion earlier than arrival + service", "core/sim.py",
     "        completion = t + time_r\n", "        completion = t + time_r * 0.999\n",
     "test_simulations_keep_chains_feasible_slots_within_capacity_and_times_consistent"),
    ("a server holds more cache slots than it has (waits ignored)", "core/routing/ledger.py",
     "            if cap - remaining >= need:\n", "            if True:\n",
     "test_simulations_keep_chains_feasible_slots_within_capacity_and_times_consistent"),
    ("a placement uses more memory than the server has (one slot too many)", "core/perf.py",
     "    return math.floor((memory_gb - m * s_m) / s_c)\n",
     "    return math.floor((memory_gb - m * s_m) / s_c) + 1\n",
     "test_every_placer_covers_every_block_within_memory_or_says_infeasible"),
    ("the same seed gives other arrivals (unseeded generator)", "core/sim.py",
     "rng = np.random.default_rng([w.seed, 1])", "rng = np.random.default_rng()",
     "test_same_seed_gives_byte_identical_results"),
    ("default mode's rule for R differs from the reference where SPEC 7 says they agree", "core/placement/cgbp.py",
     "    cap = (None,) * d.J if reference else d.cap",
     "    cap = (None,) * d.J if reference else tuple(c or 1 for c in d.cap)",
     "test_reference_and_default_mode_agree_where_spec_7_says_they_must"),
]


def main() -> int:
    """Run every mutation; print a Markdown table; 1 if any survived."""
    survived = 0
    print("| broken on purpose | property test that failed |\n|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), "HEAD"], cwd=ROOT, check=True)
        try:
            for what, rel, old, new, expected in MUTATIONS:
                path = tree / rel
                text = path.read_text()
                if text.count(old) != 1:
                    print(f"| {what} | mutation no longer applies: {rel} changed |")
                    survived += 1
                    continue
                path.write_text(text.replace(old, new))
                out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      "tests/test_properties.py"], cwd=tree, capture_output=True, text=True)
                path.write_text(text)
                failed = sorted({line.split("::")[1].split(" ")[0].split("[")[0]
                                 for line in out.stdout.splitlines() if line.startswith("FAILED")})
                ok = expected in failed
                survived += not ok
                print(f"| {what} | {', '.join(failed) or 'NONE: the mutation survived'} |")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
