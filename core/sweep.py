"""Parameter sweeps for capacity planning and for reproducing [BPRR]'s figures (issue 5, issue 7).

A sweep point is one (value, seed) scenario; every policy runs on it. Points run serially, in local
processes (`workers=N`) or on an existing dask.distributed cluster (`dask="tcp://host:port"`); the rows
come back in one fixed order (value, then seed, then policy) whatever ran them, so the three give
identical tables. How each parameter changes a scenario is written on its `SweepParam` and in
docs/reproducing.md.
"""
from __future__ import annotations

import csv
import io
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import api, scenario
from .errors import ScenarioError, SwarmscopeError
from .policies import POLICIES
from .scenario import Scenario

# Stream 5 of the workload seed picks which servers become strong in a frac_strong sweep; streams 1, 2
# and 4 are arrivals, clients and PETALS' join order (core/sim.py, core/placement/petals.py).
_STRONG_STREAM = 5
_POLL_S = 0.02  # how often a parallel sweep looks for finished points and asks cancel()
DASK_CONNECT_TIMEOUT_S = 10.0  # a scheduler that does not answer by then is reported as unreachable

ROW_FIELDS = ("param", "value", "seed", "policy", "avg_per_token_ms", "avg_ttft_ms", "avg_wait_ms",
              "p95_per_token_ms", "max_concurrent", "R", "rate_per_s", "error")

_GPU_FIELDS = ("gpu", "memory_gb", "tau_ms", "tau_in_ms", "max_blocks", "forward_rps", "network_rps")


@dataclass(frozen=True)
class SweepParam:
    """A sweepable quantity: its label and unit, the values allowed, and how a value changes a scenario."""

    name: str
    label: str
    unit: str
    integer: bool
    lo: float
    lo_open: bool
    help: str
    apply: Callable[[dict, Any, Scenario], None]  # edits the scenario's JSON object in place

    def header(self) -> str:
        """Column heading with the unit, e.g. 'arrival rate (requests/s)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: Any, scn: Scenario) -> int | float:
        """The value as a number of the right kind, or ScenarioError naming what is allowed."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ScenarioError("values", f"{self.name} needs finite numbers, got {value!r}")
        if self.integer:
            if float(value) != int(value):
                raise ScenarioError("values", f"{self.name} needs whole numbers, got {value}")
            value = int(value)
        else:
            value = float(value)
        hi = _upper(self.name, scn)
        if value < self.lo or (self.lo_open and value == self.lo) or (hi is not None and value > hi):
            rng = f"{'(' if self.lo_open else '['}{self.lo:g}, {'inf' if hi is None else f'{hi:g}'}]"
            raise ScenarioError("values", f"{self.name} must be in {rng} for this scenario, got {value:g}")
        return value

    def parse(self, text: str, scn: Scenario) -> int | float:
        """A value typed on the command line."""
        try:
            v = float(text)
        except ValueError:
            raise ScenarioError("values", f"{self.name} needs numbers, got {text!r}") from None
        return self.check(v, scn)


def _upper(name: str, scn: Scenario) -> float | None:
    if name == "n_servers":
        return len(scn.servers)
    if name == "frac_strong":
        return 1.0
    return None


# --------------------------------------------------------------------------- how values change a scenario

def _drop_explicit_arrivals(d: dict) -> None:
    d["workload"].pop("arrivals_ms", None)
    d["workload"].pop("inter_arrivals_ms", None)


def _apply_rate(d: dict, v: float, scn: Scenario) -> None:
    d["workload"]["rate_per_s"] = v
    _drop_explicit_arrivals(d)  # a rate only means something for Poisson arrivals


def _apply_l_out(d: dict, v: int, scn: Scenario) -> None:
    d["workload"]["l_out"] = v
    d["workload"].pop("l_out_per_request", None)


def _apply_R(d: dict, v: int, scn: Scenario) -> None:
    d["policy"]["R"] = v


