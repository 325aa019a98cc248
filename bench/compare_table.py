#!/usr/bin/env python3
"""Prints the side-by-side table of bench/compare-pytorch.sh.

Usage: compare_table.py PYTHON_RESULTS.jsonl NAME=JMH_RESULT.json [NAME=JMH_RESULT.json ...]

PYTHON_RESULTS.jsonl holds the lines of pytorch_workloads.py; each JMH_RESULT.json is JMH's
`-rf json` output of MatmulBenchmark (average time in microseconds per product), labelled NAME
(e.g. vector, scalar). Ratios are Adjoint's GFLOP/s over numpy's (OpenBLAS) and torch's. When a
workload was measured in several rounds (repeated lines, repeated labels), the best round of
each side counts: on a shared machine the best round is the one least disturbed.
"""
import json
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    python = {}
    flops = {}
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if "info" in r:
                print(r["info"])
                continue
            key = (r["workload"], r["backend"])
            python[key] = max(python.get(key, 0.0), r["gflops"])
            flops[r["workload"]] = r["flops"]
    adjoint = {}
    labels = []
    for arg in sys.argv[2:]:
        label, path = arg.split("=", 1)
        if label not in labels:
            labels.append(label)
        with open(path) as f:
            for r in json.load(f):
                name = r["params"]["workload"]
                micros = r["primaryMetric"]["score"]
                if name in flops:
                    gflops = flops[name] / (micros * 1e-6) / 1e9
                    adjoint[(name, label)] = max(adjoint.get((name, label), 0.0), gflops)
    backends = [b for b in ("numpy", "torch") if any(k[1] == b for k in python)]
    header = ["workload"] + [f"{b} GF/s" for b in backends] + [f"adjoint {l} GF/s" for l in labels]
    for label in labels:
        header += [f"{label}/{b}" for b in backends]
    rows = []
    for name in flops:
        row = [name] + [f"{python.get((name, b), float('nan')):.1f}" for b in backends]
        row += [f"{adjoint.get((name, l), float('nan')):.1f}" for l in labels]
        for label in labels:
            for b in backends:
                ours = adjoint.get((name, label))
                theirs = python.get((name, b))
                row.append(f"{ours / theirs:.2f}" if ours and theirs else "n/a")
        rows.append(row)
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
