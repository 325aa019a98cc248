"""Cases for ops that predate the op-case corpus, run through the same value/gradient/HVP check:
the axis reductions, softmax and matmul, each bent by tanh so that the Hessian is not zero."""
import torch


def cases(rng):
    from generate_op_cases import Case
    for _ in range(6):
        c = Case("max along an axis")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        axis = rng.randrange(-len(shape), len(shape))
        keep = rng.choice([True, False])
        c.op(f"max {t} {axis} {int(keep)}", vt.max(axis, keepdim=keep).values)
        yield c
    for _ in range(6):
        c = Case("softmax then logSumExp")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        axis = rng.randrange(-len(shape), len(shape))
        s, vs = c.op(f"softmax {x} {axis}", torch.softmax(vx, axis))
        c.op(f"logSumExp {s} {axis} 1", torch.logsumexp(vs, axis, keepdim=True))
        yield c
    for _ in range(4):
        c = Case("matmul of tanh")
        m, k, n = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        a, va = c.randn(m, k)
        b, vb = c.randn(k, n)
        t, vt = c.op(f"tanh {a}", torch.tanh(va))
        c.op(f"matmul {t} {b}", vt @ vb)
        yield c
    for _ in range(4):
        c = Case("concat of a tensor, its square and itself")
        shape = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
        x, vx = c.randn(*shape)
        s, vs = c.op(f"mul {x} {x}", vx * vx)
        axis = rng.randrange(-len(shape), len(shape))
        c.op(f"concat {axis} {x} {s} {x}", torch.cat([vx, vs, vx], axis))
        yield c
