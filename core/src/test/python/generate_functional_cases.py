"""Writes core/src/test/resources/functional-cases.txt: torch.autograd.functional's jacobian,
hessian, hvp, jvp and vjp (PyTorch float64) of a few named functions at random points, replayed by
FunctionalAgreementTest. The functions are written the same way there; their constant tensors come
from const() below, a formula both languages evaluate alike.

Run: /usr/bin/python3 core/src/test/python/generate_functional_cases.py
"""
import math
import os

import torch
from torch.autograd import functional as F

torch.set_default_dtype(torch.float64)


def const(shape, k):
    """sin(0.7 i + k) * 0.8 for i = 0, 1, ... in row-major order."""
    n = math.prod(shape)
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.7 + k) * 0.8).reshape(shape)


def softsign(x):
    # the custom op of the Java side (a CustomOp without a tangent rule of its own)
    return x / (1 + x.abs())


def mixed(x):
    # broadcasting, matmul, softmax, narrow, concat
    h = torch.tanh(x @ const([4, 2], 1)) + const([2], 2)
    s = torch.softmax(h, -1) * x.narrow(1, 0, 2)
    return torch.cat([s, x.narrow(1, 2, 2).exp()], 1) * x.sum(1, keepdim=True).sin()


def custom(x):
    # a custom op, log-softmax, narrow and concat
    u = softsign(x @ const([4, 3], 3) + const([3, 1], 4))
    return torch.cat([u.narrow(1, 0, 2), torch.log_softmax(x, 0)], 1)


def layered(x):
    # a small two-layer network with a broadcast bias and a sigmoid
    h = torch.sigmoid(x @ const([4, 5], 5) - const([5], 6))
    return h @ const([5, 2], 7) + x.narrow(1, 1, 2) * x.narrow(1, 3, 1)


FUNCTIONS = {"mixed": mixed, "custom": custom, "layered": layered}


def scalar(name):
    f = FUNCTIONS[name]

    def g(x):
        y = f(x)
        return (y * const(list(y.shape), 8)).sum() + 0.25 * (y * y).sum()
    return g


def write(out, word, t):
    t = t.detach().reshape(list(t.shape))
    values = " ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    out.write("%s [%s] %s\n" % (word, " ".join(str(d) for d in t.shape), values))


def main():
    g = torch.Generator().manual_seed(13)
    path = os.path.join(os.path.dirname(__file__), "..", "resources", "functional-cases.txt")
    with open(path, "w") as out:
        out.write("# torch.autograd.functional, PyTorch %s float64; generate_functional_cases.py\n" % torch.__version__)
        for name, f in FUNCTIONS.items():
            for k in range(3):
                x = torch.randn(3, 4, generator=g)
                y = f(x)
                t = torch.randn(x.shape, generator=g)
                c = torch.randn(y.shape, generator=g)
                v = torch.randn(x.shape, generator=g)
                out.write("case %s %d\n" % (name, k))
                write(out, "x", x)
                write(out, "tangent", t)
                write(out, "cotangent", c)
                write(out, "vector", v)
                write(out, "value", y)
                write(out, "jacobian", F.jacobian(f, x))
                write(out, "jvp", F.jvp(f, x, t)[1])
                write(out, "vjp", F.vjp(f, x, c)[1])
                s = scalar(name)
                write(out, "hessian", F.hessian(s, x))
                write(out, "hvp", F.hvp(s, x, v)[1])
                out.write("end\n")


if __name__ == "__main__":
    main()
