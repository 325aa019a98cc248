#!/usr/bin/env python3
"""Times Adjoint's benchmark workloads in numpy and PyTorch (float64 or float32), one JSON line per result.

Usage: pytorch_workloads.py [--threads N] [--backends numpy,torch] [--min-time S] [--dtype float64|float32]
                             [--fastest] WORKLOAD...

The workload names are the ones of bench/src/main/java/dev/adjoint/bench/Workload.java. To add
a workload (a tiny graph, an MLP step), add a function to WORKLOADS that takes the backend name
and returns (callable, flops per call); the matching JMH benchmark goes in the bench module.
Thread counts are set through the environment before numpy/torch load (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS) and with torch.set_num_threads.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time


def matmul_workload(m, n, k, trans_a, trans_b):
    """A @ B with A stored k x m when trans_a and B stored n x k when trans_b (read as views)."""
    def make(backend, dtype="float64"):
        if backend == "numpy":
            import numpy as np
            rng = np.random.default_rng(42)
            a = rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(dtype)
            b = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(dtype)
            a = a.T if trans_a else a
            b = b.T if trans_b else b
            return (lambda: a @ b), 2.0 * m * n * k
        import torch
        g = torch.Generator().manual_seed(42)
        a = torch.rand((k, m) if trans_a else (m, k), dtype=getattr(torch, dtype), generator=g) * 2 - 1
        b = torch.rand((n, k) if trans_b else (k, n), dtype=getattr(torch, dtype), generator=g) * 2 - 1
        a = a.t() if trans_a else a
        b = b.t() if trans_b else b
        return (lambda: torch.matmul(a, b)), 2.0 * m * n * k
    return make


WORKLOADS = {
    "matmul_1024": matmul_workload(1024, 1024, 1024, False, False),
    "mlp1_forward": matmul_workload(256, 512, 784, False, False),
    "mlp1_grad_input": matmul_workload(256, 784, 512, False, True),
    "mlp1_grad_weight": matmul_workload(784, 512, 256, True, False),
    "mlp2_forward": matmul_workload(256, 10, 512, False, False),
    "mlp2_grad_input": matmul_workload(256, 512, 10, False, True),
    "mlp2_grad_weight": matmul_workload(512, 10, 256, True, False),
}


def time_call(fn, min_time, rounds=5):
    """Median seconds per call over `rounds` rounds of at least `min_time` seconds, after warm-up."""
    fn()
    reps = 1
    while True:
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        reps *= 2
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - start) / reps)
    return statistics.median(samples)


def fastest_call(fn, total_time):
    """The fastest single call, in seconds, of those made in `total_time` seconds after warm-up:
    on a machine shared with other jobs, the call least disturbed by them."""
    for _ in range(3):
        fn()
    best = float("inf")
    end = time.perf_counter() + total_time
    while time.perf_counter() < end:
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def blas_info():
    """Which BLAS numpy runs, and on which OpenBLAS core type."""
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} core={i.get('architecture')} "
                         f"threads={i.get('num_threads')}" for i in threadpool_info())
    except ImportError:
        return "threadpoolctl not installed: see the 'Core:' line OpenBLAS printed above (OPENBLAS_VERBOSE=2)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backends", default="numpy,torch")
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--fastest", action="store_true",
                        help="report the fastest single call (over 5 x min-time seconds), not the median round")
    args = parser.parse_args()
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        sys.exit(f"unknown workload(s) {unknown}; known: {list(WORKLOADS)}")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    backends = args.backends.split(",")
    if "numpy" in backends:
        import numpy
        print(json.dumps({"info": "numpy " + numpy.__version__ + ": " + blas_info()}), flush=True)
    if "torch" in backends:
        import torch
        torch.set_num_threads(args.threads)
        blas = re.findall(r"BLAS_INFO=[^,]*", torch.__config__.show())
        print(json.dumps({"info": f"torch {torch.__version__} threads={torch.get_num_threads()} "
                          + " ".join(blas)}), flush=True)
    for name in args.workloads:
        for backend in backends:
            fn, flops = WORKLOADS[name](backend, args.dtype)
            seconds = fastest_call(fn, 5 * args.min_time) if args.fastest else time_call(fn, args.min_time)
            print(json.dumps({"workload": name, "backend": backend, "dtype": args.dtype, "seconds": seconds,
                              "flops": flops, "gflops": flops / seconds / 1e9}), flush=True)


if __name__ == "__main__":
    main()
