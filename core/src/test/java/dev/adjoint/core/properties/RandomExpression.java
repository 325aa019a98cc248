package dev.adjoint.core.properties;

import java.util.ArrayList;
import java.util.List;

/**
 * A random expression DAG over two scalar variables {@code a, b} and a vector {@code v} of length
 * 3, evaluated generically so the same expression runs as a Tensor graph (reverse mode) and as
 * commons-math3 DerivativeStructures (forward mode). Each step applies an op to earlier nodes,
 * chosen with reuse, so subexpressions are shared; depth is capped. Every op is total on the reals
 * (log and sqrt see {@code x^2 + 1}, division divides by {@code y^2 + 1}, exp sees {@code tanh x})
 * so any random expression is smooth; it is not always well conditioned: chains of additions and
 * cubes grow without bound (eight nested cubes overflow), so the properties measure how large the
 * intermediate values and derivatives get and skip expressions beyond what float64 can check.
 */
public final class RandomExpression {
    static final int MAX_DEPTH = 8;
    static final int VECTOR_LENGTH = 3;

    public enum Op {
        ADD(2), SUB(2), MUL(2), DIV(2), NEG(1), SIN(1), COS(1), TANH(1), SIGMOID(1), EXP(1), LOG(1), SQRT(1), CUBE(1),
        SUM(1), MEAN(1), LOG_SUM_EXP(1), ERF(1), GELU(1), SILU(1), VAR(1);

        final int arity;

        Op(int arity) {
            this.arity = arity;
        }

        boolean reduces() {
            return this == SUM || this == MEAN || this == LOG_SUM_EXP || this == VAR;
        }
    }

    /** What an expression needs from a number system: the variables and each op. */
    interface Algebra<T> {
        T variable(int index);

        T apply(Op op, T x, T y);

        boolean isVector(T x);

        T sum(T x);
    }

    private record Step(Op op, int left, int right) {
    }

    private final List<Step> steps = new ArrayList<>();
    private final List<Integer> depth = new ArrayList<>();
    private final List<Boolean> vector = new ArrayList<>();

    /** The variables a, b, v occupy nodes 0, 1, 2. */
    private RandomExpression() {
        for (int i = 0; i < 3; i++) {
            steps.add(null);
            depth.add(0);
            vector.add(i == 2);
        }
    }

    /**
     * Builds an expression from raw choices (three ints per step: op, left operand, right operand),
     * so that jqwik generates and shrinks plain integers.
     */
    static RandomExpression fromChoices(List<Integer> choices) {
        RandomExpression e = new RandomExpression();
        Op[] ops = Op.values();
        for (int i = 0; i + 2 < choices.size(); i += 3) {
            Op op = ops[choices.get(i) % ops.length];
            int left = e.pick(choices.get(i + 1));
            int right = e.pick(choices.get(i + 2));
            if (left < 0 || right < 0 || (op.reduces() && !e.vector.get(left))) {
                continue;
            }
            e.steps.add(new Step(op, left, op.arity == 2 ? right : -1));
            e.depth.add(1 + Math.max(e.depth.get(left), op.arity == 2 ? e.depth.get(right) : 0));
            e.vector.add(!op.reduces() && (e.vector.get(left) || (op.arity == 2 && e.vector.get(right))));
        }
        return e;
    }

    /**
     * An earlier node below the depth cap, or -1: mostly one of the last few (so chains grow deep),
     * sometimes any node at all (so old subexpressions and the variables are reused).
     */
    private int pick(int choice) {
        int n = steps.size();
        int window = choice % 4 == 0 ? n : Math.min(n, 1 + choice % 2);
        for (int tries = 0; tries < window; tries++) {
            int candidate = n - 1 - Math.floorMod(choice / 4 + tries, window);
            if (depth.get(candidate) < MAX_DEPTH) {
                return candidate;
            }
        }
        return -1;
    }

    int depth() {
        return depth.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /**
     * Evaluates every node in order (each shared node once) and returns the sum of the sinks (the
     * nodes nothing else uses, each summed to a scalar), so every step contributes to the result.
     */
    <T> T evaluate(Algebra<T> algebra) {
        List<T> values = new ArrayList<>();
        boolean[] used = new boolean[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s != null) {
                used[s.left()] = true;
                if (s.right() >= 0) {
                    used[s.right()] = true;
                }
            }
            values.add(s == null ? algebra.variable(i)
                    : algebra.apply(s.op(), values.get(s.left()), s.right() < 0 ? null : values.get(s.right())));
        }
        T total = null;
        for (int i = 0; i < steps.size(); i++) {
            if (!used[i] && (steps.get(i) != null || steps.size() == 3)) {
                T x = algebra.isVector(values.get(i)) ? algebra.sum(values.get(i)) : values.get(i);
                total = total == null ? x : algebra.apply(Op.ADD, total, x);
            }
        }
        return total;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("a, b, v[3]");
        for (int i = 3; i < steps.size(); i++) {
            Step s = steps.get(i);
            sb.append("; n").append(i).append(" = ").append(s.op().name().toLowerCase()).append('(').append(name(s.left()));
            if (s.right() >= 0) {
                sb.append(", ").append(name(s.right()));
            }
            sb.append(')');
        }
        return sb.append(" (depth ").append(depth()).append(')').toString();
    }

    private static String name(int i) {
        return i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "v" : "n" + i;
    }
}
