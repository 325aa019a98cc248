"""Cases that only the float32 corpus records (generate_float32_cases.py converts them like the
float64 cases): the dtype conversion to(...) inside a program, and the ops the float64 corpora
leave to other suites (affine, expand, log1p, narrow, select, softplus, sumSquaredDifference,
sumTo), each around tanh or a product so that the Hessian is not zero."""
import torch
import torch.nn.functional as F


def cases(rng):
    from generate_op_cases import Case
    for _ in range(3):
        c = Case("to float64, tanh and a product there, back to float32")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        d, vd = c.op(f"to {x} float64", vx)
        t, vt = c.op(f"tanh {d}", torch.tanh(vd))
        m, vm = c.op(f"mul {t} {d}", vt * vd)
        c.op(f"to {m} float32", vm)
        yield c
    for _ in range(3):
        c = Case("affine of tanh, then tanh")
        m, k, n = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        x, vx = c.randn(m, k)
        w, vw = c.randn(k, n)
        b, vb = c.randn(n)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        a, va = c.op(f"affine {t} {w} {b}", vt @ vw + vb)
        c.op(f"tanh {a}", torch.tanh(va))
        yield c
    for _ in range(2):
        c = Case("expand of tanh, times a tensor")
        n = rng.randint(1, 3)
        x, vx = c.randn(1, n)
        y, vy = c.randn(3, n)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        e, ve = c.op(f"expand {t} 3 {n}", vt.expand(3, n))
        c.op(f"mul {e} {y}", ve * vy)
        yield c
    for name in ("log1p", "softplus"):
        for _ in range(2):
            c = Case(f"{name}, times its input")
            shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 2))]
            if name == "log1p":
                x, vx = c.input(torch.rand(*shape) * 3 - 0.5)
                y, vy = c.op(f"log1p {x}", torch.log1p(vx))
            else:
                x, vx = c.input(torch.randn(*shape) * 3)
                y, vy = c.op(f"softplus {x}", F.softplus(vx))
            c.op(f"mul {y} {x}", vy * vx)
            yield c
    for _ in range(2):
        c = Case("narrow and select of tanh")
        x, vx = c.randn(3, 4)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        start = rng.randint(0, 2)
        n, vn = c.op(f"narrow {t} 1 {start} 2", vt.narrow(1, start, 2))
        i = rng.randint(-3, 2)
        s, vs = c.op(f"select {n} 0 {i}", vn.select(0, i))
        c.op(f"mul {s} {s}", vs * vs)
        yield c
    for same in (True, False):
        # the same shapes take the fused kernel, broadcast shapes the composite
        c = Case("sumSquaredDifference of tanh and a tensor" + (" of its shape" if same else " broadcast"))
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        y, vy = c.randn(*(shape if same else shape[1:]))
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"sumSquaredDifference {t} {y}", ((vt - vy) ** 2).sum())
        yield c
    for _ in range(2):
        c = Case("sumTo of tanh, then tanh")
        x, vx = c.randn(2, 3, 4)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        s, vs = c.op(f"sumTo {t} 3 1", vt.sum((0, 2), keepdim=True).reshape(3, 1))
        c.op(f"tanh {s}", torch.tanh(vs))
        yield c
