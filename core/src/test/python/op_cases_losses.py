"""Cases for softmax cross-entropy as one op (softmaxCrossEntropy): logits (tanh times a scale, so
that the Hessian is not zero in the logits) against soft targets that require grad, against one-hot
rows held constant, against soft targets with classes of probability 0, and against class numbers.
PyTorch computes -sum(t * log_softmax(x, 1)) / batch (its cross_entropy with probability targets),
and cross_entropy with class indices."""
import torch


def reference(x, t):
    return -(t * torch.log_softmax(x, 1)).sum() / x.shape[0]


def cases(rng):
    from generate_op_cases import Case
    for _ in range(3):
        c = Case("softmaxCrossEntropy of scaled tanh against soft targets")
        n, k = rng.randint(1, 4), rng.randint(1, 5)
        x, vx = c.randn(n, k)
        y, vy = c.input(torch.softmax(torch.randn(n, k), 1))
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        s, vs = c.op(f"mul {t} {x}", vt * vx)
        c.op(f"softmaxCrossEntropy {s} {y}", reference(vs, vy))
        yield c
    for _ in range(3):
        c = Case("softmaxCrossEntropy of tanh against one-hot rows")
        n, k = rng.randint(1, 4), rng.randint(2, 5)
        x, vx = c.randn(n, k)
        rows = torch.zeros(n, k)
        for i in range(n):
            rows[i, rng.randrange(k)] = 1
        y, vy = c.const(rows)
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"softmaxCrossEntropy {t} {y}", reference(vt, vy))
        yield c
    for _ in range(2):
        c = Case("softmaxCrossEntropy against soft targets with classes of probability 0")
        n, k = rng.randint(2, 4), rng.randint(3, 5)
        x, vx = c.randn(n, k)
        mask = torch.ones(n, k)
        for i in range(n):
            mask[i, rng.randrange(k)] = 0
        probs = torch.softmax(torch.randn(n, k), 1) * mask
        y, vy = c.input(probs / probs.sum(1, keepdim=True))
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"softmaxCrossEntropy {t} {y}", reference(vt, vy))
        yield c
    for _ in range(2):
        c = Case("softmaxCrossEntropy of tanh against class numbers")
        n, k = rng.randint(1, 4), rng.randint(2, 5)
        x, vx = c.randn(n, k)
        y, vy = c.const(torch.tensor([float(rng.randrange(k)) for _ in range(n)]))
        t, vt = c.op(f"tanh {x}", torch.tanh(vx))
        c.op(f"softmaxCrossEntropy {t} {y}", torch.nn.functional.cross_entropy(vt, vy.long()))
        yield c
