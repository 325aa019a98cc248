"""Generates core/src/test/resources/pytorch-cases.txt: random compositions of Adjoint's ops run in
PyTorch float64, with values and gradients, for PyTorchAgreementTest to replay in Java.

Run with Debian's PyTorch:  /usr/bin/python3 core/src/test/python/generate_pytorch_cases.py
Then rerun generate_float32_cases.py: the float32 corpus reruns these files' programs in float32.
"""
import random
import sys

import torch

torch.set_default_dtype(torch.float64)

UNARY = ["neg", "exp", "tanh", "sigmoid", "relu", "abs", "sin", "cos", "log", "sqrt", "pow",
         "add_s", "mul_s", "sub_s", "div_s", "transpose", "sum_axis", "mean_axis", "max_axis",
         "softmax", "log_softmax", "logsumexp", "reshape"]
BINARY = ["add", "sub", "mul", "div", "matmul"]


def fmt(xs):
    return " ".join(repr(float(v)) for v in xs)


class Program:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.values = []  # torch tensors, index = register

    def emit(self, text, value):
        self.lines.append(f"r{len(self.values)} = {text}")
        self.values.append(value)
        return len(self.values) - 1

    def positive(self, r):
        a = self.emit(f"abs r{r}", self.values[r].abs())
        return self.emit(f"add_s r{a} 0.5", self.values[a] + 0.5)

    def unary(self, op, r):
        v = self.values[r]
        rng = self.rng
        if op in ("log", "sqrt"):
            p = self.positive(r)
            return self.emit(f"{op} r{p}", getattr(torch, op)(self.values[p]))
        if op == "pow":
            e = rng.choice([2.0, 3.0, 0.5, -1.0, 1.5])
            if e != int(e) or e < 0:
                r = self.positive(r)
                v = self.values[r]
            return self.emit(f"pow r{r} {e!r}", v.pow(e))
        if op == "clamp":
            lo = round(rng.uniform(-1.5, 0.5), 3)
            hi = lo + round(rng.uniform(0.0, 2.0), 3)
            return self.emit(f"clamp r{r} {lo!r} {hi!r}", v.clamp(lo, hi))
        if op in ("add_s", "mul_s", "sub_s", "div_s"):
            c = round(rng.uniform(0.5, 2.0), 3) * rng.choice([1, -1])
            f = {"add_s": v + c, "mul_s": v * c, "sub_s": v - c, "div_s": v / c}[op]
            return self.emit(f"{op} r{r} {c!r}", f)
        if op == "transpose":
            if v.dim() < 2:
                return r
            return self.emit(f"transpose r{r}", v.transpose(-2, -1))
        if op == "reshape":
            if v.dim() == 0:
                return r
            return self.emit(f"reshape r{r} -1", v.reshape(-1))
        if v.dim() == 0:
            if op in ("sum_axis", "mean_axis", "max_axis", "softmax", "log_softmax", "logsumexp"):
                return r
        if op in ("sum_axis", "mean_axis", "max_axis", "logsumexp"):
            axis = rng.randrange(-v.dim(), v.dim())
            keep = rng.choice([True, False])
            if op == "sum_axis":
                out = v.sum(axis, keepdim=keep)
            elif op == "mean_axis":
                out = v.mean(axis, keepdim=keep)
            elif op == "max_axis":
                out = v.max(axis, keepdim=keep).values
            else:
                out = torch.logsumexp(v, axis, keepdim=keep)
            return self.emit(f"{op} r{r} {axis} {int(keep)}", out)
        if op in ("softmax", "log_softmax"):
            axis = rng.randrange(-v.dim(), v.dim())
            out = torch.softmax(v, axis) if op == "softmax" else torch.log_softmax(v, axis)
            return self.emit(f"{op} r{r} {axis}", out)
        return self.emit(f"{op} r{r}", getattr(torch, op)(v))

    def binary(self, op, a, b):
        va, vb = self.values[a], self.values[b]
        if op == "div":
            b = self.positive(b)
            vb = self.values[b]
        if op == "matmul":
            return self.emit(f"matmul r{a} r{b}", va @ vb)
        return self.emit(f"{op} r{a} r{b}", getattr(torch, op)(va, vb))


