"""Cases for the indexing and shape ops: indexSelect (with repeats), gather, scatterAdd (in the
tensor added to and in the source), permute, unsqueeze, squeeze, flatten and stack, each around
tanh so that the Hessian is not zero. Index tensors go in as constants holding whole numbers."""
import torch


def random_shape(rng, low=0):
    return [rng.randint(1, 3) for _ in range(rng.randint(max(low, 0), 3))]


def index_for(rng, shape, axis, size):
    """An index of the shape's rank, no larger than it off the axis, values in [0, size)."""
    s = [rng.randint(1, 3) if d == axis else rng.randint(1, n) for d, n in enumerate(shape)]
    return torch.randint(0, size, s)


def cases(rng):
    from generate_op_cases import Case
    for _ in range(4):
        c = Case("indexSelect of tanh, repeated positions")
        shape = random_shape(rng, 1)
        axis = rng.randrange(-len(shape), len(shape))
        indices = [rng.randrange(shape[axis]) for _ in range(rng.randint(1, 4))]
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        words = " ".join(map(str, indices))
        c.op(f"indexSelect {t} {axis} {words}", torch.index_select(vt, axis, torch.tensor(indices)))
        yield c
    for _ in range(4):
        c = Case("gather of tanh")
        shape = random_shape(rng, 1)
        axis = rng.randrange(-len(shape), len(shape))
        index = index_for(rng, shape, axis % len(shape), shape[axis])
        x, vx = c.randn(*shape)
        i, _ = c.const(index)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"gather {t} {axis} {i}", torch.gather(vt, axis, index))
        yield c
    for _ in range(4):
        c = Case("scatterAdd of tanh into tanh")
        shape = random_shape(rng, 1)
        axis = rng.randrange(-len(shape), len(shape))
        index = index_for(rng, shape, axis % len(shape), shape[axis])
        # a source of the index's shape: PyTorch 1.13's backward of a larger source returns a
        # gradient of the index's shape and fails (the Java properties check larger sources)
        source_shape = list(index.shape)
        x, vx = c.randn(*shape)
        s, vs = c.randn(*source_shape)
        i, _ = c.const(index)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        u, vu = c.op(f"tanh {s}", torch.tanh(vs))
        c.op(f"scatterAdd {t} {axis} {i} {u}", torch.scatter_add(vt, axis, index, vu))
        yield c
    for _ in range(4):
        c = Case("permute of tanh")
        shape = random_shape(rng, 1)
        axes = list(range(len(shape)))
        rng.shuffle(axes)
        axes = [a - len(shape) if rng.random() < 0.5 else a for a in axes]
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"permute {t} " + " ".join(map(str, axes)), vt.permute(*axes))
        yield c
    for _ in range(3):
        c = Case("unsqueeze, flatten and squeeze of tanh")
        shape = random_shape(rng, 0)
        r = len(shape)
        at = rng.randint(-(r + 1), r)
        x, vx = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        u, vu = c.op(f"unsqueeze {t} {at}", vt.unsqueeze(at))
        start = rng.randint(-(r + 1), r)
        f, vf = c.op(f"flatten {u} {start}", vu.flatten(start))
        axis = rng.randint(-vf.dim(), vf.dim() - 1)
        c.op(f"squeeze {f} {axis}", vf.squeeze(axis))
        yield c
    for _ in range(4):
        c = Case("stack of tanh, a tensor and tanh again")
        shape = random_shape(rng, 0)
        r = len(shape)
        axis = rng.randint(-(r + 1), r)
        x, vx = c.randn(*shape)
        y, vy = c.randn(*shape)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"stack {axis} {t} {y} {t}", torch.stack([vt, vy, vt], axis))
        yield c
