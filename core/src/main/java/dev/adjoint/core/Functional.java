package dev.adjoint.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The functional derivatives behind {@link Autograd#jacobian}, {@link Autograd#hessian},
 * {@link Autograd#hvp}, {@link Autograd#jvp} and {@link Autograd#vjp}: each runs the function on
 * tensors of its own (sharing the inputs' values), with recording switched on, so that it works
 * under {@link Autograd#noGrad()} and on functions that call {@link Autograd#grad} themselves.
 */
final class Functional {
    private Functional() {
    }

    static Autograd.Jvp jvp(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, List<Tensor> tangents) {
        check(op, f, xs);
        checkLike(op, "tangent", xs, tangents);
        if (ForwardMode.active()) {
            return jvpByReverse(op, f, xs, tangents);
        }
        try (Autograd.Scope on = Autograd.enableGrad(); ForwardMode.Level level = ForwardMode.enter()) {
            List<Tensor> duals = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                duals.add(level.dual(xs.get(i), tangents.get(i)));
            }
            Tensor y = call(op, f, duals);
            Tensor t = level.tangent(y);
            return new Autograd.Jvp(y, t != null ? t : Tensor.zeros(y.dtype(), y.shape()));
        }
    }

    /**
     * A jvp inside another forward-mode pass: two reverse passes, {@code J t = d/du [(J^T u) . t]},
     * whose ops carry the outer pass's tangents.
     */
    private static Autograd.Jvp jvpByReverse(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, List<Tensor> tangents) {
        try (Autograd.Scope on = Autograd.enableGrad()) {
            List<Tensor> leaves = leaves(xs);
            Tensor y = call(op, f, leaves);
            if (!y.requiresGrad()) {
                return new Autograd.Jvp(y, Tensor.zeros(y.dtype(), y.shape()));
            }
            Tensor u = Tensor.zeros(y.dtype(), y.shape()).requiresGrad(true);
            List<Tensor> vjps = Autograd.grad(y, u, leaves, true);
            Tensor dot = null;
            for (int i = 0; i < vjps.size(); i++) {
                Tensor term = vjps.get(i).mul(tangents.get(i)).sum();
                dot = dot == null ? term : dot.add(term);
            }
            if (!dot.requiresGrad()) {
                return new Autograd.Jvp(y, Tensor.zeros(y.dtype(), y.shape()));
            }
            return new Autograd.Jvp(y, Autograd.grad(dot, List.of(u), anyRequiresGrad(xs)).get(0));
        }
    }

    static Autograd.Vjps vjp(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor cotangent) {
        check(op, f, xs);
        if (cotangent == null) {
            throw new IllegalArgumentException(op + ": cotangent is null");
        }
        try (Autograd.Scope on = Autograd.enableGrad()) {
            List<Tensor> leaves = leaves(xs);
            Tensor y = call(op, f, leaves);
            if (!Arrays.equals(y.shape(), cotangent.shape())) {
                throw new IllegalArgumentException(op + ": cotangent has shape " + Arrays.toString(cotangent.shape())
                        + " but the function's value has " + Arrays.toString(y.shape()));
            }
            return new Autograd.Vjps(y, gradients(y, cotangent, leaves, anyRequiresGrad(xs)));
        }
    }

    static List<Tensor> jacobian(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        check(op, f, xs);
        int n = 0;
        for (Tensor x : xs) {
            n += x.size();
        }
        boolean createGraph = anyRequiresGrad(xs);
        try (Autograd.Scope on = Autograd.enableGrad()) {
            List<Tensor> leaves = leaves(xs);
            Tensor y = call(op, f, leaves);
            int m = y.size();
            if (n < m && !ForwardMode.active()) {
                return jacobianForward(op, f, xs, n, y.shape());
            }
            if (!createGraph && !ForwardMode.active() && y.requiresGrad()) {
                return jacobianReverse(y, leaves, xs);
            }
            // reverse mode: one recorded forward, one backward pass through it per element of the value
            List<List<Tensor>> rows = new ArrayList<>(m);
            for (int r = 0; r < m; r++) {
                double[] e = new double[m];
                e[r] = 1;
                rows.add(gradients(y, Tensor.of(e, y.shape()).to(y.dtype()), leaves, createGraph));
            }
            List<Tensor> out = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                List<Tensor> column = new ArrayList<>(m);
                for (List<Tensor> row : rows) {
                    column.add(row.get(i));
                }
                int[] shape = concat(y.shape(), xs.get(i).shape());
                out.add(m == 0 ? Tensor.zeros(y.dtype(), shape) : Tensor.stack(column, 0).reshape(shape));
            }
            return out;
        }
    }

    /**
     * Reverse mode in one backward pass: the vector-Jacobian product {@code J^T u} is linear in u,
     * so running the backward pass (whose formulas are tensor ops) inside a forward-mode pass, with
     * the cotangent u carrying all m unit directions as one batch of tangents, gives every row
     * {@code J^T e_r} at once as the tangents of the gradients.
     */
    private static List<Tensor> jacobianReverse(Tensor y, List<Tensor> leaves, List<Tensor> xs) {
        int m = y.size();
        int[] yShape = y.shape();
        try (ForwardMode.Level level = ForwardMode.enter()) {
            Tensor u = Tensor.zeros(y.dtype(), yShape);
            u.dual = new ForwardMode.Dual(level.level, seeds(List.of(y), m).get(0));
            List<Tensor> g = Autograd.grad(y, u, leaves, false);
            List<Tensor> out = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                Tensor t = level.tangent(g.get(i));
                int[] shape = concat(yShape, xs.get(i).shape());
                out.add(t == null ? Tensor.zeros(y.dtype(), shape) : t.reshape(shape));
            }
            return out;
        }
    }

    /** Forward mode: one pass carrying all n directions as a batch of tangents. */
    private static List<Tensor> jacobianForward(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, int n, int[] yShape) {
        try (ForwardMode.Level level = ForwardMode.enter()) {
            List<Tensor> duals = new ArrayList<>(xs.size());
            List<Tensor> seeds = seeds(xs, n);
            for (int i = 0; i < xs.size(); i++) {
                duals.add(level.dual(xs.get(i), seeds.get(i)));
            }
            Tensor y = call(op, f, duals);
            Tensor t = level.tangent(y);
            int m = y.size();
            List<Tensor> out = new ArrayList<>(xs.size());
            int at = 0;
            for (Tensor x : xs) {
                int[] shape = concat(yShape, x.shape());
                if (t == null) {
                    out.add(Tensor.zeros(x.dtype(), shape));
                } else {
                    out.add(t.reshape(n, m).narrow(0, at, x.size()).transpose().reshape(shape));
                }
                at += x.size();
            }
            return out;
        }
    }

    static List<List<Tensor>> hessian(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        check(op, f, xs);
        int n = 0;
        for (Tensor x : xs) {
            n += x.size();
        }
        if (ForwardMode.active()) {
            return hessianByReverse(op, f, xs, n);
        }
        try (Autograd.Scope on = Autograd.enableGrad(); ForwardMode.Level level = ForwardMode.enter()) {
            List<Tensor> seeds = seeds(xs, n);
            List<Tensor> leaves = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                leaves.add(level.leaf(xs.get(i), seeds.get(i)));
            }
            Tensor y = scalar(op, call(op, f, leaves));
            List<Tensor> g = gradients(y, null, leaves, false);
            List<List<Tensor>> out = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                Tensor t = level.tangent(g.get(i));
                List<Tensor> row = new ArrayList<>(xs.size());
                int at = 0;
                for (Tensor xj : xs) {
                    int[] shape = concat(xs.get(i).shape(), xj.shape());
                    if (t == null) {
                        row.add(Tensor.zeros(xj.dtype(), shape));
                    } else {
                        // the tangent's batch axis is the direction j; the Hessian puts it last
                        row.add(t.reshape(n, xs.get(i).size()).narrow(0, at, xj.size()).transpose().reshape(shape));
                    }
                    at += xj.size();
                }
                out.add(row);
            }
            return out;
        }
    }

    /** Inside another forward-mode pass: one Hessian-vector product per direction, reverse over reverse. */
    private static List<List<Tensor>> hessianByReverse(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, int n) {
        List<List<Tensor>> columns = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            List<Tensor> seed = new ArrayList<>(xs.size());
            for (Tensor s : seeds(xs, n)) {
                seed.add(s.select(0, c));
            }
            columns.add(hvp(op, f, xs, seed));
        }
        List<List<Tensor>> out = new ArrayList<>(xs.size());
        for (int i = 0; i < xs.size(); i++) {
            List<Tensor> row = new ArrayList<>(xs.size());
            int at = 0;
            for (Tensor xj : xs) {
                List<Tensor> block = new ArrayList<>(xj.size());
                for (int c = at; c < at + xj.size(); c++) {
                    block.add(columns.get(c).get(i));
                }
                int[] shape = concat(xs.get(i).shape(), xj.shape());
                row.add(block.isEmpty() ? Tensor.zeros(xj.dtype(), shape) : Tensor.stack(block, -1).reshape(shape));
                at += xj.size();
            }
            out.add(row);
        }
        return out;
    }

    static List<Tensor> hvp(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs, List<Tensor> vs) {
        check(op, f, xs);
        checkLike(op, "vector", xs, vs);
        boolean createGraph = anyRequiresGrad(xs);
        if (ForwardMode.active()) {
            try (Autograd.Scope on = Autograd.enableGrad()) {
                List<Tensor> leaves = leaves(xs);
                Tensor y = scalar(op, call(op, f, leaves));
                List<Tensor> g = gradients(y, null, leaves, true);
                Tensor dot = null;
                for (int i = 0; i < g.size(); i++) {
                    Tensor term = g.get(i).mul(vs.get(i)).sum();
                    dot = dot == null ? term : dot.add(term);
                }
                return gradients(dot, null, leaves, createGraph);
            }
        }
        try (Autograd.Scope on = Autograd.enableGrad(); ForwardMode.Level level = ForwardMode.enter()) {
            List<Tensor> leaves = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                leaves.add(level.leaf(xs.get(i), vs.get(i)));
            }
            Tensor y = scalar(op, call(op, f, leaves));
            List<Tensor> g = gradients(y, null, leaves, false);
            List<Tensor> out = new ArrayList<>(xs.size());
            for (int i = 0; i < xs.size(); i++) {
                Tensor t = level.tangent(g.get(i));
                out.add(t != null ? t : Tensor.zeros(xs.get(i).dtype(), xs.get(i).shape()));
            }
            return out;
        }
    }

    /**
     * The tangents of a batch of n directions, the standard basis of all inputs together: input i's
     * tangent has shape [n] ++ its shape.
     */
    private static List<Tensor> seeds(List<Tensor> xs, int n) {
        List<Tensor> out = new ArrayList<>(xs.size());
        int at = 0;
        for (Tensor x : xs) {
            int size = x.size();
            double[] e = new double[n * size];
            for (int j = 0; j < size; j++) {
                e[(at + j) * size + j] = 1;
            }
            out.add(Tensor.of(e, concat(new int[] {n}, x.shape())).to(x.dtype()));
            at += size;
        }
        return out;
    }

    /**
     * Tensors of the inputs' values that require grad: a recorded alias of an input that requires
     * grad (so that the result can be differentiated again), a fresh leaf otherwise, either one
     * carrying the input's tangent in a running forward-mode pass.
     */
    private static List<Tensor> leaves(List<Tensor> xs) {
        List<Tensor> out = new ArrayList<>(xs.size());
        for (Tensor x : xs) {
            if (x.requiresGrad()) {
                out.add(ForwardMode.alias(x));
            } else {
                Tensor leaf = Tensor.over(x.value()).requiresGrad(true);
                leaf.dual = x.dual;
                out.add(leaf);
            }
        }
        return out;
    }

    /** Gradients of y (seeded with {@code gradOutput}, or ones) with respect to the leaves; zeros where y does not reach. */
    private static List<Tensor> gradients(Tensor y, Tensor gradOutput, List<Tensor> leaves, boolean createGraph) {
        if (!y.requiresGrad()) {
            List<Tensor> zeros = new ArrayList<>(leaves.size());
            for (Tensor x : leaves) {
                zeros.add(Tensor.zeros(x.dtype(), x.shape()));
            }
            return zeros;
        }
        return Autograd.grad(y, gradOutput != null ? gradOutput : Tensor.ones(y.dtype(), y.shape()), leaves, createGraph);
    }

    private static Tensor call(String op, Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
        Tensor y = f.apply(List.copyOf(xs));
        if (y == null) {
            throw new IllegalStateException(op + ": the function returned null");
        }
        return y;
    }

    private static Tensor scalar(String op, Tensor y) {
        if (y.size() != 1) {
            throw new IllegalArgumentException(op + ": the function must return a scalar, but returned shape "
                    + Arrays.toString(y.shape()));
        }
        return y;
    }

    private static boolean anyRequiresGrad(List<Tensor> xs) {
        for (Tensor x : xs) {
            if (x.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    private static void check(String op, Object f, List<Tensor> xs) {
        if (f == null) {
            throw new IllegalArgumentException(op + ": function is null");
        }
        if (xs == null || xs.isEmpty()) {
            throw new IllegalArgumentException(op + ": needs at least one input");
        }
        for (int i = 0; i < xs.size(); i++) {
            if (xs.get(i) == null) {
                throw new IllegalArgumentException(op + ": input " + i + " is null");
            }
        }
    }

    private static void checkLike(String op, String what, List<Tensor> xs, List<Tensor> ts) {
        if (ts == null || ts.size() != xs.size()) {
            throw new IllegalArgumentException(op + ": needs one " + what + " per input (" + xs.size() + "), got "
                    + (ts == null ? "null" : ts.size()));
        }
        for (int i = 0; i < xs.size(); i++) {
            Tensor t = ts.get(i);
            if (t == null) {
                throw new IllegalArgumentException(op + ": " + what + " " + i + " is null");
            }
            if (!Arrays.equals(t.shape(), xs.get(i).shape())) {
                throw new IllegalArgumentException(op + ": " + what + " " + i + " has shape " + Arrays.toString(t.shape())
                        + " but input " + i + " has " + Arrays.toString(xs.get(i).shape()));
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] s = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        return s;
    }
}
