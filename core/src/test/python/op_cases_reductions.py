"""Cases for the reductions added after the corpus began: max and min of a whole tensor, min along
an axis, logSumExp of a whole tensor, var, std, cumsum, prod (with zeros in the slices too) and
norm, each after tanh (or a product) so that the Hessian is not zero. Values are drawn from a
normal distribution, so max and min meet no ties (ties are pinned by unit tests)."""
import torch


def shape_and_axis(rng, low=1):
    shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    axis = rng.randrange(-len(shape), len(shape))
    shape[axis] = max(shape[axis], low)
    return shape, axis


def cases(rng):
    from generate_op_cases import Case
    for op in ["max", "min"]:
        for _ in range(3):
            c = Case(f"{op} of a whole tensor")
            shape = [rng.randint(1, 4) for _ in range(rng.randint(0, 3))]
            x, vx = c.randn(*shape)
            t, vt = c.op(f"tanh {x}", torch.tanh(vx))
            c.op(f"{op} {t}", vt.max() if op == "max" else vt.min())
            yield c
    for _ in range(4):
        c = Case("min along an axis")
        shape, axis = shape_and_axis(rng)
        keep = rng.choice([True, False])
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"min {t} {axis} {int(keep)}", vt.min(axis, keepdim=keep).values)
        yield c
    for _ in range(3):
        c = Case("logSumExp of a whole tensor")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(0, 3))]
        x, vx = c.randn(*shape)
        c.op(f"logSumExp {x}", torch.logsumexp(vx.reshape(-1), 0))
        yield c
    for op in ["var", "std"]:
        for _ in range(4):
            c = Case(f"{op} along an axis")
            shape, axis = shape_and_axis(rng, low=2)
            keep = rng.choice([True, False])
            x, vx = c.randn(*shape)
            v = vx.var(axis, keepdim=keep) if op == "var" else vx.std(axis, keepdim=keep)
            c.op(f"{op} {x} {axis} {int(keep)}", v)
            yield c
    for _ in range(4):
        c = Case("cumsum of tanh")
        shape, axis = shape_and_axis(rng)
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"cumsum {t} {axis}", torch.cumsum(vt, axis))
        yield c
    for zeros in [0, 1, 2]:
        for _ in range(3):
            c = Case(f"prod with {zeros} zeros per slice")
            shape, axis = shape_and_axis(rng, low=max(zeros, 1) + rng.randint(0, 2))
            keep = rng.choice([True, False])
            x, vx = c.randn(*shape)
            # a mask with `zeros` zeros in every slice along the axis
            mask = torch.ones(*shape)
            m = mask.movedim(axis, 0)
            for j in range(zeros):
                m[j] = 0
            m, vm = c.const(mask)
            p, vp = c.op(f"mul {x} {m}", vx * vm)
            c.op(f"prod {p} {axis} {int(keep)}", vp.prod(axis, keepdim=keep))
            yield c
    for _ in range(3):
        c = Case("norm of a whole tensor")
        shape = [rng.randint(1, 4) for _ in range(rng.randint(0, 3))]
        x, vx = c.randn(*shape)
        c.op(f"norm {x}", vx.norm())
        yield c
