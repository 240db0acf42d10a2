"""`python -m core`: validate, place, simulate, compare, import-reference (SPEC 8.2).

Exit codes: 0 success; 2 bad input or infeasible, with one line `error: <field>: <what>`; 1 internal error.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

from . import api, scenario
from .errors import SwarmscopeError
from .placement.base import PLACERS
from .policies import POLICIES


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default prints usage; keep the one-line contract
        raise SwarmscopeError(f"usage: {message}")


def _json(obj) -> str:
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(obj), indent=1)


def _table(headers: list[str], rows: list[list]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.4g}"
        return "" if v is None else str(v)

    cells = [[fmt(v) for v in r] for r in rows]
    width = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "  ".join(c.rjust(w) for c, w in zip(r, width))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in width])] + [line(r) for r in cells])


def cmd_validate(a) -> int:
    scn = scenario.load(a.scenario)
    print(f"ok: {scn.name}: {len(scn.servers)} servers, {len(scn.clients)} clients, "
          f"{scn.model.n_blocks} blocks, mode {scn.policy.mode}")
    return 0


def cmd_place(a) -> int:
    scn = scenario.load(a.scenario)
    p = api.place(scn, a.algorithm)
    out = p.to_dict(scn)
    if a.json:
        print(_json(out))
        return 0
    print(f"{a.algorithm} on {scn.name} (blocks 0-based, spans [start, end))")
    print(_table(["server", "gpu", "start", "end", "blocks", "cache_slots"],
                 [[s["id"], scn.servers[j].gpu, s["start"], s["end"], s["blocks"], s["cache_slots"]]
                  for j, s in enumerate(out["servers"])]))
    info = out["info"]
    if "K" in info:
        print(f"order: {' '.join(info['order'])}\nK = {info['K']}  Theorem-2 bound = {info['bound_ms']:.3f} ms/token"
              f"  |R| = {info['R']} ({info['R_source']})  R_max = {info['R_max']}")
    return 0


def cmd_simulate(a) -> int:
    scn = scenario.load(a.scenario)
    res = api.simulate(scn, a.policy)
    if a.json:
        print(_json(res.to_dict(scn)))
        return 0
    s = res.summary
    print(f"{a.policy} on {scn.name}: {s['n_requests']} requests")
    print(_table(["metric", "value"], [
        ["mean per-token time (ms/token)", s["avg_per_token_ms"]],
        ["p50 / p95 / p99 per-token (ms)", f"{s['p50_per_token_ms']:.1f} / {s['p95_per_token_ms']:.1f} / "
                                           f"{s['p99_per_token_ms']:.1f}"],
        ["mean TTFT (ms)", s["avg_ttft_ms"]], ["mean wait (ms)", s["avg_wait_ms"]],
        ["max concurrent requests", s["max_concurrent"]]]))
    rows = [[x.r, f"{x.arrival_ms:.0f}", "-".join(x.path), ",".join(map(str, x.k)), f"{x.wait_ms:.0f}",
             f"{x.ttft_ms:.0f}", f"{x.time_ms:.0f}"] for x in res.records[: a.show]]
    print(_table(["r", "arrival ms", "chain", "k", "wait ms", "ttft ms", "time ms"], rows))
    if len(res.records) > a.show:
        print(f"... {len(res.records) - a.show} more (use --json for all)")
    return 0


def cmd_compare(a) -> int:
    scn = scenario.load(a.scenario)
    out = api.compare(scn, a.policies or api.DEFAULT_COMPARE)
    rows = out["rows"]
    opt = None
    if a.with_optimum:
        from .optimum import gap_report  # imports PuLP: only when asked for
        opt = gap_report(scn, a.optimum_R)
    if rows and all("error" in r for r in rows.values()):
        # nothing to compare: one line with the first reason (exit 2), as place and simulate do
        first = next(iter(rows.items()))
        raise SwarmscopeError(f"compare: no policy is feasible ({len(rows)} tried); {first[0]}: {first[1]['error']}")
    if a.json:
        print(_json(rows if opt is None else {"policies": rows, "optimum": opt}))
        return 0
    table = []
    for name, r in rows.items():
        if "error" in r:
            table.append([name, None, None, None, None, "infeasible: " + r["error"][:60]])
        else:
            red = r.get("reduction_vs_petals")
            table.append([name, r["avg_per_token_ms"] / 1000, r["avg_ttft_ms"] / 1000, r["avg_wait_ms"] / 1000,
                          r["max_concurrent"], "" if red is None else f"{100 * red:.1f}%"])
    print(f"{scn.name}: {scn.workload.n_requests} requests, same arrivals for every policy")
    print(_table(["policy", "s/token", "TTFT s", "wait s", "max conc.", "reduction vs PETALS"], table))
    if opt is not None:
        from .optimum import format_report
        print()
        print(format_report(opt))
    return 0


def cmd_import_reference(a) -> int:
    from .reference import import_case

    try:
        with open(a.case, "rb") as f:
            raw = f.read()
        case = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SwarmscopeError(f"case: cannot read {a.case}: {e}") from None
    scn = import_case(case)
    text = scenario.dumps(scn) + "\n"
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; choices come from the registries."""
    p = _Parser(prog="python -m core", description="Swarmscope engine: placement, routing and simulation "
                                                   "of geo-distributed LLM inference.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    v = sub.add_parser("validate", help="check a scenario file")
    v.add_argument("scenario")
    v.set_defaults(func=cmd_validate)
    pl = sub.add_parser("place", help="run a placement algorithm")
    pl.add_argument("scenario")
    pl.add_argument("--algorithm", required=True, choices=sorted(PLACERS))
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_place)
    s = sub.add_parser("simulate", help="simulate every request under a policy")
    s.add_argument("scenario")
    s.add_argument("--policy", required=True, choices=sorted(POLICIES))
    s.add_argument("--json", action="store_true")
    s.add_argument("--show", type=int, default=20, help="requests to list in the table")
    s.set_defaults(func=cmd_simulate)
    c = sub.add_parser("compare", help="every policy side by side, with the reduction vs PETALS")
    c.add_argument("scenario")
    c.add_argument("--policies", nargs="+", choices=sorted(POLICIES))
    c.add_argument("--json", action="store_true")
    c.add_argument("--with-optimum", action="store_true",
                   help="also solve MILP-BPRR and report CG-BPRR's gap to the optimum (policy.milp_time_limit_s)")
    c.add_argument("--optimum-R", type=int, nargs="+", metavar="R",
                   help="|R| values for the optimum report (default: the scenario's |R| rule)")
    c.set_defaults(func=cmd_compare)
    r = sub.add_parser("import-reference", help="convert a reference-format case into a scenario")
    r.add_argument("case")
    r.add_argument("-o", "--output")
    r.set_defaults(func=cmd_import_reference)
    for name, spec in _extra_commands().items():
        spec(sub)
    return p


def _extra_commands() -> dict:
    """Commands contributed by other engine modules (sweeps, optimum), registered lazily."""
    out = {}
    try:
        from .sweep import add_cli as sweep_cli
        out["sweep"] = sweep_cli
    except ImportError:
        pass
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    try:
        a = build_parser().parse_args(argv)
        return a.func(a)
    except SwarmscopeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the contract is one line, never a traceback
        if os.environ.get("SWARMSCOPE_DEBUG"):
            raise
        print(f"internal error: {type(e).__name__}: {e} (set SWARMSCOPE_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1
