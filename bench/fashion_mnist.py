"""The fashion-mnist example's models in PyTorch, on the same data and with the same settings
(standardized inputs, Adam lr 1e-3 with cosine decay per epoch, batches of 128, 10 epochs), for the
side-by-side table in bench/RESULTS.md.

    /usr/bin/python3 bench/fashion_mnist.py --model mlp|cnn [--epochs 10] [--dtype float32|float64]
"""
import argparse
import gzip
import math
import os
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(prefix, dtype):
    x = idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float64) / 255.0
    y = idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x = (x - 0.2860) / 0.3530
    return torch.tensor(x, dtype=dtype), torch.tensor(y)


def model(kind):
    if kind == "mlp":
        return torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                   torch.nn.Linear(128, 10))
    return torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(64 * 5 * 5, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--dtype", default="float32")
    a = p.parse_args()
    dtype = getattr(torch, a.dtype)
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(2026)
    xtr, ytr = load("train", dtype)
    xte, yte = load("t10k", dtype)
    if a.model == "cnn":
        xtr, xte = xtr.reshape(-1, 1, 28, 28), xte.reshape(-1, 1, 28, 28)
    net = model(a.model).to(dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {a.model}, {a.dtype}")
    start = time.time()
    for epoch in range(a.epochs):
        for g in opt.param_groups:
            g["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * epoch / a.epochs))
        net.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            idx_ = perm[i:i + 128]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xtr[idx_]), ytr[idx_])
            loss.backward()
            opt.step()
        train_time = time.time() - t0
        net.eval()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).double().mean().item()
        print(f"epoch {epoch + 1}/{a.epochs}: test accuracy {100 * acc:.2f}% (training {train_time:.1f} s)")
    print(f"total {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
