"""Cases for convolution and pooling: conv2d (stride, padding, dilation, groups, with and without
bias), conv1d, max_pool2d and avg_pool2d, each between tanh layers so that the Hessian is not zero
in any input. Inputs are Gaussian, so max pooling sees no ties."""
import torch
import torch.nn.functional as F


def _conv2d_shapes(rng):
    groups = rng.choice([1, 1, 2, 3])
    c = groups * rng.randint(1, 2)
    o = groups * rng.randint(1, 2)
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    sh, sw = rng.randint(1, 2), rng.randint(1, 2)
    ph, pw = rng.randint(0, 2), rng.randint(0, 2)
    dh, dw = rng.randint(1, 2), rng.randint(1, 2)
    h = max(1, dh * (kh - 1) + 1 - 2 * ph) + rng.randint(0, 3)
    w = max(1, dw * (kw - 1) + 1 - 2 * pw) + rng.randint(0, 3)
    return rng.randint(1, 2), c, h, w, o, groups, (kh, kw), (sh, sw), (ph, pw), (dh, dw)


def cases(rng):
    from generate_op_cases import Case
    for i in range(12):
        n, ch, h, w, o, groups, k, s, p, d = _conv2d_shapes(rng)
        bias = i % 3 != 2
        c = Case("conv2d of tanh, then tanh" + ("" if bias else ", no bias"))
        x, vx = c.randn(n, ch, h, w)
        wt, vw = c.randn(o, ch // groups, *k)
        if bias:
            b, vb = c.randn(o)
        else:
            b, vb = "none", None
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        y, vy = c.op(f"conv2d {t} {wt} {b} {s[0]} {s[1]} {p[0]} {p[1]} {d[0]} {d[1]} {groups}",
                     F.conv2d(vt, vw, vb, s, p, d, groups))
        c.op(f"tanh {y}", torch.tanh(vy))
        yield c
    for i in range(4):
        c = Case("conv1d of tanh, then tanh")
        n, ch, o, k = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
        s, p = rng.randint(1, 2), rng.randint(0, 1)
        length = max(1, k - 2 * p) + rng.randint(0, 4)
        x, vx = c.randn(n, ch, length)
        wt, vw = c.randn(o, ch, k)
        if i % 2 == 0:
            b, vb = c.randn(o)
        else:
            b, vb = "none", None
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        y, vy = c.op(f"conv1d {t} {wt} {b} {s} {p}", F.conv1d(vt, vw, vb, s, p))
        c.op(f"tanh {y}", torch.tanh(vy))
        yield c
    for _ in range(6):
        c = Case("max_pool2d of tanh, then tanh")
        k = rng.randint(1, 3)
        s, p = rng.randint(1, 3), rng.randint(0, k // 2)
        h, w = max(1, k - 2 * p) + rng.randint(0, 3), max(1, k - 2 * p) + rng.randint(0, 3)
        x, vx = c.randn(rng.randint(1, 2), rng.randint(1, 3), h, w)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        y, vy = c.op(f"maxPool2d {t} {k} {s} {p}", F.max_pool2d(vt, k, s, p))
        c.op(f"tanh {y}", torch.tanh(vy))
        yield c
    for _ in range(6):
        c = Case("avg_pool2d of tanh, then tanh")
        k = rng.randint(1, 3)
        s, p = rng.randint(1, 3), rng.randint(0, k // 2)
        h, w = max(1, k - 2 * p) + rng.randint(0, 3), max(1, k - 2 * p) + rng.randint(0, 3)
        x, vx = c.randn(rng.randint(1, 2), rng.randint(1, 3), h, w)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        y, vy = c.op(f"avgPool2d {t} {k} {s} {p}", F.avg_pool2d(vt, k, s, p))
        c.op(f"tanh {y}", torch.tanh(vy))
        yield c
    for _ in range(2):
        c = Case("conv2d, tanh, max_pool2d, avg_pool2d")
        x, vx = c.randn(2, 2, 6, 6)
        wt, vw = c.randn(3, 2, 3, 3)
        b, vb = c.randn(3)
        y, vy = c.op(f"conv2d {x} {wt} {b} 1 1 1 1 1 1 1", F.conv2d(vx, vw, vb, 1, 1))
        t, vt = c.op(f"tanh {y}", torch.tanh(vy))
        m, vm = c.op(f"maxPool2d {t} 2 2 0", F.max_pool2d(vt, 2, 2, 0))
        c.op(f"avgPool2d {m} 3 1 1", F.avg_pool2d(vm, 3, 1, 1))
        yield c
