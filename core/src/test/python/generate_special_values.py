"""Generates core/src/test/resources/special-values.txt: every Tensor op of Adjoint run in PyTorch
float64 on special inputs (signed zeros, infinities, NaN, subnormals, huge and tiny magnitudes,
bounds far from the data), with values and gradients, for SpecialValuesTest to compare in Java.

Run with Debian's PyTorch:  /usr/bin/python3 core/src/test/python/generate_special_values.py

Format, one case per block:
    case <op> <parameters...>
    input <shape> <values>        (one line per tensor input)
    value <shape> <values>
    grad <values>                 (one line per input: d sum(w * value) / d input, w below)
    end
The weight w of output element i is 0.5 + 0.25 (i mod 4), exact in binary, so Java rebuilds it.
Numbers are written as Java's Double.parseDouble reads them (NaN, Infinity, -0.0).
"""
import math
import sys

import torch

torch.set_default_dtype(torch.float64)

INF = math.inf
NAN = math.nan
MAX = sys.float_info.max
MIN_NORMAL = sys.float_info.min
SUBNORMAL = 5e-324

# the elementwise inputs; a multiple of 4 long so that Java may tile them without moving the weights
SPECIAL = [0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, SUBNORMAL, -SUBNORMAL, MIN_NORMAL, -MIN_NORMAL, 1e-300,
           -1e-300, 1e-16, 1e300, -1e300, MAX, -MAX, 0.5, -0.5, 2.0, 123.456, math.pi / 2, 1e15 + 0.3,
           20.5, 30.0, 40.0, -40.0, 709.0, 710.0, -745.0, -746.0, 1e-8, -1e-8, 3e-200, 19.0]
assert len(SPECIAL) % 4 == 0
# the operands of binary ops: every ordered pair is a case
PAIRS = [0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, SUBNORMAL, 1e-300, 1e300, -1e300, MAX, 3e-200, 0.5, 1e-170, 1e170]
CONSTANTS = [0.0, -0.0, INF, -INF, NAN, 1e300, 1e-300, SUBNORMAL, 2.0, 0.5, -1.0, 3.0]
EXPONENTS = [0.0, 0.5, -0.5, 1.0, 2.0, 3.0, -1.0, -2.0, 1.5, 1e300, INF, -INF, NAN]
BOUNDS = [(0.0, 1e17), (-1.0, 1.0), (0.0, 0.0), (-INF, INF), (0.0, INF), (-INF, 0.0), (1e-300, 1e300),
          (SUBNORMAL, 1.0), (-1e17, -1e16), (123.456, 123.456)]
ROWS = [[-INF, -INF, -INF], [INF, 1.0, 2.0], [INF, INF, 1.0], [-INF, INF, 0.0], [NAN, 1.0, 2.0],
        [-INF, 1.0, 2.0], [MAX, MAX, 1.0], [-MAX, -MAX, -MAX], [1e300, -1e300, 0.0], [-0.0, -0.0, -0.0],
        [-0.0, 0.0, -0.0], [0.0, -0.0, 0.0], [SUBNORMAL, SUBNORMAL, 0.0], [700.0, 710.0, 720.0],
        [-750.0, -760.0, -770.0], [1.0, 1.0, 1.0], [INF, NAN, -INF], [-INF], [INF], [NAN], [-0.0]]