def _apply_n_requests(d: dict, v: int, scn: Scenario) -> None:
    w = d["workload"]
    w["n_requests"] = v
    for k in ("arrivals_ms", "inter_arrivals_ms", "l_out_per_request"):
        if k in w:
            if len(w[k]) < v:
                raise ScenarioError("values", f"n_requests {v} is more than the {len(w[k])} entries of "
                                              f"workload.{k} in the scenario; sweep seeds (which draw "
                                              f"Poisson arrivals) or use at most {len(w[k])}")
            w[k] = w[k][:v]


def _apply_n_servers(d: dict, v: int, scn: Scenario) -> None:
    removed = {s.id for s in scn.servers[v:]}
    d["servers"] = d["servers"][:v]
    net = d["network"]
    if "rtt_ms" in net:
        net["rtt_ms"] = {a: {b: ms for b, ms in row.items() if b not in removed}
                         for a, row in net["rtt_ms"].items() if a not in removed}
    if "links" in net:
        net["links"] = [ln for ln in net["links"] if not (set(ln) & removed)]
    jo = d["policy"].get("petals_join_order")
    if jo is not None:
        d["policy"]["petals_join_order"] = [j for j in jo if j < v]


def _strength(s) -> tuple:
    # faster decode first, then more memory; scenario order breaks remaining ties
    return (s.tau_ms, -s.memory_gb)


def _apply_frac_strong(d: dict, v: float, scn: Scenario) -> None:
    J = len(scn.servers)
    strong = min(range(J), key=lambda j: _strength(scn.servers[j]))
    weak = max(range(J), key=lambda j: (_strength(scn.servers[j]), -j))
    gs, gw = (d["servers"][strong].copy(), d["servers"][weak].copy())
    if all(gs.get(k) == gw.get(k) for k in _GPU_FIELDS):
        raise ScenarioError("param", "frac_strong needs servers of at least two GPU kinds; every server of "
                                     "this scenario has the same GPU parameters")
    n_strong = math.floor(v * J + 0.5)
    rng = np.random.default_rng([scn.workload.seed, _STRONG_STREAM])
    chosen = {int(j) for j in rng.permutation(J)[:n_strong]}  # a prefix, so larger fractions nest
    for j, row in enumerate(d["servers"]):
        src = gs if j in chosen else gw
        old = row["gpu"]
        for k in _GPU_FIELDS:
            if k in src:
                row[k] = src[k]
            else:
                row.pop(k, None)
        if old != row["gpu"] and old and old in row.get("name", ""):
            row["name"] = row["name"].replace(old, row["gpu"])


def _apply_seed(d: dict, v: int, scn: Scenario) -> None:
    d["workload"]["seed"] = v
    _drop_explicit_arrivals(d)
    d["policy"]["petals_join_order"] = None  # drawn from the seed instead


SWEEP_PARAMS: dict[str, SweepParam] = {p.name: p for p in (
    SweepParam("rate_per_s", "arrival rate", "requests/s", False, 0, True,
               "workload.rate_per_s; arrivals become Poisson at this rate (explicit arrivals are dropped)",
               _apply_rate),
    SweepParam("l_out", "output length", "tokens", True, 1, False,
               "workload.l_out for every request (per-request lengths are dropped)", _apply_l_out),
    SweepParam("R", "target concurrency |R|", "requests", True, 1, False,
               "policy.R, the |R| CG-BP places for (instead of the rule of SPEC 3.2)", _apply_R),
    SweepParam("n_requests", "number of requests", "requests", True, 1, False,
               "workload.n_requests (explicit arrival lists are cut to that length)", _apply_n_requests),
    SweepParam("n_servers", "cluster size", "servers", True, 1, False,
               "keep the first N servers in scenario order (their RTTs, links and join order with them)",
               _apply_n_servers),
    SweepParam("frac_strong", "fraction of strong servers", "fraction 0-1", False, 0, False,
               "round(f * J) servers, a seeded subset, get the strongest server's GPU parameters; the rest "
               "get the weakest's", _apply_frac_strong),
    SweepParam("seed", "workload seed", "", True, 0, False,
               "workload.seed; arrivals, clients and PETALS' join order are drawn from it", _apply_seed),
)}


