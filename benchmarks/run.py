"""pydantic_bloop's benchmark harness (issue 7): one command, one table.

    python benchmarks/run.py            # everything, ~5 minutes (./dev bench)
    python benchmarks/run.py --quick    # a ~30 s smoke run: fewer items and rounds
    python benchmarks/run.py --only micro,query --no-peers

Scenarios: (1) dump and load of one item, (2) building the save request of a one-field change,
(3) a query end to end through botocore with responses from memory, (4) bulk save and load
against dynalite, (5) memory of iterating a big query, (6) raw boto3, pydantic_bloop and pydynox
side by side on dynalite (client CPU and wall per item). Peers (PynamoDB, bloop, dyntastic) are
installed into their own virtualenvs under benchmarks/.venvs/ and run as worker processes in
the same rounds as pydantic_bloop. Times are medians over rounds with min-max; ratios are
taken round by round against the floor measured in the same round (the machine may be busy).

The table is printed and written, with the date and the machine, to benchmarks/RESULTS.md
(``--output`` elsewhere, ``--output -`` nowhere).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # when imported rather than run as a script

from peers.manager import PEERS, Worker, ensure_all  # noqa: E402
from report import Row, table  # noqa: E402
from scenarios import Options, async_engine, bulk, memory, micro, query, side_by_side  # noqa: E402

SCENARIOS = ("micro", "query", "bulk", "async", "memory", "side")
Outcome = tuple[list[Row], list[str]]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "load": load_average(),
    }


def load_average() -> str:
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def versions() -> str:
    from importlib.metadata import version

    names = ("pydantic_bloop", "pydantic", "pydantic_core", "boto3", "botocore")
    return ", ".join(f"{n} {version(n.replace('_', '-'))}" for n in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 s run: fewer items and rounds")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip PynamoDB, bloop, dyntastic and pydynox"
    )
    parser.add_argument(
        "--output", default=str(HERE / "RESULTS.md"), help="where to write the table ('-': nowhere)"
    )
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")

    started = time.monotonic()
    info = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    log_dir = Path(tempfile.mkdtemp(prefix="bloop-bench-"))
    options = Options(quick=args.quick, repeats=5 if args.quick else 15, log_dir=log_dir)

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:5.0f}s] {message}", file=sys.stderr, flush=True)

    steps: dict[str, tuple[str, Callable[[], Outcome]]] = {
        "micro": (
            "scenarios 1-2: dump, load, save request (every process in turn)",
            lambda: run_micro(options, peers=not args.no_peers, say=say),
        ),
        "query": (
            "scenario 3: query end to end over canned responses",
            lambda: (query.run(options), []),
        ),
        "bulk": ("scenario 4: bulk save and load against dynalite", lambda: bulk.run(options)),
        "async": (
            "AsyncEngine against Engine on dynalite: concurrent gets, bulk save and load",
            lambda: async_engine.run(options),
        ),
        "memory": (
            "scenario 5: memory of a big query (child processes)",
            lambda: memory.run(args.quick),
        ),
        "side": (
            "scenario 6: raw boto3, pydantic_bloop and pydynox side by side on dynalite",
            lambda: side_by_side.run(options, peers=not args.no_peers),
        ),
    }
    rows: list[Row] = []
    notes: list[str] = []
    durations: list[str] = []
    for name in SCENARIOS:
        if name in only:
            title, step = steps[name]
            say(title)
            began = time.monotonic()
            step_rows, step_notes = step()
            rows += step_rows
            notes += step_notes
            durations.append(f"{name} {time.monotonic() - began:.0f} s")

    elapsed = time.monotonic() - started
    info["load_end"] = load_average()
    info["durations"] = ", ".join(durations)
    text = table(rows)
    print(text)
    for note in notes:
        print(f"- {note}")
    say(f"done in {elapsed:.0f}s ({info['durations']})")
    if args.output != "-":
        Path(args.output).write_text(results_md(text, notes, info, when, elapsed, args))
        say(f"wrote {args.output}")
    return 0


def run_micro(options: Options, *, peers: bool, say: Callable[[str], None]) -> Outcome:
    """Scenarios 1-2, with the peers' worker processes taking turns with this one."""
    items = 300 if options.quick else 1000
    workers: list[Worker] = []
    unavailable: dict[str, str] = {}
    with (options.log_dir / "peers.log").open("w") as log:
        try:
            if peers:
                say("peers: ensuring virtualenvs under benchmarks/.venvs/ (the first run installs)")
                pythons = ensure_all(PEERS)
                for peer in PEERS:
                    python = pythons[peer.name]
                    if isinstance(python, Exception):
                        unavailable[peer.name] = str(python)
                    else:
                        workers.append(Worker.start(peer, python, items, log))
                for worker in workers:
                    worker.ready()
                    if worker.error is not None:
                        unavailable[worker.peer.name] = worker.error
            return micro.run(options, workers, items, unavailable)
        finally:
            for worker in workers:
                worker.stop()