def text(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(float(v))


def tensor_text(t):
    shape = "[" + " ".join(str(d) for d in t.shape) + "]"
    return shape + " " + " ".join(text(v) for v in t.detach().reshape(-1).tolist())


def weight(shape):
    n = math.prod(shape)
    return torch.tensor([0.5 + 0.25 * (i % 4) for i in range(n)]).reshape(shape)


def case(header, inputs, f, differentiable=True):
    xs = [torch.tensor(x) if not isinstance(x, torch.Tensor) else x for x in inputs]
    xs = [x.clone().requires_grad_(differentiable) for x in xs]
    out = f(*xs)
    lines = ["case " + header]
    lines += ["input " + tensor_text(x) for x in xs]
    lines.append("value " + tensor_text(out))
    if differentiable:
        grads = torch.autograd.grad((out * weight(out.shape)).sum(), xs, allow_unused=True)
        for x, g in zip(xs, grads):
            g = torch.zeros_like(x) if g is None else g
            lines.append("grad " + " ".join(text(v) for v in g.reshape(-1).tolist()))
    lines.append("end")
    return "\n".join(lines)


def cases():
    unary = {
        "neg": torch.neg, "exp": torch.exp, "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt,
        "abs": torch.abs, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
        "relu": torch.relu, "softplus": torch.nn.functional.softplus,
    }
    for name, f in unary.items():
        yield case(name, [SPECIAL], f)
    a = [x for x in PAIRS for _ in PAIRS]
    b = [y for _ in PAIRS for y in PAIRS]
    for name, f in {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}.items():
        yield case(name, [a, b], f)
    yield case("sumSquaredDifference", [a, b], lambda x, y: ((x - y) ** 2).sum())
    for c in CONSTANTS:
        yield case(f"add_s {text(c)}", [SPECIAL], lambda x: x + c)
        yield case(f"sub_s {text(c)}", [SPECIAL], lambda x: x - c)
        yield case(f"mul_s {text(c)}", [SPECIAL], lambda x: x * c)
        yield case(f"div_s {text(c)}", [SPECIAL], lambda x: x / c)
    for p in EXPONENTS:
        yield case(f"pow {text(p)}", [SPECIAL], lambda x: x.pow(p))
    for lo, hi in BOUNDS:
        yield case(f"clamp {text(lo)} {text(hi)}", [SPECIAL], lambda x: x.clamp(lo, hi))
    for row in ROWS:
        yield case("sum", [row], lambda x: x.sum())
        yield case("mean", [row], lambda x: x.mean())
        yield case("sum_axis", [row], lambda x: x.sum(0))
        yield case("mean_axis", [row], lambda x: x.mean(0))
        yield case("max_axis", [row], lambda x: x.max(0).values)
        yield case("logsumexp", [row], lambda x: torch.logsumexp(x, 0))
        yield case("softmax", [row], lambda x: torch.softmax(x, 0))
        yield case("log_softmax", [row], lambda x: torch.log_softmax(x, 0))
    # matmul and affine: a zero meeting an infinity, overflowing and underflowing products
    mats = [([[INF, 0.0]], [[0.0], [1.0]]), ([[1e300, 1e300]], [[1e10], [1.0]]), ([[NAN, 0.0]], [[0.0], [0.0]]),
            ([[1e-300, 1e-300]], [[1e-300], [1e-300]]), ([[INF, -INF]], [[1.0], [1.0]]),
            ([[-0.0, -0.0]], [[0.0], [0.0]]), ([[MAX, MAX]], [[1.0], [-1.0]]), ([[SUBNORMAL, 1.0]], [[1.0], [-1.0]])]
    for x, w in mats:
        yield case("matmul", [x, w], torch.matmul)
        yield case("affine", [x, w, [INF]], lambda a, b, c: a @ b + c)
        yield case("affine", [x, w, [-0.0]], lambda a, b, c: a @ b + c)
    m = [[0.0, -0.0, INF], [-INF, NAN, 1e300]]
    yield case("transpose", [m], lambda x: x.transpose(-2, -1))
    yield case("reshape", [m], lambda x: x.reshape(-1))
    yield case("expand", [[[INF], [-0.0]]], lambda x: x.expand(2, 3))
    yield case("sumTo", [m], lambda x: x.sum(0, keepdim=True))
    yield case("narrow", [m], lambda x: x.narrow(1, 1, 2))
    yield case("select", [m], lambda x: x.select(1, 2))
    yield case("concat", [m, [[-0.0], [NAN]]], lambda x, y: torch.cat([x, y], 1))
    # the elementwise family added with the comparisons (after the older cases, which stay as they were)
    F = torch.nn.functional
    for name, f in {"erf": torch.erf, "gelu": F.gelu, "silu": F.silu}.items():
        yield case(name, [SPECIAL], f)
    for slope in [0.01, 0.2, -0.5, 0.0]:
        yield case(f"leakyRelu {text(slope)}", [SPECIAL], lambda x: F.leaky_relu(x, slope))
    yield case("maximum", [a, b], torch.maximum)
    yield case("minimum", [a, b], torch.minimum)
    yield case("pow tensor", [a, b], torch.pow)
    # the condition is a (NaN counts as non-zero), the picked values b and reversed a
    yield case("where", [a, b, a[::-1]], lambda c, x, y: torch.where(c != 0, x, y))
    # softmax cross-entropy of one row of logits against constant targets (named in the header): a
    # class of probability 0 adds nothing, even at a -inf logit, so PyTorch's reference masks it
    for row in ROWS:
        for targets in ([0.0, 1.0, 0.0], [0.25, 0.0, 0.75]) if len(row) == 3 else ([1.0],):
            t = torch.tensor([targets])
            yield case("softmaxCrossEntropy " + " ".join(text(v) for v in targets), [[row]],
                       lambda x: -torch.where(t != 0, t * torch.log_softmax(x, 1), torch.zeros(())).sum() / x.shape[0])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "core/src/test/resources/special-values.txt"
    with open(out, "w") as f:
        f.write(f"# generated by generate_special_values.py with PyTorch {torch.__version__}, float64\n")
        for c in cases():
            f.write(c + "\n")


if __name__ == "__main__":
    main()