def with_seed(scn: Scenario, seed: int) -> Scenario:
    """The scenario under another workload seed: Poisson arrivals, clients and PETALS' join order redrawn."""
    return apply_value(scn, "seed", seed)


def apply_value(scn: Scenario, param: str, value: Any) -> Scenario:
    """A new validated scenario with one sweep parameter set to `value` (the input is left unchanged)."""
    p = _param(param)
    v = p.check(value, scn)
    d = scenario.to_dict(scn)
    p.apply(d, v, scn)
    return scenario.from_dict(d)


def _param(name: str) -> SweepParam:
    if name not in SWEEP_PARAMS:
        raise ScenarioError("param", f"unknown sweep parameter {name!r}; choose from {', '.join(SWEEP_PARAMS)}")
    return SWEEP_PARAMS[name]


# --------------------------------------------------------------------------- running points

class SweepRows(list):
    """The rows of a sweep; `partial` is True when it was cancelled before every point ran."""

    def __init__(self, rows=(), *, partial: bool = False, total: int = 0, param: str = ""):
        super().__init__(rows)
        self.partial = partial
        self.total = total
        self.param = param


def _run_point(task: tuple) -> dict:
    """Run one policy on one scenario given as JSON text; runs in a worker process or on a dask worker."""
    text, policy = task
    scn = scenario.loads(text)
    try:
        res = api.simulate(scn, policy)
    except SwarmscopeError as e:  # an infeasible point is a result of the sweep, not a failure of it
        return {"error": str(e)}
    s = res.summary
    return {"avg_per_token_ms": s["avg_per_token_ms"], "avg_ttft_ms": s["avg_ttft_ms"],
            "avg_wait_ms": s["avg_wait_ms"], "p95_per_token_ms": s["p95_per_token_ms"],
            "max_concurrent": s["max_concurrent"], "R": res.placement.info.get("R"), "error": None}


def _check_list(name: str, xs, what: str) -> list:
    xs = list(xs)
    if not xs:
        raise ScenarioError(name, f"give at least one {what}")
    seen = set()
    for x in xs:
        if x in seen:
            raise ScenarioError(name, f"{x!r} is listed twice")
        seen.add(x)
    return xs


def plan(scn: Scenario, param: str, values, seeds=None, policies=api.DEFAULT_COMPARE) -> list[dict]:
    """Every point of a sweep in row order, validated up front: dicts of the row keys and the scenario JSON."""
    p = _param(param)
    values = _check_list("values", [p.check(v, scn) for v in values], "value")
    policies = _check_list("policies", policies, "policy")
    for name in policies:
        if name not in POLICIES:
            raise ScenarioError("policies", f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    if seeds is not None:
        if param == "seed":
            raise ScenarioError("seeds", "a seed sweep takes its seeds from --values; give no --seeds")
        seeds = _check_list("seeds", [SWEEP_PARAMS["seed"].check(s, scn) for s in seeds], "seed")
    points = []
    for v in values:
        for s in (seeds if seeds is not None else [None]):
            base = scn if s is None else with_seed(scn, s)
            pt = apply_value(base, param, v)
            text = scenario.dumps(pt, indent=None)
            for name in policies:
                points.append({"param": param, "value": v, "seed": pt.workload.seed, "policy": name,
                               "rate_per_s": pt.workload.rate_per_s, "scenario": text})
    return points


def _row(point: dict, out: dict) -> dict:
    row = {k: point.get(k) for k in ROW_FIELDS}
    row.update(out)
    return {k: row.get(k) for k in ROW_FIELDS}


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise SwarmscopeError("dask: the distributed package is not installed (pip install 'dask[distributed]')") \
            from None
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, ValueError, TimeoutError) as e:
        raise SwarmscopeError(f"dask: cannot connect to the scheduler at {address!r}: {e}") from None


