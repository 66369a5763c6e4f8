"""Where pydantic_bloop's time goes in the harness's measured paths (cProfile).

    python benchmarks/profiling.py dump|load|save|query [--items N] [--top N]

Prints the functions with the most own time (tottime) and the cumulative view of the library's
entry points. cProfile's overhead per call inflates call-heavy code: read the shares, not the
absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import many_values
from scenarios.model import INFO, Item, wire_items


def workload(name: str, n: int) -> Callable[[], object]:
    from pydantic_bloop import tracking, writes
    from pydantic_bloop.plans import Backoff

    values = many_values(n)
    objs = [Item(**v) for v in values]
    wires = wire_items(values)
    if name == "dump":
        return lambda: [INFO.dump_item(o) for o in objs]
    if name == "load":

        def load() -> None:
            for w in wires:
                tracking.loaded(INFO, INFO.instance_from(w, None), w, None)

        return load
    if name == "save":
        changed = []
        for w in wires:
            obj = INFO.instance_from(w, None)
            assert isinstance(obj, Item)
            tracking.remember(obj, tracking.seen(INFO, w, None))
            obj.views += 1
            changed.append(obj)
        options = writes.WriteOptions("update", False, Backoff())

        def save() -> None:
            for o in changed:
                write = writes.save_write(o, lambda m: "t", options, None)
                assert write is not None
                write.request()

        return save
    if name == "query":
        from scenarios.canned import CannedDynamo
        from scenarios.query import PK, canned_client

        from pydantic_bloop import Engine

        canned = CannedDynamo.by_size(wire_items(many_values(4000, pk=PK)), cache=True)
        engine = Engine(client=canned_client(canned))
        engine.bind(Item)
        engine.query(Item).key(Item.pk == PK).all()  # warm up
        return lambda: engine.query(Item).key(Item.pk == PK).all()
    raise SystemExit(f"unknown workload {name!r}: dump, load, save or query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=("dump", "load", "save", "query"))
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    run = workload(args.workload, args.items)
    run()  # warm up
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
