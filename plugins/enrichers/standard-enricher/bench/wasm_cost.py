#!/usr/bin/env python3
"""Cost of the standard enricher as a component, outside the server.

    pip install wasmtime            # wasmtime-py (51 was used for the README's figures)
    python3 wasm_cost.py GUESTS/cxhost_enricher_standard_enricher.wasm \
        GUESTS/cxhost_test_hostile_enricher.wasm ../fixtures/comments.json

GUESTS is the guests' target dir's `wasm32-wasip2/release`. Every import is defined as a trap,
as the host grants no WASI, and every call gets a fresh store and instance, as in the host.
Batches are built from the fixtures (each text followed by one of "", 谢谢, thanks, 。 and
repeated 1-5 times). The hostile enricher's `normal` mode answers the same batch without any
work: its time is what wasmtime-py spends converting the records in Python, to subtract.
"""

import json
import sys
import time

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker, Record


def rec(**fields):
    r = Record()
    for k, v in fields.items():
        setattr(r, k, v)
    return r


def main():
    standard, hostile, fixtures_path = sys.argv[1:4]
    fixtures = json.load(open(fixtures_path, encoding="utf-8"))
    comments = fixtures["comments"]
    taxonomy = [rec(name=t["name"], keywords=t["keywords"]) for t in fixtures["taxonomy"]]
    engine = Engine()

    def loaded(path):
        component = Component.from_file(engine, path)
        linker = Linker(engine)
        linker.define_unknown_imports_as_traps(component)
        return component, linker

    def batch(n, prefix):
        chosen = [c for c in comments if c["id"].startswith(prefix)]
        return [
            rec(id=str(i), source="customer-comment",
                text=(chosen[i % len(chosen)]["text"] + ["", " 谢谢", " thanks", "。"][i % 4]) * (1 + i % 5))
            for i in range(n)
        ]

    def best_call(component, linker, items, params, runs=3):
        best = None
        for _ in range(runs):
            store = Store(engine)
            enrich = linker.instantiate(store, component).get_func(store, "enrich")
            start = time.perf_counter()
            out = enrich(store, rec(items=items, taxonomy=taxonomy, params=params))
            took = (time.perf_counter() - start) * 1000
            best = took if best is None else min(best, took)
        return best, out

    std = loaded(standard)
    host = loaded(hostile)
    hostile_params = [rec(name="mode", value="normal"), rec(name="sql", value=""), rec(name="n", value=0),
                      rec(name="size", value=0)]
    for prefix, n in [("en-", 1), ("zh-", 1), ("en-", 1000), ("zh-", 1000), ("", 1000)]:
        items = batch(n, prefix)
        chars = sum(len(i.text) for i in items)
        ms, out = best_call(*std, items, [])
        base, _ = best_call(*host, items, hostile_params)
        assert isinstance(out, list) and len(out) == n, out
        print(f"{prefix or 'all':4} {n:5} comments, {chars:6} characters: {ms:7.1f} ms "
              f"(an empty answer to the same batch: {base:6.1f} ms; difference {ms - base:6.1f} ms)")


if __name__ == "__main__":
    main()