def _mp_context():
    # forkserver: forking a process that runs threads (Streamlit, dask) can deadlock a child
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _drain(futures: dict, progress, cancel, cancel_rest: Callable[[list], None]) -> tuple[dict, bool]:
    """Collect results as futures finish (index -> result); on cancel() stop the rest and return early."""
    results, pending = {}, dict(futures)
    total = len(futures) or 1
    while pending:
        done = [i for i, f in pending.items() if f.done()]
        for i in done:
            results[i] = pending.pop(i).result()
            if progress is not None:
                progress(len(results) / total)
        if pending and cancel is not None and cancel():
            cancel_rest(list(pending.values()))
            return results, True
        if not done:
            time.sleep(_POLL_S)
    return results, False


def run_sweep(scn: Scenario, param: str, values, seeds=None, policies=api.DEFAULT_COMPARE, workers: int = 1,
              dask: str | None = None, progress: Callable[[float], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> SweepRows:
    """One row per (value, seed, policy), in that order, with the summary metrics or the error of the point.

    Parameters
    ----------
    scn : the base scenario; `param` names an entry of SWEEP_PARAMS and `values` its values.
    seeds : workload seeds to repeat every value with (None: the scenario as it is).
    workers : local processes (1 runs in this process); `dask`: address of a dask.distributed scheduler.
    progress : called with the fraction of points done; `cancel`: polled, True stops early.

    Returns
    -------
    SweepRows (a list of dicts with ROW_FIELDS); `.partial` is True when cancelled early.

    Raises
    ------
    ScenarioError for a bad parameter, value, seed or policy (checked before anything runs).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ScenarioError("workers", f"must be a whole number >= 1, got {workers!r}")
    if dask is not None and workers != 1:
        raise ScenarioError("workers", "give either workers (local processes) or dask (a cluster), not both")
    points = plan(scn, param, values, seeds, policies)
    tasks = [(pt["scenario"], pt["policy"]) for pt in points]
    results: dict[int, dict] = {}
    partial = False
    if dask is not None:
        client = _dask_client(dask)
        try:
            futs = {i: client.submit(_run_point, t, pure=False) for i, t in enumerate(tasks)}
            results, partial = _drain(futs, progress, cancel, lambda rest: client.cancel(rest))
        except SwarmscopeError:
            raise
        except Exception as e:  # noqa: BLE001 - most often a scheduler or worker that cannot import core
            raise SwarmscopeError(
                f"dask: a sweep point failed on the cluster at {dask}: {type(e).__name__}: {' '.join(str(e).split())[:160]}; the "
                f"scheduler and its workers must import this repository's core package (start them with the "
                f"repository on PYTHONPATH)") from None
        finally:
            client.close()
    elif workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=_mp_context()) as ex:
            futs = {i: ex.submit(_run_point, t) for i, t in enumerate(tasks)}
            results, partial = _drain(futs, progress, cancel, lambda rest: [f.cancel() for f in rest])
            # the executor's exit waits for points already running; keep what they finish
            ex.shutdown(wait=True, cancel_futures=True)
            for i, f in futs.items():
                if i not in results and f.done() and not f.cancelled() and f.exception() is None:
                    results[i] = f.result()
    else:
        for i, t in enumerate(tasks):
            if cancel is not None and cancel():
                partial = True
                break
            results[i] = _run_point(t)
            if progress is not None:
                progress(len(results) / len(tasks))
    rows = [_row(points[i], results[i]) for i in sorted(results)]
    return SweepRows(rows, partial=partial or len(rows) < len(points), total=len(points), param=param)


# --------------------------------------------------------------------------- reading the rows

def aggregate(rows) -> list[dict]:
    """Per (value, policy): mean, sd, min and max of the per-token time over seeds, and the reduction vs PETALS.

    The reduction pairs seeds: 1 - mean(policy) / mean(petals) over the seeds where both ran (ms cancel).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["value"], r["policy"]), []).append(r)
    out = []
    for (value, policy), rs in groups.items():
        ok = [r for r in rs if r["error"] is None]
        pt = np.array([r["avg_per_token_ms"] for r in ok], dtype=float)
        agg = {"param": rs[0]["param"], "value": value, "policy": policy, "n_seeds": len(rs), "n_ok": len(ok),
               "mean_per_token_ms": float(pt.mean()) if len(ok) else None,
               # identical values give exactly 0, not the rounding noise of np.std
               "sd_per_token_ms": (float(pt.std(ddof=1)) if pt.max() > pt.min() else 0.0) if len(ok) else None,
               "min_per_token_ms": float(pt.min()) if len(ok) else None,
               "max_per_token_ms": float(pt.max()) if len(ok) else None,
               "mean_ttft_ms": float(np.mean([r["avg_ttft_ms"] for r in ok])) if ok else None,
               "mean_wait_ms": float(np.mean([r["avg_wait_ms"] for r in ok])) if ok else None,
               "reduction_vs_petals": None,
               "error": next((r["error"] for r in rs if r["error"] is not None), None)}
        base = {r["seed"]: r for r in groups.get((value, "petals"), []) if r["error"] is None}
        pairs = [(r["avg_per_token_ms"], base[r["seed"]]["avg_per_token_ms"]) for r in ok if r["seed"] in base]
        if pairs:
            agg["reduction_vs_petals"] = 1 - float(np.mean([a for a, _ in pairs])) / float(
                np.mean([b for _, b in pairs]))
        out.append(agg)
    return out


