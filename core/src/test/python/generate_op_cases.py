"""Generates core/src/test/resources/op-cases/<family>.txt: one small program per case around the
ops of a family, run in PyTorch float64, with the value, the gradient of sum(value * weight) and a
Hessian-vector product, for PyTorchOpAgreementTest to replay in Java.

Each family lives in a module op_cases_<family>.py next to this file, with a function
cases(rng) that yields Case objects; this script finds the modules by name.

Run with Debian's PyTorch:  /usr/bin/python3 core/src/test/python/generate_op_cases.py
Then rerun generate_float32_cases.py: the float32 corpus reruns these files' programs in float32.

The file format (one case):
    case <family>-<n> <description>
    input x0 [2 3] 0.1 0.2 ...     a tensor that requires grad
    const c0 [2 3] 1.0 0.0 ...     a tensor that does not (an index, a condition)
    r0 = <op> <operands and arguments>   operands are x<i>, c<i>, r<i>; other words are arguments
    weight [shape] ...             the loss is sum(r_last * weight)
    value r<k> [shape] ...
    grad x<i> ...                  d loss / d x<i>
    direction x<i> ...             v
    hvp x<i> ...                   d/dx<i> of sum_j sum(grad x<j> * direction x<j>)
    end
"""
import glob
import importlib
import os
import random
import sys

import torch

torch.set_default_dtype(torch.float64)


def fmt(xs):
    return " ".join(repr(float(v)) for v in xs)


def shape_of(t):
    return "[" + " ".join(map(str, t.shape)) + "]"


class Case:
    """A program: inputs, constants and op lines, each op line with its PyTorch value."""

    def __init__(self, description):
        self.description = description
        self.inputs = []
        self.consts = []
        self.lines = []
        self.values = []

    def input(self, t):
        """A tensor that requires grad (a copy of t); returns its name."""
        t = t.detach().clone().to(torch.float64).requires_grad_(True)
        self.inputs.append(t)
        return f"x{len(self.inputs) - 1}", t

    def randn(self, *shape):
        return self.input(torch.randn(*shape) if shape else torch.randn(()))

    def const(self, t):
        """A tensor that does not require grad; returns its name."""
        t = t.detach().clone().to(torch.float64)
        self.consts.append(t)
        return f"c{len(self.consts) - 1}", t

    def op(self, text, value):
        """Records 'r<k> = text' with its PyTorch value; returns the register's name and value."""
        self.lines.append(f"r{len(self.values)} = {text}")
        self.values.append(value)
        return f"r{len(self.values) - 1}", value

    def render(self, name):
        out = self.values[-1]
        weight = torch.randn(*out.shape) if out.dim() else torch.randn(())
        loss = (out * weight).sum()
        grads = torch.autograd.grad(loss, self.inputs, create_graph=True, allow_unused=True)
        grads = [torch.zeros_like(x) if g is None else g for x, g in zip(self.inputs, grads)]
        directions = [torch.randn(*x.shape) if x.dim() else torch.randn(()) for x in self.inputs]
        dot = sum((g * v).sum() for g, v in zip(grads, directions))
        if dot.requires_grad:
            hvps = torch.autograd.grad(dot, self.inputs, allow_unused=True)
            hvps = [torch.zeros_like(x) if h is None else h for x, h in zip(self.inputs, hvps)]
        else:
            hvps = [torch.zeros_like(x) for x in self.inputs]
        lines = [f"case {name} {self.description}"]
        for i, x in enumerate(self.inputs):
            lines.append(f"input x{i} {shape_of(x)} {fmt(x.detach().reshape(-1).tolist())}")
        for i, c in enumerate(self.consts):
            lines.append(f"const c{i} {shape_of(c)} {fmt(c.reshape(-1).tolist())}")
        lines += self.lines
        lines.append(f"weight {shape_of(weight)} {fmt(weight.reshape(-1).tolist())}")
        lines.append(f"value r{len(self.values) - 1} {shape_of(out)} {fmt(out.detach().reshape(-1).tolist())}")
        for i, g in enumerate(grads):
            lines.append(f"grad x{i} {fmt(g.detach().reshape(-1).tolist())}")
        for i, v in enumerate(directions):
            lines.append(f"direction x{i} {fmt(v.reshape(-1).tolist())}")
        for i, h in enumerate(hvps):
            lines.append(f"hvp x{i} {fmt(h.detach().reshape(-1).tolist())}")
        lines.append("end")
        return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "resources", "op-cases")
    os.makedirs(out_dir, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(here, "op_cases_*.py"))):
        family = os.path.basename(path)[len("op_cases_"):-len(".py")]
        module = importlib.import_module(f"op_cases_{family}")
        # one seeded stream per family, so that adding a family leaves the others' cases as they were
        seed = sum(ord(ch) * 31 ** i for i, ch in enumerate(family)) % (2 ** 31)
        rng = random.Random(seed)
        torch.manual_seed(seed)
        with open(os.path.join(out_dir, f"{family}.txt"), "w") as f:
            f.write(f"# generated by generate_op_cases.py from op_cases_{family}.py with PyTorch {torch.__version__}, float64\n")
            for n, case in enumerate(module.cases(rng)):
                f.write(case.render(f"{family}-{n}") + "\n")


if __name__ == "__main__":
    main()
