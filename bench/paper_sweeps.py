"""Run the sweeps of docs/reproducing.md and print (or write into that page) each command with its output.

    python3 bench/paper_sweeps.py                            # print the commands and tables as markdown
    python3 bench/paper_sweeps.py --write docs/reproducing.md  # replace the generated part of the page

Every sweep is an ordinary `python -m core sweep` command run in a subprocess, so the page shows exactly
what a reader gets by pasting the command. The `equal delays` variants run on a copy of a sample whose two
calibrated allocation delays are set to 0 ms, written by the one-line command the page shows.
"""
from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ["--seeds", "1", "2", "3", "4", "5"]
BEGIN, END = "<!-- sweeps:begin (bench/paper_sweeps.py) -->", "<!-- sweeps:end -->"

# (anchor, title, argv after `python3 -m core`); a `prep` entry is a shell command run first.
SWEEPS: list[dict] = [
    {"id": "servers", "title": "Number of servers (GTS Central Europe, 60 servers, 20% A100)",
     "argv": ["sweep", "sample_clusters/paper_scattered_gtsce.json", "--param", "n_servers",
              "--values", "10", "15", "20", "30", "40", "60", *SEEDS, "--max-per-token-s", "2.6"]},
    {"id": "a100", "title": "Fraction of A100s (GTS Central Europe, 60 servers)",
     "argv": ["sweep", "sample_clusters/paper_scattered_gtsce.json", "--param", "frac_strong",
              "--values", "0.1", "0.2", "0.3", "0.5", "0.8", *SEEDS]},
    {"id": "rate", "title": "Arrival rate (Bell Canada, 19 servers)",
     "argv": ["sweep", "sample_clusters/paper_scattered_bellcanada.json", "--param", "rate_per_s",
              "--values", "0.1", "0.25", "0.5", "1", "2", *SEEDS]},
    {"id": "lout", "title": "Output length (Bell Canada, 19 servers)",
     "argv": ["sweep", "sample_clusters/paper_scattered_bellcanada.json", "--param", "l_out",
              "--values", "32", "64", "128", "256", "512", *SEEDS]},
    {"id": "abovenet", "title": "Arrival rate (AboveNet, 9 servers)",
     "argv": ["sweep", "sample_clusters/paper_scattered_abovenet.json", "--param", "rate_per_s",
              "--values", "0.1", "0.5", "1", *SEEDS]},
    {"id": "clustered", "title": "Clustered testbed, three client sites (rate 0.1 requests/s)",
     "argv": None, "many": [
         ["sweep", f"sample_clusters/paper_clustered_{site}.json", "--param", "rate_per_s", "--values", "0.1",
          *SEEDS] for site in ("client_at_migs", "client_at_a100s", "client_remote")]},
    {"id": "R", "title": "Target concurrency |R| (clustered testbed, client next to the A100s)",
     "argv": ["sweep", "sample_clusters/paper_clustered_client_at_a100s.json", "--param", "R",
              "--values", "3", "5", "8", "10", "15", "20", "40", *SEEDS]},
    {"id": "equal-delays", "title": "Equal allocation delays (both 0 ms): the rate sweep on Bell Canada again",
     "prep": "python3 -c \"import json; d = json.load(open('sample_clusters/paper_scattered_bellcanada.json')); "
             "d['policy']['alloc_delay_ms'] = {'proposed': 0, 'petals': 0}; "
             "json.dump(d, open('/tmp/bellcanada_no_alloc.json', 'w'))\"",
     "argv": ["sweep", "/tmp/bellcanada_no_alloc.json", "--param", "rate_per_s",
              "--values", "0.1", "0.25", "0.5", "1", "2", *SEEDS]},
]


def _run(argv: list[str]) -> tuple[str, float]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "core", *argv], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"python3 -m core {shlex.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout.rstrip("\n"), time.perf_counter() - t0


def render() -> str:
    """Every sweep as a markdown section: the command(s), then the output."""
    parts = []
    for s in SWEEPS:
        parts.append(f"### {s['title']}\n")
        if s.get("prep"):
            subprocess.run(s["prep"], shell=True, cwd=ROOT, check=True)
        runs = s["many"] if s.get("many") else [s["argv"]]
        cmds = ([s["prep"]] if s.get("prep") else []) + [f"python3 -m core {shlex.join(a)}" for a in runs]
        outs, secs = [], 0.0
        for a in runs:
            out, dt = _run(a)
            outs.append(out)
            secs += dt
        parts.append("```sh\n" + "\n".join(cmds) + "\n```\n")
        parts.append(f"({secs:.0f} s on the 2-core development machine)\n")
        parts.append("```text\n" + "\n\n".join(outs) + "\n```\n")
    return "\n".join(parts)


def main() -> int:
    """Print the generated markdown, or write it between the markers of a page."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", metavar="PAGE", help="replace the text between the sweep markers of this page")
    a = ap.parse_args()
    text = render()
    if not a.write:
        print(text)
        return 0
    page = Path(a.write)
    old = page.read_text(encoding="utf-8")
    pat = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pat.search(old):
        raise SystemExit(f"{page}: markers {BEGIN!r} ... {END!r} not found")
    page.write_text(pat.sub(lambda _: f"{BEGIN}\n\n{text}\n{END}", old), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