def smallest_cluster(rows, max_per_token_s: float, rate: float | None = None) -> dict[str, int | None]:
    """Per policy, the smallest n_servers whose mean per-token time over seeds is under the threshold (s).

    A value counts only if every seed ran (an infeasible seed means that cluster cannot serve the load);
    None when no swept value qualifies. `rate` picks one arrival rate when the rows hold several.
    """
    if isinstance(max_per_token_s, bool) or not isinstance(max_per_token_s, (int, float)) or \
            not math.isfinite(max_per_token_s) or max_per_token_s <= 0:
        raise ScenarioError("max_per_token_s", f"must be a positive number of seconds, got {max_per_token_s!r}")
    rows = list(rows)
    if not rows or any(r["param"] != "n_servers" for r in rows):
        raise ScenarioError("rows", "smallest_cluster needs the rows of an n_servers sweep")
    if rate is not None:
        rows = [r for r in rows if math.isclose(r["rate_per_s"], rate, rel_tol=1e-12)]
        if not rows:
            raise ScenarioError("rate", f"no rows at {rate} requests/s")
    else:
        rates = sorted({r["rate_per_s"] for r in rows})
        if len(rates) > 1:
            raise ScenarioError("rate", f"the rows mix arrival rates {rates} requests/s; choose one")
    limit_ms = max_per_token_s * 1000.0
    out: dict[str, int | None] = {}
    for r in rows:
        out.setdefault(r["policy"], None)
    for policy in out:
        by_value: dict[int, list[dict]] = {}
        for r in rows:
            if r["policy"] == policy:
                by_value.setdefault(r["value"], []).append(r)
        for v in sorted(by_value):
            rs = by_value[v]
            if all(r["error"] is None for r in rs) and \
                    float(np.mean([r["avg_per_token_ms"] for r in rs])) < limit_ms:
                out[policy] = v
                break
    return out


