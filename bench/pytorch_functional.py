#!/usr/bin/env python3
"""Times the workloads of FunctionalBenchmark in PyTorch (float64).

Usage: pytorch_functional.py [--threads N] [--min-time S] WORKLOAD...
Workloads: rosenbrockHessian (torch.autograd.functional.hessian), rosenbrockForward,
rosenbrockJvp, mlpForward, mlpJvp (forward mode through torch.autograd.forward_ad). Prints one JSON
line per workload: {"workload", "backend": "torch", "threads", "us"}.
"""
import argparse
import json

from pytorch_workloads import time_call


def rosenbrock(x):
    pairs = x.reshape(-1, 2)
    odd = pairs[:, 0]
    even = pairs[:, 1]
    return (100 * (even - odd * odd) ** 2 + (1 - odd) ** 2).sum()


def setup(torch):
    torch.manual_seed(5)
    x = torch.randn(100)
    d = torch.randn(100)
    batch = torch.randn(64, 100)
    batch_direction = torch.randn(64, 100)
    w1 = torch.randn(100, 100) * 0.1
    b1 = torch.randn(100)
    w2 = torch.randn(100, 10) * 0.1

    def mlp(t):
        return torch.log_softmax(torch.tanh(t @ w1 + b1) @ w2, -1)
    return x, d, batch, batch_direction, mlp


def forward_jvp(torch, f, x, t):
    import torch.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, t))
        return fwAD.unpack_dual(y).tangent


def workloads(torch):
    x, d, batch, batch_direction, mlp = setup(torch)
    return {
        "rosenbrockHessian": lambda: torch.autograd.functional.hessian(rosenbrock, x),
        "rosenbrockForward": lambda: rosenbrock(x),
        "rosenbrockJvp": lambda: forward_jvp(torch, rosenbrock, x, d),
        "mlpForward": lambda: mlp(batch),
        "mlpJvp": lambda: forward_jvp(torch, mlp, batch, batch_direction),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=0.5)
    parser.add_argument("workloads", nargs="*")
    args = parser.parse_args()
    import torch
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(args.threads)
    table = workloads(torch)
    for name in args.workloads or list(table):
        seconds = time_call(table[name], args.min_time)
        print(json.dumps({"workload": name, "backend": "torch", "threads": args.threads, "us": seconds * 1e6}), flush=True)


if __name__ == "__main__":
    main()
