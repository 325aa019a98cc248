"""Generates the float32 agreement corpus from the float64 one: every program of
core/src/test/resources/op-cases/*.txt and pytorch-cases.txt, plus the programs of
op_cases_float32.py (the dtype conversion and the ops the float64 corpora leave to other suites),
run again by PyTorch in float32, for PyTorchFloat32AgreementTest to replay with float32 tensors.

The programs come from the float64 corpus files, so there is one source of programs and the float32
files follow the float64 ones when those are regenerated. Inputs, constants, weights and directions
are rounded to float32 (so both sides start from exactly the same numbers); PyTorch then records the
float32 value, the gradient of sum(value * weight) and, for the op-cases, the Hessian-vector product.
Numbers are written in the shortest form that reads back as the same float32.

Each case also gets a line
    condition <k>
the case's measured float32 sensitivity: the same program run by PyTorch in float64 on the same
(float32) inputs, and k = the largest |float32 - float64| / (|float64| * 2^-23) over every recorded
value, gradient and Hessian-vector product element, i.e. by how many float32 ulps PyTorch's own
float32 run strays from the exact answer, not counting the 8 ulps of the case's scale (its largest
recorded number) that the Java test allows every element anyway (the residue of cancellations).
A well-conditioned case has a small k; the Java test derives each case's tolerance from k (see
PyTorchFloat32AgreementTest).

Run with Debian's PyTorch:  /usr/bin/python3 core/src/test/python/generate_float32_cases.py
"""
import glob
import importlib
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

EPS32 = 2.0 ** -23


def fmt32(xs):
    """Each number as the shortest text that reads back (Float.parseFloat) as the same float32."""
    java = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
    return " ".join(java.get(str(np.float32(v)), str(np.float32(v))) for v in xs)


def shape_of(t):
    return "[" + " ".join(map(str, t.shape)) + "]"


def words_shape(w, start):
    """(shape, index after the shape) of a shape written [2 3] from word start."""
    i = start
    while not w[i].endswith("]"):
        i += 1
    inner = " ".join(w[start:i + 1])[1:-1].strip()
    return ([int(s) for s in inner.split()] if inner else []), i + 1