def random_case(rng, index, unary=UNARY):
    p = Program(rng)
    inputs = []
    kind = rng.choice(["elementwise", "broadcast", "matmul", "batched", "vector"])
    if kind == "elementwise":
        shapes = [[rng.randint(1, 4), rng.randint(1, 4)]] * 2
    elif kind == "broadcast":
        s = [rng.randint(2, 3), rng.randint(2, 4)]
        shapes = [s, rng.choice([[s[1]], [s[0], 1], [1, s[1]], [], [1]])]
    elif kind == "matmul":
        m, k, n = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        shapes = [[m, k], [k, n]]
    elif kind == "batched":
        m, k, n = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
        shapes = [[rng.randint(1, 3), 1, m, k], [rng.randint(1, 3), k, n]]
        shapes[1] = [shapes[0][0] if rng.random() < 0.5 else 1] + [rng.randint(2, 3)] + [k, n]
        shapes[1] = shapes[1][1:] if rng.random() < 0.5 else shapes[1]
    else:
        k = rng.randint(1, 4)
        shapes = [[k], [k, rng.randint(1, 3)]] if rng.random() < 0.5 else [[rng.randint(1, 3), k], [k]]
    for s in shapes:
        t = torch.randn(*s) if s else torch.randn(())
        t.requires_grad_(True)
        inputs.append(t)
        p.values.append(t)
    regs = list(range(len(inputs)))
    if kind in ("matmul", "batched", "vector"):
        regs.append(p.binary("matmul", 0, 1))
    elif kind in ("elementwise", "broadcast"):
        regs.append(p.binary(rng.choice(BINARY[:4]), 0, 1))
    depth = rng.randint(2, 8)
    for _ in range(depth):
        r = regs[-1] if rng.random() < 0.75 else rng.choice(regs)
        if rng.random() < 0.3:
            other = rng.choice(regs)
            sa, sb = p.values[r].shape, p.values[other].shape
            try:
                torch.broadcast_shapes(sa, sb)
                regs.append(p.binary(rng.choice(BINARY[:4]), r, other))
                continue
            except RuntimeError:
                pass
        regs.append(p.unary(rng.choice(unary), r))
    out = p.values[-1]
    weight = torch.randn(*out.shape) if out.dim() else torch.randn(())
    loss = (out * weight).sum()
    grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    lines = [f"case {index} {kind}"]
    for i, t in enumerate(inputs):
        lines.append(f"input r{i} [{' '.join(map(str, t.shape))}] {fmt(t.detach().reshape(-1).tolist())}")
    lines += p.lines
    lines.append(f"weight [{' '.join(map(str, weight.shape))}] {fmt(weight.reshape(-1).tolist())}")
    lines.append(f"value r{len(p.values) - 1} [{' '.join(map(str, out.shape))}] {fmt(out.detach().reshape(-1).tolist())}")
    for i, g in enumerate(grads):
        g = torch.zeros_like(inputs[i]) if g is None else g
        lines.append(f"grad r{i} {fmt(g.reshape(-1).tolist())}")
    lines.append("end")
    return "\n".join(lines)


def main():
    rng = random.Random(20261201)
    torch.manual_seed(20261201)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    out = sys.argv[2] if len(sys.argv) > 2 else "core/src/test/resources/pytorch-cases.txt"
    with open(out, "w") as f:
        f.write(f"# generated by generate_pytorch_cases.py with PyTorch {torch.__version__}, float64\n")
        for i in range(count):
            f.write(random_case(rng, i) + "\n")
        # ops added after the first cases were recorded draw from their own stream, so that the
        # cases above stay as they were
        later = random.Random(20261204)
        for i in range(count, count + 40):
            f.write(random_case(later, i, UNARY + ["clamp"] * 6) + "\n")


if __name__ == "__main__":
    main()
