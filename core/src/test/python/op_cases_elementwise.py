"""Cases for the elementwise family added with the comparisons: maximum, minimum, where (with a
constant mask and with a gt mask), pow with a tensor exponent (integer and zero exponents included), erf,
gelu, silu and leakyRelu. Piecewise-linear ops are bent by tanh and squared (mul) so that the
Hessian-vector product is not zero; operand shapes broadcast."""
import torch


def shapes(rng):
    """Two shapes that broadcast: a full shape and a suffix of it with some axes set to 1."""
    full = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
    tail = full[rng.randint(0, len(full)):]
    tail = [1 if rng.random() < 0.3 else d for d in tail]
    return (full, tail) if rng.random() < 0.5 else (tail, full)


def randn(c, shape):
    return c.randn(*shape) if shape else c.randn()


def cases(rng):
    from generate_op_cases import Case
    for name, f in (("maximum", torch.maximum), ("minimum", torch.minimum)):
        for _ in range(4):
            c = Case(f"{name} of tanh and a tensor, squared")
            sa, sb = shapes(rng)
            a, va = randn(c, sa)
            b, vb = randn(c, sb)
            t, vt = c.op(f"tanh {a}", torch.tanh(va))
            m, vm = c.op(f"{name} {t} {b}", f(vt, vb))
            c.op(f"mul {m} {m}", vm * vm)
            yield c
    for _ in range(4):
        c = Case("where on a constant mask, squared")
        sa, sb = shapes(rng)
        a, va = randn(c, sa)
        b, vb = randn(c, sb)
        sc = sa if rng.random() < 0.5 else sa[-1:]
        k, vk = c.const(torch.tensor([float(rng.random() < 0.5) for _ in range(max(1, int(torch.tensor(sc).prod())))]).reshape(sc))
        t, vt = c.op(f"tanh {a}", torch.tanh(va))
        w, vw = c.op(f"where {k} {t} {b}", torch.where(vk != 0, vt, vb))
        c.op(f"mul {w} {w}", vw * vw)
        yield c
    for _ in range(3):
        c = Case("where on a gt mask (a maximum), times tanh")
        sa, sb = shapes(rng)
        a, va = randn(c, sa)
        b, vb = randn(c, sb)
        g, vg = c.op(f"gt {a} {b}", (va > vb).to(torch.float64))
        w, vw = c.op(f"where {g} {a} {b}", torch.where(vg != 0, va, vb))
        t, vt = c.op(f"tanh {w}", torch.tanh(vw))
        c.op(f"mul {t} {a}", vt * va)
        yield c
    for _ in range(4):
        c = Case("pow of a positive base and a tensor exponent")
        sa, sb = shapes(rng)
        a, va = c.input(torch.rand(tuple(sa)) * 2 + 0.2)
        b, vb = randn(c, sb)
        c.op(f"pow {a} {b}", torch.pow(va, vb))
        yield c
    # at a zero base PyTorch's Hessian-vector product is NaN (0 * inf inside its double backward);
    # first-order gradients there are checked by ElementwiseOpsTest and the special-values corpus
    c = Case("pow with integer and zero exponents")
    a, va = c.input(torch.tensor([0.3, 0.8, 1.7, 2.0, 1.5, 0.7]))
    b, vb = c.input(torch.tensor([0.0, 1.0, 2.0, 3.0, 0.0, -1.2]))
    p, vp = c.op(f"pow {a} {b}", torch.pow(va, vb))
    c.op(f"mul {p} {b}", vp * vb)
    yield c
    for name, f in (("erf", torch.erf), ("gelu", torch.nn.functional.gelu), ("silu", torch.nn.functional.silu)):
        for _ in range(3):
            c = Case(f"{name}, times its input")
            shape = [rng.randint(1, 4) for _ in range(rng.randint(0, 3))]
            x, vx = c.input(torch.randn(*shape) * 2 if shape else torch.randn(()) * 2)
            y, vy = c.op(f"{name} {x}", f(vx))
            c.op(f"mul {y} {x}", vy * vx)
            yield c
    for slope in (0.01, 0.2, -0.3):
        c = Case("leakyRelu of tanh, squared")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        l, vl = c.op(f"leakyRelu {t} {slope!r}", torch.nn.functional.leaky_relu(vt, slope))
        c.op(f"mul {l} {l}", vl * vl)
        yield c
