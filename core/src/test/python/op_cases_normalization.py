"""Cases for layer normalization as one op (layerNorm x weight bias eps normalizedShape...): over the
last axis or the last two, with and without weight and bias, rows short and long enough for the
math kernel's sums; and batch normalization with batch statistics (batchNorm x weight bias eps) of
[N, C], [N, C, L] and [N, C, H, W]; each after tanh times a scale so that the input's Hessian is not
zero."""
import torch
import torch.nn.functional as F


def cases(rng):
    from generate_op_cases import Case
    for shape, normalized in [([3, 5], [5]), ([2, 70], [70]), ([2, 3, 4], [3, 4]), ([4, 2], [2]), ([1, 66], [66])]:
        for affine in (True, False):
            c = Case("layerNorm of scaled tanh" + (" with weight and bias" if affine else ""))
            x, vx = c.randn(*shape)
            t, vt = c.op(f"tanh {x}", torch.tanh(vx))
            s, vs = c.op(f"mul {t} {x}", vt * vx)
            eps = rng.choice([1e-5, 0.1])
            dims = " ".join(map(str, normalized))
            if affine:
                w, vw = c.randn(*normalized)
                b, vb = c.randn(*normalized)
                c.op(f"layerNorm {s} {w} {b} {eps!r} {dims}", F.layer_norm(vs, normalized, vw, vb, eps))
            else:
                c.op(f"layerNorm {s} none none {eps!r} {dims}", F.layer_norm(vs, normalized, None, None, eps))
            yield c
    for shape in [[4, 3], [3, 2, 5], [2, 3, 2, 3], [2, 2, 66]]:
        for affine in (True, False):
            c = Case("batchNorm of scaled tanh" + (" with weight and bias" if affine else ""))
            x, vx = c.randn(*shape)
            t, vt = c.op(f"tanh {x}", torch.tanh(vx))
            s, vs = c.op(f"mul {t} {x}", vt * vx)
            eps = rng.choice([1e-5, 0.1])
            if affine:
                w, vw = c.randn(shape[1])
                b, vb = c.randn(shape[1])
                c.op(f"batchNorm {s} {w} {b} {eps!r}", F.batch_norm(vs, None, None, vw, vb, True, 0.0, eps))
            else:
                c.op(f"batchNorm {s} none none {eps!r}", F.batch_norm(vs, None, None, None, None, True, 0.0, eps))
            yield c
