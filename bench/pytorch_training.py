#!/usr/bin/env python3
"""Times the workloads of TrainingBenchmark, ElementwiseBenchmark, ConvBenchmark and StridedBenchmark in PyTorch (float64,
or float32 with --dtype float32).

Usage: pytorch_training.py [--threads N] [--min-time S] [--dtype float64|float32] WORKLOAD...
Workloads: seedStep (1 thread, as the target says), mlpStep, mlpStepFloat32 (the same step, always in
float32, PyTorch's default), fashionMlpStep (the Fashion-MNIST example's 784-256-128-10 step, batch 128), biasRelu, softmax, logSoftmax (scoped), tanh, sigmoid, log, log1p, softplus, gelu (forward only, no gradient: ElementwiseBenchmark's
tanhScoped, ...), geluGrad and siluGrad (gelu or silu weighted, summed, backward), layerNorm (LayerNorm(1000), scoped), batchNorm (BatchNorm2d(32) on [64, 32, 14, 14], scoped), batchNorm1d (BatchNorm1d(512) on [256, 512], scoped), batchNormEval (BatchNorm2d(32) in evaluation mode, forward only), tanhGrad and sigmoidGrad (of [128, 256], weighted, summed, backward, scoped), sqrt and neg (of [128, 256], forward, scoped), conv2d, wideConv, maxPool2d (as ConvBenchmark and ConvDtypeBenchmark), expandedAdd,
transposeCopy, sumBackward (as StridedBenchmark). Prints one JSON
line per workload: {"workload", "backend": "torch", "threads", "dtype", "us"} (microseconds per call, the
median of 5 rounds of at least --min-time seconds each, after warm-up).
"""
import argparse
import json

from pytorch_workloads import time_call


def seed_step(torch):
    x = torch.tensor([[0.8, 0.4], [0.3, 0.3]])
    t = torch.tensor([[0.2, 0.4], [1.0, 0.0]])
    layers = [torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 3), torch.nn.Sigmoid(),
              torch.nn.Linear(3, 2), torch.nn.Sigmoid()]
    net = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(1.0)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)

    def step():
        opt.zero_grad()
        loss = ((net(x) - t) ** 2).sum()
        loss.backward()
        opt.step()
    return step


