package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** jacobian, hessian, hvp, jvp and vjp: against closed forms and against each other. */
class FunctionalTest {
    private static final SplittableRandom RNG = new SplittableRandom(17);

    static Tensor random(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = RNG.nextDouble(-1, 1);
        }
        return Tensor.of(v, shape);
    }

    static Tensor diag(Tensor v) {
        int n = v.size();
        double[] d = new double[n * n];
        double[] a = v.toArray();
        for (int i = 0; i < n; i++) {
            d[i * n + i] = a[i];
        }
        return Tensor.of(d, n, n);
    }

    static void close(Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * (1 + Math.abs(e[i])), "element " + i);
        }
    }

    /** The extended Rosenbrock function of an even number of variables. */
    static Tensor rosenbrock(Tensor x) {
        int n = x.size();
        Tensor pairs = x.reshape(n / 2, 2);
        Tensor odd = pairs.select(1, 0);
        Tensor even = pairs.select(1, 1);
        return even.sub(odd.mul(odd)).pow(2).mul(100).add(odd.neg().add(1).pow(2)).sum();
    }

    static Tensor rosenbrockHessian(double[] x) {
        int n = x.length;
        double[] h = new double[n * n];
        for (int i = 0; i < n; i += 2) {
            double a = x[i];
            double b = x[i + 1];
            h[i * n + i] = 1200 * a * a - 400 * b + 2;
            h[i * n + i + 1] = -400 * a;
            h[(i + 1) * n + i] = -400 * a;
            h[(i + 1) * n + i + 1] = 200;
        }
        return Tensor.of(h, n, n);
    }

    /** A function of everything: broadcasting, matmul, softmax, narrow, concat. */
    static final Function<Tensor, Tensor> MIXED = x -> {
        Tensor w = Tensor.of(new double[] {0.5, -1, 2, 0.25, 1.5, -0.75}, 3, 2);
        Tensor h = x.matmul(w).tanh().add(Tensor.of(new double[] {0.1, -0.2}, 2));
        Tensor s = h.softmax(-1).mul(x.narrow(1, 0, 2));
        return Tensor.concat(List.of(s, x.narrow(1, 1, 2).exp()), 1).mul(x.sum(1, true).sin());
    };

    @Test
    void hessianOfRosenbrockMatchesTheClosedForm() {
        Tensor x = random(10);
        close(rosenbrockHessian(x.toArray()), Autograd.hessian(FunctionalTest::rosenbrock, x), 1e-12);
    }

    @Test
    void hvpIsHessianTimesVector() {
        Tensor x = random(4, 3);
        Function<Tensor, Tensor> f = t -> MIXED.apply(t).pow(2).sum();
        Tensor v = random(4, 3);
        Tensor h = Autograd.hessian(f, x);
        Tensor expected = h.reshape(12, 12).matmul(v.reshape(12)).reshape(4, 3);
        close(expected, Autograd.hvp(f, x, v), 1e-10);
    }

    @Test
    void jvpIsJacobianTimesTangentAndVjpIsCotangentTimesJacobian() {
        Tensor x = random(4, 3);
        Tensor t = random(4, 3);
        Tensor j = Autograd.jacobian(MIXED, x);
        assertArrayEquals(new int[] {4, 4, 4, 3}, j.shape());
        Autograd.Jvp r = Autograd.jvp(MIXED, x, t);
        close(MIXED.apply(x), r.value(), 1e-15);
        close(j.reshape(16, 12).matmul(t.reshape(12)).reshape(4, 4), r.tangent(), 1e-10);
        Tensor c = random(4, 4);
        Autograd.Vjp v = Autograd.vjp(MIXED, x, c);
        close(c.reshape(16).matmul(j.reshape(16, 12)).reshape(4, 3), v.gradient(), 1e-10);
    }

    @Test
    void forwardAndReverseJacobiansAgree() {
        Tensor x = random(4, 3);
        Function<Tensor, Tensor> wide = t -> Tensor.concat(List.of(MIXED.apply(t), t.log1p().abs()), 1);
        Tensor forward = Autograd.jacobian(wide, x);
        // the same Jacobian row by row in reverse mode: the value has more elements than x, so build it by vjp
        int m = 1;
        for (int d : forward.shape()) {
            m *= d;
        }
        m /= 12;
        Tensor y = wide.apply(x);
        for (int r = 0; r < m; r++) {
            double[] e = new double[m];
            e[r] = 1;
            Tensor row = Autograd.vjp(wide, x, Tensor.of(e, y.shape())).gradient();
            close(row.reshape(12), forward.reshape(m, 12).select(0, r), 1e-12);
        }
    }

    @Test
    void theReverseJacobianInOnePassMatchesItsRowsByVjp() {
        Tensor x = random(4, 3);
        Function<Tensor, Tensor> narrow = t -> MIXED.apply(t).sum(0, false).narrow(0, 1, 2).mul(t.narrow(0, 0, 1).reshape(3).narrow(0, 0, 2));
        Tensor j = Autograd.jacobian(narrow, x);
        assertArrayEquals(new int[] {2, 4, 3}, j.shape());
        for (int r = 0; r < 2; r++) {
            double[] e = new double[2];
            e[r] = 1;
            close(Autograd.vjp(narrow, x, Tensor.of(e, 2)).gradient(), j.select(0, r), 1e-12);
        }
        // with an input that requires grad the rows are taken one by one, and stay differentiable
        Tensor xg = x.detach().requiresGrad(true);
        Tensor jg = Autograd.jacobian(narrow, xg);
        close(j, jg, 1e-12);
        assertTrue(jg.requiresGrad());
    }

    @Test
    void worksUnderNoGradAndOnIgnoredInputs() {
        Tensor x = random(3);
        Tensor z = random(2);
        try (Autograd.Scope off = Autograd.noGrad()) {
            List<List<Tensor>> h = Autograd.hessian(xs -> xs.get(0).pow(3).sum(), List.of(x, z));
            close(diag(x.mul(6)), h.get(0).get(0), 1e-12);
            close(Tensor.zeros(3, 2), h.get(0).get(1), 0);
            close(Tensor.zeros(2, 2), h.get(1).get(1), 0);
            List<Tensor> j = Autograd.jacobian(xs -> xs.get(0).exp(), List.of(x, z));
            close(diag(x.exp()), j.get(0), 1e-12);
            close(Tensor.zeros(3, 2), j.get(1), 0);
            Autograd.Jvp r = Autograd.jvp(xs -> xs.get(0).exp(), List.of(x, z), List.of(Tensor.ones(3), Tensor.ones(2)));
            close(x.exp(), r.tangent(), 1e-12);
            Autograd.Jvp constant = Autograd.jvp(t -> Tensor.ones(2), x, Tensor.ones(3));
            close(Tensor.zeros(2), constant.tangent(), 0);
            assertFalse(Autograd.isGradEnabled());
        }
    }

    @Test
    void hessianOfAFunctionThatTakesAGradientItself() {
        Tensor x = random(5).requiresGrad(true);
        // f(x) = |grad g(x)|^2 for g = sum(sin x): f = sum(cos^2 x), f'' = -2 cos 2x on the diagonal
        Function<Tensor, Tensor> f = t -> {
            Tensor g = Autograd.grad(t.sin().sum(), List.of(t), true).get(0);
            return g.mul(g).sum();
        };
        close(diag(x.mul(2).cos().mul(-2)), Autograd.hessian(f, x), 1e-12);
        Tensor v = random(5);
        close(x.mul(2).cos().mul(-2).mul(v), Autograd.hvp(f, x, v), 1e-12);
        close(x.mul(2).sin().neg().mul(v).sum(), Autograd.jvp(f, x, v).tangent(), 1e-12);
    }

    @Test
    void nestedForwardModeTakesReversePasses() {
        Tensor x = random(4);
        Tensor t = random(4);
        // d/dx (J_g(x) t) for g = x^3: J_g t = 3 x^2 t; its Jacobian is diag(6 x t)
        Tensor j = Autograd.jacobian(p -> Autograd.jvp(q -> q.pow(3), p, t).tangent(), x);
        close(diag(x.mul(t).mul(6)), j, 1e-12);
        // the Hessian inside a forward-mode pass: the jvp of hvp
        Tensor inner = Autograd.jvp(p -> Autograd.hvp(q -> q.pow(4).sum(), p, t), x, Tensor.ones(4)).tangent();
        close(x.mul(t).mul(24), inner, 1e-12);
    }

    @Test
    void customOpWithoutTangentRuleFallsBackToReversePasses() {
        CustomOp softsign = new CustomOpTest.Softsign();
        Tensor x = random(6);
        Tensor t = random(6);
        long before = ForwardMode.FALLBACKS.get()[0];
        Tensor tangent = Autograd.jvp(p -> softsign.apply(p).mul(p), x, t).tangent();
        assertTrue(ForwardMode.FALLBACKS.get()[0] > before);
        Tensor s = x.div(x.abs().add(1));
        Tensor ds = x.abs().add(1).pow(-2);
        close(ds.mul(x).add(s).mul(t), tangent, 1e-12);
        close(diag(ds.mul(x).add(s)), Autograd.jacobian(p -> softsign.apply(p).mul(p), x), 1e-12);
    }

    @Test
    void jvpKeepsNoGraph() {
        Tensor x = random(3);
        Autograd.Jvp r;
        try (Autograd.Scope off = Autograd.noGrad()) {
            r = Autograd.jvp(p -> p.exp().sum(), x, Tensor.ones(3));
        }
        assertFalse(r.value().requiresGrad());
        assertEquals(x.exp().sum().item(), r.tangent().item(), 1e-12);
    }

    @Test
    void aJvpOfAnInputThatRequiresGradCanBeDifferentiatedAgain() {
        Tensor x = random(4).requiresGrad(true);
        Tensor t = random(4);
        // J t = 3 x^2 t for x^3; the gradient of its sum is 6 x t
        Tensor tangent = Autograd.jvp(p -> p.pow(3), x, t).tangent();
        close(x.mul(x).mul(t).mul(3), tangent, 1e-12);
        close(x.mul(t).mul(6), Autograd.grad(tangent.sum(), List.of(x), false).get(0), 1e-12);
    }

    @Test
    void forwardModeIsPerThread() throws Exception {
        Tensor x = random(4, 3);
        Function<Tensor, Tensor> f = t -> MIXED.apply(t).pow(2).sum();
        double[] expected = Autograd.hessian(f, x).toArray();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<double[]>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                runs.add(pool.submit(() -> Autograd.hessian(f, x).toArray()));
            }
            for (java.util.concurrent.Future<double[]> r : runs) {
                assertArrayEquals(expected, r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesBadArguments() {
        Tensor x = random(3);
        assertThrows(IllegalArgumentException.class, () -> Autograd.jvp(p -> p, x, Tensor.ones(2)));
        assertThrows(IllegalArgumentException.class, () -> Autograd.hessian(p -> p, x));
        assertThrows(IllegalStateException.class, () -> Autograd.jacobian(p -> null, x));
        assertThrows(IllegalArgumentException.class, () -> Autograd.vjp(p -> p, x, Tensor.ones(4)));
    }
}