def to_csv(rows) -> str:
    """The rows as CSV text (header ROW_FIELDS; times in ms, an empty cell for a missing number)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(ROW_FIELDS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r[k]) for k in ROW_FIELDS})
    return buf.getvalue()


# --------------------------------------------------------------------------- command line

def format_table(rows, scn: Scenario) -> str:
    """The default CLI table: per value and policy, seconds per token over seeds and the reduction vs PETALS."""
    from .cli import _table

    p = SWEEP_PARAMS[rows.param] if isinstance(rows, SweepRows) and rows.param else SWEEP_PARAMS[rows[0]["param"]]
    s = lambda x: None if x is None else x / 1000  # noqa: E731  (ms -> s for the table)
    table = []
    for a in aggregate(rows):
        red = a["reduction_vs_petals"]
        note = ""
        if a["error"] is not None:
            msg = a["error"] if len(a["error"]) <= 80 else a["error"][:77] + "..."
            note = f"{a['n_seeds'] - a['n_ok']} infeasible: {msg}"
        table.append([a["value"], a["policy"], s(a["mean_per_token_ms"]), s(a["sd_per_token_ms"]),
                      s(a["min_per_token_ms"]), s(a["max_per_token_ms"]), s(a["mean_ttft_ms"]),
                      None if red is None else f"{100 * red:.1f}%", f"{a['n_ok']}/{a['n_seeds']}", note])
    head = [p.header(), "policy", "s/token mean", "sd (s)", "min (s)", "max (s)", "TTFT s", "vs PETALS",
            "seeds ok", "note"]
    if not any(r[-1] for r in table):  # no point failed: leave out the empty note column
        head, table = head[:-1], [r[:-1] for r in table]
    return "\n".join(line.rstrip() for line in _table(head, table).splitlines())


def cmd_sweep(a) -> int:
    """`python -m core sweep`: run the sweep and print the table, CSV or JSON."""
    from .cli import _json

    scn = scenario.load(a.scenario)
    p = _param(a.param)
    values = [p.parse(v, scn) for v in a.values]
    seeds = None if a.seeds is None else [SWEEP_PARAMS["seed"].parse(s, scn) for s in a.seeds]
    rows = run_sweep(scn, a.param, values, seeds, a.policies or api.DEFAULT_COMPARE, workers=a.workers,
                     dask=a.dask)
    best = None
    if a.max_per_token_s is not None:
        if a.param != "n_servers":
            raise ScenarioError("max-per-token-s", "applies to an n_servers sweep only")
        best = smallest_cluster(rows, a.max_per_token_s)
    if a.json:
        print(_json({"param": a.param, "unit": p.unit, "partial": rows.partial, "rows": list(rows),
                     "aggregate": aggregate(rows), "smallest_cluster": best}))
        return 0
    if a.csv:
        try:
            with open(a.csv, "w", encoding="utf-8", newline="") as f:
                f.write(to_csv(rows))
        except OSError as e:
            raise ScenarioError("csv", f"cannot write {a.csv}: {e.strerror}") from None
    n_seeds = 1 if seeds is None else len(seeds)
    print(f"{scn.name}: sweep of {p.header()} over {len(values)} value{'s' * (len(values) > 1)} x "
          f"{n_seeds} seed{'s' * (n_seeds > 1)}; "
          f"per-token times in s (mean, sd, min, max over seeds)")
    print(format_table(rows, scn))
    if best is not None:
        print(f"smallest cluster under {a.max_per_token_s:g} s/token (mean over seeds): " + ", ".join(
            f"{k}: {'none of the values' if v is None else f'{v} servers'}" for k, v in best.items()))
    if a.csv:
        print(f"wrote {len(rows)} rows to {a.csv}")
    return 0


def add_cli(subparsers) -> None:
    """Register the `sweep` subcommand on core/cli.py's subparsers."""
    sw = subparsers.add_parser("sweep", help="run every policy over values of one parameter (and seeds)",
                               description="Parameters: " + "; ".join(
                                   f"{p.name}: {p.help}" for p in SWEEP_PARAMS.values()))
    sw.add_argument("scenario")
    sw.add_argument("--param", required=True, choices=list(SWEEP_PARAMS))
    sw.add_argument("--values", required=True, nargs="+", metavar="V")
    sw.add_argument("--seeds", nargs="+", metavar="S", help="workload seeds to repeat every value with")
    sw.add_argument("--policies", nargs="+", choices=sorted(POLICIES))
    sw.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    sw.add_argument("--dask", metavar="ADDR", help="address of a dask.distributed scheduler, e.g. tcp://host:8786")
    sw.add_argument("--max-per-token-s", type=float, metavar="S",
                    help="n_servers sweeps: report the smallest cluster under this many s/token")
    out = sw.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="OUT.csv", help="also write every row to this CSV file")
    out.add_argument("--json", action="store_true", help="print rows and aggregates as JSON")
    sw.set_defaults(func=cmd_sweep)


__all__ = ["SWEEP_PARAMS", "SweepParam", "SweepRows", "ROW_FIELDS", "add_cli", "aggregate", "apply_value",
           "format_table", "plan", "run_sweep", "smallest_cluster", "to_csv", "with_seed"]