def mlp_step(torch, dtype=None, widths=(784, 512, 512, 10), batch=256):
    """A ReLU MLP of the given layer widths, softmax cross-entropy on class labels, Adam."""
    dtype = dtype or torch.get_default_dtype()
    torch.manual_seed(1)
    layers = []
    for i in range(len(widths) - 1):
        layers += [torch.nn.Linear(widths[i], widths[i + 1]), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1]).to(dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, widths[0], dtype=dtype)
    y = torch.randint(0, widths[-1], (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    return step


def fashion_mlp_step(torch):
    """The Fashion-MNIST example's MLP: 784-256-128-10, batch 128."""
    return mlp_step(torch, widths=(784, 256, 128, 10), batch=128)


def mlp_step_float32(torch):
    return mlp_step(torch, torch.float32)


def bias_relu(torch):
    h = torch.randn(256, 512, requires_grad=True)
    b = torch.randn(512, requires_grad=True)

    def step():
        h.grad = None
        b.grad = None
        torch.relu(h + b).sum().backward()
    return step


def softmax(torch):
    x = torch.randn(256, 1000, requires_grad=True)
    w = torch.randn(256, 1000)

    def step():
        x.grad = None
        (torch.softmax(x, -1) * w).sum().backward()
    return step


def log_softmax(torch):
    x = torch.randn(256, 1000, requires_grad=True)
    w = torch.randn(256, 1000)

    def step():
        x.grad = None
        (torch.log_softmax(x, -1) * w).sum().backward()
    return step


def softmax_channels(torch):
    x = torch.randn(32, 10, 28, 28, requires_grad=True)
    w = torch.randn(32, 10, 28, 28)

    def step():
        x.grad = None
        (torch.softmax(x, 1) * w).sum().backward()
    return step


def log_softmax_channels(torch):
    x = torch.randn(32, 10, 28, 28, requires_grad=True)
    w = torch.randn(32, 10, 28, 28)

    def step():
        x.grad = None
        (torch.log_softmax(x, 1) * w).sum().backward()
    return step


def tanh(torch):
    x = torch.randn(256, 1000)

    def step():
        return torch.tanh(x)
    return step


def sigmoid(torch):
    x = torch.randn(256, 1000)

    def step():
        return torch.sigmoid(x)
    return step


def log(torch):
    x = torch.rand(256, 1000) + 1e-3

    def step():
        return torch.log(x)
    return step


def log1p(torch):
    x = torch.rand(256, 1000) + 1e-3

    def step():
        return torch.log1p(x)
    return step


def softplus(torch):
    x = torch.randn(256, 1000)

    def step():
        return torch.nn.functional.softplus(x)
    return step


def gelu(torch):
    x = torch.randn(256, 1000)

    def step():
        return torch.nn.functional.gelu(x)
    return step


def weighted_grad(name):
    """An activation of [256, 1000] weighted, summed, then backward into x (geluGrad, siluGrad)."""
    def make(torch):
        f = getattr(torch.nn.functional, name)
        x = torch.randn(256, 1000, requires_grad=True)
        w = torch.randn(256, 1000)

        def step():
            x.grad = None
            (f(x) * w).sum().backward()
        return step
    return make


def batch_norm_eval(torch):
    """BatchNorm2d(32) in evaluation mode on [64, 32, 14, 14], forward only, no gradient (batchNormEval)."""
    bn = torch.nn.BatchNorm2d(32)
    bn.eval()
    x = torch.randn(64, 32, 14, 14)

    def step():
        with torch.no_grad():
            bn(x)
    return step


def small_grad(name):
    """An activation of [128, 256] weighted, summed, then backward into x (tanhGrad, sigmoidGrad)."""
    def make(torch):
        f = getattr(torch, name)
        x = torch.randn(128, 256, requires_grad=True)
        w = torch.randn(128, 256)

        def step():
            x.grad = None
            (f(x) * w).sum().backward()
        return step
    return make


def small_forward(name):
    """A function of [128, 256] uniform in [0, 1), forward only, no gradient (sqrt, neg)."""
    def make(torch):
        f = getattr(torch, name)
        x = torch.rand(128, 256)

        def step():
            f(x)
        return step
    return make


def layer_norm(torch):
    """LayerNorm(1000) of [256, 1000], weighted, summed, backward into x, the weight and the bias (layerNorm)."""
    ln = torch.nn.LayerNorm(1000)
    x = torch.randn(256, 1000, requires_grad=True)
    w = torch.randn(256, 1000)

    def step():
        x.grad = None
        ln.zero_grad()
        (ln(x) * w).sum().backward()
    return step


def batch_norm(torch):
    """BatchNorm2d(32) in training mode on [64, 32, 14, 14], weighted, summed, backward (batchNorm)."""
    bn = torch.nn.BatchNorm2d(32)
    x = torch.randn(64, 32, 14, 14, requires_grad=True)
    w = torch.randn(64, 32, 14, 14)

    def step():
        x.grad = None
        bn.zero_grad()
        (bn(x) * w).sum().backward()
    return step


def batch_norm1d(torch):
    """BatchNorm1d(512) in training mode on [256, 512], weighted, summed, backward (batchNorm1d)."""
    bn = torch.nn.BatchNorm1d(512)
    x = torch.randn(256, 512, requires_grad=True)
    w = torch.randn(256, 512)

    def step():
        x.grad = None
        bn.zero_grad()
        (bn(x) * w).sum().backward()
    return step


def conv_layer(n, c, size, o, scale):
    """conv2d(x [n, c, size, size], w [o, c, 3, 3], padding 1), backward of its sum into x and w."""
    def make(torch):
        x = torch.randn(n, c, size, size, requires_grad=True)
        w = (torch.randn(o, c, 3, 3) * scale).requires_grad_(True)

        def step():
            x.grad = None
            w.grad = None
            torch.nn.functional.conv2d(x, w, None, 1, 1).sum().backward()
        return step
    return make


def max_pool2d(torch):
    x = torch.randn(64, 32, 28, 28, requires_grad=True)

    def step():
        x.grad = None
        torch.nn.functional.max_pool2d(x, 2, 2, 0).sum().backward()
    return step


def expanded_add(torch):
    e = torch.randn(()).expand(256, 1000)

    def step():
        return e + 0.0
    return step


def transpose_copy(torch):
    t = torch.randn(512, 512).t()

    def step():
        return t.reshape(512 * 512)
    return step


def sum_backward(torch):
    x = torch.randn(256, 1000, requires_grad=True)

    def step():
        x.grad = None
        x.sum().backward()
    return step


def lookup(torch):
    table = torch.randn(50_000, 128, requires_grad=True)
    rows = torch.randint(0, 50_000, (2048,))

    def step():
        return table.detach().index_select(0, rows)
    return step


def lookup_backward(torch):
    table = torch.randn(50_000, 128, requires_grad=True)
    rows = torch.randint(0, 50_000, (2048,))

    def step():
        table.grad = None
        table.index_select(0, rows).sum().backward()
        return table.grad
    return step


def gather_targets(torch):
    logits = torch.randn(256, 1000)
    targets = torch.randint(0, 1000, (256, 1))

    def step():
        return logits.gather(1, targets)
    return step


def concat(torch):
    left = torch.randn(256, 512)
    right = torch.randn(256, 512)

    def step():
        return torch.cat([left, right], 1)
    return step


def where(torch):
    mask = torch.randn(256, 1000) > 0
    a = torch.randn(256, 1000)
    b = torch.randn(256, 1000)

    def step():
        return torch.where(mask, a, b)
    return step


def gt(torch):
    a = torch.randn(256, 1000)
    b = torch.randn(256, 1000)

    def step():
        # Adjoint's comparisons give 1 or 0 in the operands' dtype
        return (a > b).to(a.dtype)
    return step


def clamp(torch):
    a = torch.randn(256, 1000)

    def step():
        return a.clamp(-0.5, 0.5)
    return step


def selection_grad(name):
    def make(torch):
        x = torch.randn(256, 1000, requires_grad=True)
        y = torch.randn(256, 1000, requires_grad=True)
        b = torch.randn(256, 1000)
        m = torch.randn(256, 1000) > 0
        f = {"leakyRelu": lambda: torch.nn.functional.leaky_relu(x, 0.01), "abs": lambda: x.abs(),
             "clamp": lambda: x.clamp(-0.5, 0.5), "maximum": lambda: torch.maximum(x, y),
             "where": lambda: torch.where(m, x, y)}[name]

        def step():
            x.grad = None
            y.grad = None
            (f() * b).sum().backward()
            return x.grad
        return step
    return make


def maximum(torch):
    a = torch.randn(256, 1000)
    b = torch.randn(256, 1000)

    def step():
        return torch.maximum(a, b)
    return step


def argmax_rows(torch):
    logits = torch.randn(256, 1000)

    def step():
        return logits.argmax(1)
    return step


def max_rows(torch):
    logits = torch.randn(256, 1000)

    def step():
        # the values and the positions, as Adjoint's max keeps the positions for the gradient
        return logits.max(1)
    return step


def sum_columns(torch):
    x = torch.randn(256, 1000)

    def step():
        return x.sum(0)
    return step


def max_rows_grad(torch):
    x = torch.randn(256, 1000, requires_grad=True)

    def step():
        x.grad = None
        x.max(1).values.sum().backward()
        return x.grad
    return step


def cross_entropy_grad(torch):
    x = torch.randn(256, 1000, requires_grad=True)
    classes = torch.randint(0, 1000, (256,))

    def step():
        x.grad = None
        torch.nn.functional.cross_entropy(x, classes).backward()
        return x.grad
    return step


def cross_entropy_targets_grad(torch):
    x = torch.randn(256, 1000, requires_grad=True)
    classes = torch.randint(0, 1000, (256,))
    smoothed = torch.full((256, 1000), 0.1 / 1000)
    smoothed[torch.arange(256), classes] += 0.9

    def step():
        x.grad = None
        torch.nn.functional.cross_entropy(x, smoothed).backward()
        return x.grad
    return step


def squared_difference_grad(torch):
    x = torch.randn(256, 1000, requires_grad=True)
    a = torch.randn(256, 1000)

    def step():
        x.grad = None
        torch.nn.functional.mse_loss(x, a, reduction="sum").backward()
        return x.grad
    return step


WORKLOADS = {"seedStep": (seed_step, 1), "mlpStep": (mlp_step, None), "mlpStepFloat32": (mlp_step_float32, None),
             "fashionMlpStep": (fashion_mlp_step, None),
             "biasRelu": (bias_relu, None),
             "softmax": (softmax, None), "logSoftmax": (log_softmax, None), "softmaxChannels": (softmax_channels, None), "logSoftmaxChannels": (log_softmax_channels, None), "tanh": (tanh, None), "sigmoid": (sigmoid, None), "log": (log, None), "log1p": (log1p, None), "softplus": (softplus, None), "gelu": (gelu, None), "geluGrad": (weighted_grad("gelu"), None), "layerNorm": (layer_norm, None), "batchNorm": (batch_norm, None), "batchNorm1d": (batch_norm1d, None), "batchNormEval": (batch_norm_eval, None), "tanhGrad": (small_grad("tanh"), None), "sigmoidGrad": (small_grad("sigmoid"), None), "sqrt": (small_forward("sqrt"), None), "neg": (small_forward("neg"), None), "siluGrad": (weighted_grad("silu"), None), "conv2d": (conv_layer(64, 32, 14, 64, 0.06), None), "wideConv": (conv_layer(16, 128, 28, 128, 0.03), None), "maxPool2d": (max_pool2d, None),
             "expandedAdd": (expanded_add, None), "transposeCopy": (transpose_copy, None), "sumBackward": (sum_backward, None),
             "lookup": (lookup, None), "lookupBackward": (lookup_backward, None), "gatherTargets": (gather_targets, None),
             "concat": (concat, None), "where": (where, None), "gt": (gt, None), "clamp": (clamp, None),
             "leakyReluGrad": (selection_grad("leakyRelu"), None), "absGrad": (selection_grad("abs"), None),
             "clampGrad": (selection_grad("clamp"), None), "maximumGrad": (selection_grad("maximum"), None),
             "whereGrad": (selection_grad("where"), None),
             "maximum": (maximum, None), "argmaxRows": (argmax_rows, None), "maxRows": (max_rows, None), "sumColumns": (sum_columns, None),
             "maxRowsGrad": (max_rows_grad, None), "squaredDifferenceGrad": (squared_difference_grad, None),
             "crossEntropyGrad": (cross_entropy_grad, None), "crossEntropyTargetsGrad": (cross_entropy_targets_grad, None)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=0.5)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    import torch
    torch.set_default_dtype(getattr(torch, args.dtype))
    for name in args.workloads:
        make, threads = WORKLOADS[name]
        threads = threads or args.threads
        torch.set_num_threads(threads)
        seconds = time_call(make(torch), args.min_time)
        print(json.dumps({"workload": name, "backend": "torch", "threads": threads, "dtype": "float32" if name == "mlpStepFloat32" else args.dtype,
                          "us": seconds * 1e6}), flush=True)


if __name__ == "__main__":
    main()