def run_op(w, named, dtype):
    """One op line (words w: r<k> = <op> ...) in PyTorch; mirrors the Java replayers' op switches."""
    op = w[2]
    a = named.get(w[3]) if len(w) > 3 else None
    if op in ("neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "erf", "log1p"):
        return getattr(torch, op)(a)
    if op == "softplus":
        return F.softplus(a)
    if op in ("add", "sub", "mul", "div", "maximum", "minimum"):
        return getattr(torch, op)(a, named[w[4]])
    if op in ("add_s", "sub_s", "mul_s", "div_s"):
        c = float(w[4])
        return {"add_s": a + c, "sub_s": a - c, "mul_s": a * c, "div_s": a / c}[op]
    if op == "pow":
        return torch.pow(a, named[w[4]]) if w[4] in named else a.pow(float(w[4]))
    if op == "clamp":
        return a.clamp(float(w[4]), float(w[5]))
    if op == "matmul":
        return a @ named[w[4]]
    if op == "transpose":
        return a.transpose(-2, -1)
    if op == "reshape":
        return a.reshape(*[int(s) for s in w[4:]])
    if op in ("sum_axis", "mean_axis", "max_axis", "logsumexp"):
        axis, keep = int(w[4]), w[5] == "1"
        if op == "sum_axis":
            return a.sum(axis, keepdim=keep)
        if op == "mean_axis":
            return a.mean(axis, keepdim=keep)
        if op == "max_axis":
            return a.max(axis, keepdim=keep).values
        return torch.logsumexp(a, axis, keepdim=keep)
    if op in ("softmax", "log_softmax"):
        return getattr(torch, op)(a, int(w[4]))
    if op == "concat":
        return torch.cat([named[n] for n in w[4:]], int(w[3]))
    if op == "stack":
        return torch.stack([named[n] for n in w[4:]], int(w[3]))
    if op in ("max", "min"):
        if len(w) == 4:
            return a.max() if op == "max" else a.min()
        r = a.max(int(w[4]), keepdim=w[5] == "1") if op == "max" else a.min(int(w[4]), keepdim=w[5] == "1")
        return r.values
    if op == "where":
        return torch.where(a != 0, named[w[4]], named[w[5]])
    if op == "gt":
        return (a > named[w[4]]).to(dtype)
    if op == "gelu":
        return F.gelu(a)
    if op == "silu":
        return F.silu(a)
    if op == "leakyRelu":
        return F.leaky_relu(a, float(w[4]))
    if op == "logSumExp":
        return torch.logsumexp(a.reshape(-1), 0) if len(w) == 4 else torch.logsumexp(a, int(w[4]), keepdim=w[5] == "1")
    if op in ("var", "std"):
        return getattr(a, op)(int(w[4]), keepdim=w[5] == "1")
    if op == "cumsum":
        return torch.cumsum(a, int(w[4]))
    if op == "prod":
        return a.prod(int(w[4]), keepdim=w[5] == "1")
    if op == "norm":
        return a.norm()
    if op == "indexSelect":
        return torch.index_select(a, int(w[4]), torch.tensor([int(s) for s in w[5:]]))
    if op == "gather":
        return torch.gather(a, int(w[4]), named[w[5]].long())
    if op == "scatterAdd":
        return torch.scatter_add(a, int(w[4]), named[w[5]].long(), named[w[6]])
    if op == "permute":
        return a.permute(*[int(s) for s in w[4:]])
    if op == "unsqueeze":
        return a.unsqueeze(int(w[4]))
    if op == "squeeze":
        return a.squeeze(int(w[4]))
    if op == "flatten":
        return a.flatten(int(w[4]))
    if op == "conv2d":
        b = None if w[5] == "none" else named[w[5]]
        n = [int(s) for s in w[6:13]]
        return F.conv2d(a, named[w[4]], b, (n[0], n[1]), (n[2], n[3]), (n[4], n[5]), n[6])
    if op == "conv1d":
        b = None if w[5] == "none" else named[w[5]]
        return F.conv1d(a, named[w[4]], b, int(w[6]), int(w[7]))
    if op == "maxPool2d":
        return F.max_pool2d(a, int(w[4]), int(w[5]), int(w[6]))
    if op == "avgPool2d":
        return F.avg_pool2d(a, int(w[4]), int(w[5]), int(w[6]))
    if op == "affine":
        return a @ named[w[4]] + named[w[5]]
    if op == "sumSquaredDifference":
        return ((a - named[w[4]]) ** 2).sum()
    if op == "batchNorm":
        weight = None if w[4] == "none" else named[w[4]]
        bias = None if w[5] == "none" else named[w[5]]
        return F.batch_norm(a, None, None, weight, bias, True, 0.0, float(w[6]))
    if op == "layerNorm":
        weight = None if w[4] == "none" else named[w[4]]
        bias = None if w[5] == "none" else named[w[5]]
        return F.layer_norm(a, [int(s) for s in w[7:]], weight, bias, float(w[6]))
    if op == "softmaxCrossEntropy":
        if named[w[4]].dim() == 1:
            return F.cross_entropy(a, named[w[4]].long())
        return -(named[w[4]] * torch.log_softmax(a, 1)).sum() / a.shape[0]
    if op == "expand":
        return a.expand(*[int(s) for s in w[4:]])
    if op == "sumTo":
        shape = [int(s) for s in w[4:]]
        lead = a.dim() - len(shape)
        axes = list(range(lead)) + [lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1]
        out = a.sum(axes, keepdim=True) if axes else a
        return out.reshape(shape)
    if op == "narrow":
        return a.narrow(int(w[4]), int(w[5]), int(w[6]))
    if op == "select":
        return a.select(int(w[4]), int(w[5]))
    if op == "to":
        # the reference run (float64) computes the exact answer, so there a conversion changes nothing
        target = {"float32": torch.float32, "float64": torch.float64}[w[4]]
        return a.to(target) if dtype == torch.float32 else a
    raise ValueError("unknown op " + op)


def run(lines, dtype):
    """Runs one case's program with tensors of dtype; returns (inputs, value, grads, hvps or None)."""
    named, inputs, directions, weight, out = {}, [], [], None, None
    has_hvp = any(line.startswith("hvp ") for line in lines)
    for line in lines[1:-1]:
        w = line.split(" ")
        if w[0] in ("input", "const"):
            shape, at = words_shape(w, 2)
            t = torch.tensor([float(s) for s in w[at:]], dtype=torch.float64).to(torch.float32).to(dtype).reshape(shape)
            if w[0] == "input":
                t.requires_grad_(True)
                inputs.append(t)
            named[w[1]] = t
        elif w[0] == "weight":
            shape, at = words_shape(w, 1)
            weight = torch.tensor([float(s) for s in w[at:]], dtype=torch.float64).to(torch.float32).to(dtype).reshape(shape)
        elif w[0] == "value":
            out = named[w[1]]
        elif w[0] == "direction":
            x = named[w[1]]
            directions.append(torch.tensor([float(s) for s in w[2:]], dtype=torch.float64).to(torch.float32).to(dtype).reshape(x.shape))
        elif w[0] in ("grad", "hvp"):
            pass
        elif len(w) > 2 and w[1] == "=":
            named[w[0]] = run_op(w, named, dtype)
        else:
            raise ValueError("unknown line " + line)
    loss = (out.to(weight.dtype) * weight).sum()
    grads = torch.autograd.grad(loss, inputs, create_graph=has_hvp, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]
    hvps = None
    if has_hvp:
        dot = sum((g * v).sum() for g, v in zip(grads, directions))
        if dot.requires_grad:
            hvps = torch.autograd.grad(dot, inputs, allow_unused=True)
            hvps = [torch.zeros_like(x) if h is None else h for x, h in zip(inputs, hvps)]
        else:
            hvps = [torch.zeros_like(x) for x in inputs]
    return inputs, out, grads, hvps


def condition(pairs):
    """The largest (|a32 - a64| - 8 ulps of the scale) / (|a64| 2^-23) over the paired tensors,
    where the scale is the largest finite magnitude among the float32 numbers (0/0 counts as 0)."""
    scale = 0.0
    for a32, _ in pairs:
        finite = [abs(x) for x in a32.detach().to(torch.float64).reshape(-1).tolist() if np.isfinite(x)]
        scale = max([scale] + finite)
    floor = 8 * EPS32 * scale
    k = 0.0
    for a32, a64 in pairs:
        a = a32.detach().to(torch.float64).reshape(-1)
        b = a64.detach().reshape(-1)
        for x, y in zip(a.tolist(), b.tolist()):
            if x == y or (np.isnan(x) and np.isnan(y)):
                continue
            excess = abs(x - y) - floor
            if excess > 0:
                k = max(k, excess / (abs(y) * EPS32) if y != 0 else float("inf"))
    return k


def convert(lines):
    """One case of a float64 corpus file, as a float32 case."""
    inputs, out, grads, hvps = run(lines, torch.float32)
    _, out64, grads64, hvps64 = run(lines, torch.float64)
    pairs = [(out, out64)] + list(zip(grads, grads64)) + (list(zip(hvps, hvps64)) if hvps is not None else [])
    result = []
    for line in lines:
        w = line.split(" ")
        if w[0] in ("input", "const"):
            shape, at = words_shape(w, 2)
            result.append(" ".join(w[:at]) + " " + fmt32(float(s) for s in w[at:]))
        elif w[0] == "weight":
            shape, at = words_shape(w, 1)
            result.append(" ".join(w[:at]) + " " + fmt32(float(s) for s in w[at:]))
        elif w[0] == "direction":
            result.append(" ".join(w[:2]) + " " + fmt32(float(s) for s in w[2:]))
        elif w[0] == "value":
            result.append(f"value {w[1]} {shape_of(out)} {fmt32(out.detach().reshape(-1).tolist())}")
        elif w[0] == "grad":
            result.append(f"grad {w[1]} {fmt32(grads[int(w[1][1:])].detach().reshape(-1).tolist())}")
        elif w[0] == "hvp":
            result.append(f"hvp {w[1]} {fmt32(hvps[int(w[1][1:])].detach().reshape(-1).tolist())}")
        elif w[0] == "end":
            k = condition(pairs)
            result.append(f"condition {k:.4g}" if np.isfinite(k) else "condition inf")
            result.append("end")
        else:
            result.append(line)
    return "\n".join(result)


def read_cases(path):
    cases, current = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("case "):
                current = []
            if current is not None:
                current.append(line)
            if line == "end":
                cases.append(current)
                current = None
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    resources = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "resources")
    out_dir = os.path.join(resources, "op-cases-float32")
    os.makedirs(out_dir, exist_ok=True)
    header = f"# generated by generate_float32_cases.py with PyTorch {torch.__version__}, float32, from "
    for path in sorted(glob.glob(os.path.join(resources, "op-cases", "*.txt"))):
        name = os.path.basename(path)
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(header + f"op-cases/{name}\n")
            for c in read_cases(path):
                f.write(convert(c) + "\n")
    # the conversion and the ops that only the float32 corpus records: made here in float64 (the
    # generator's Case records a float64 case), then converted like the others
    import generate_op_cases
    import op_cases_float32
    import random
    torch.manual_seed(32)
    torch.set_default_dtype(torch.float64)
    with open(os.path.join(out_dir, "float32.txt"), "w") as f:
        f.write(header + "op_cases_float32.py\n")
        for n, case in enumerate(op_cases_float32.cases(random.Random(32))):
            f.write(convert(case.render(f"float32-{n}").split("\n")) + "\n")
    with open(os.path.join(resources, "pytorch-cases-float32.txt"), "w") as f:
        f.write(header + "pytorch-cases.txt\n")
        for c in read_cases(os.path.join(resources, "pytorch-cases.txt")):
            f.write(convert(c) + "\n")


if __name__ == "__main__":
    main()