METHOD = """\
## How it is measured

- **Clock.** Scenarios 1-3 are timed with the thread's CPU clock (`time.thread_time_ns`):
  on a shared machine the wall clock also counts the time other processes held the core, which
  inflates long batches more than short ones. Scenario 4 (threads, a server) is wall time.
- **Rounds.** Every case runs once a round, in a rotating order, after one warm-up round; the
  peers run in their own processes in the same rounds (worker subprocesses), so every
  implementation sees the same machine load. Median is the median over rounds, min-max the
  range; a ratio is the median of the per-round ratios to the scenario's floor (the floor
  measured in the same round), which cancels most of the load drift.
- **1. dump / load**: batches of distinct items, the collector off (as timeit). Floors: a plain
  pydantic `BaseModel` of the same 8 fields (`model_dump()`, `model_validate()` of Python values)
  and boto3's `TypeSerializer` / `TypeDeserializer` on plain dicts. pydantic_bloop: dump =
  `model_info(Item).dump_item(obj)`; load = `info.instance_from(item, None)` +
  `tracking.remember(obj, tracking.seen(info, item, None))`, what a query does per item. Each
  peer loads the items it dumped itself.
- **2. save request**: a loaded object with one field changed;
  `writes.save_write(obj, lambda m: "t", WriteOptions("update", False, Backoff()), None).request()`
  (diff against the snapshot + UpdateItem with placeholders). PynamoDB has no change tracking
  (the caller names the action); bloop 3.1.1 marks every column it loads, so a loaded object's
  save SETs them all (both of its rows are shown).
- **3. query**: botocore's `before-send` event answers from memory (status 200, ~1 MB JSON
  pages with `LastEvaluatedKey`, `x-amz-crc32`), so everything but the server is measured,
  signing and parsing included. The e2e rows run with the collector on and nothing else held;
  the ↳ rows are measured with the collector off, the parts each on their own.
- **4. bulk**: dynalite on this machine (node, same 2 cores), a fresh table per measurement;
  the notes split wall time into this process's CPU, dynalite's CPU and waiting.
- **5. memory**: each figure from a fresh child process; tracemalloc peak (Python allocations)
  and growth of the peak RSS (VmHWM reset through /proc/self/clear_refs).
- **6. side by side on dynalite**: raw boto3 (floor), pydantic_bloop (on the client `Engine()`
  makes: no parameter validation) and pydynox (its worker process, its own Rust HTTP client)
  read and write one dynalite table in the same rounds. Each run is timed by the process's CPU
  clock (every thread: the Rust runtime's included) and the wall clock, the collector on.
"""


def results_md(
    text: str,
    notes: list[str],
    info: dict[str, str],
    when: str,
    elapsed: float,
    args: argparse.Namespace,
) -> str:
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` (`./dev bench`), {when}, {elapsed:.0f} s ({info['durations']}).",
        "",
        f"- Machine: `nproc` {info['nproc']}, {info['cpu']}, {info['platform']}",
        f"- Python: {info['python']}; {versions()}",
        f"- Load average: {info['load']} at the start, {info['load_end']} at the end. The machine "
        "was shared (2 cores, several engineers building and testing at once): absolute numbers "
        "are inflated and noisy; the ratios, taken round by round against a floor measured in "
        "the same round, much less so.",
        "",
        text,
        "",
        "µs/item: median over rounds (min-max); ratio: to the scenario's floor row (for items/s, "
        "pydantic_bloop's rate over the raw loop's). ↳ rows break the row above them down.",
    ]
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    lines += ["", METHOD]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
