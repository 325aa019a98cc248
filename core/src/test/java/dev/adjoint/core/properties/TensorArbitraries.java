package dev.adjoint.core.properties;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik generators for tensors: shapes, values kept inside an op's smooth domain, and pairs of
 * shapes that broadcast or line up for matmul. Sizes stay small (dims 1 to 3, rank up to 3)
 * because each case is checked through its full Jacobian.
 */
final class TensorArbitraries {
    private TensorArbitraries() {
    }

    /**
     * Where values are drawn from: magnitudes in [lo, hi], negative too when {@code signed}. A
     * positive lo keeps values off the kinks of abs and relu and away from poles.
     */
    record Domain(double lo, double hi, boolean signed) {
        static final Domain ANY = new Domain(0.05, 2.0, true);
        static final Domain POSITIVE = new Domain(0.3, 2.5, false);
        static final Domain AWAY_FROM_ZERO = new Domain(0.4, 2.0, true);
    }

    static Arbitrary<int[]> shapes(int minRank, int maxRank) {
        return Arbitraries.integers().between(1, 3).array(int[].class).ofMinSize(minRank).ofMaxSize(maxRank);
    }

    static Arbitrary<Tensor> tensors(int[] shape, Domain d) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Arbitrary<Double> magnitude = Arbitraries.doubles().between(d.lo(), d.hi());
        Arbitrary<Double> value = d.signed()
                ? Combinators.combine(magnitude, Arbitraries.of(1.0, -1.0)).as((m, s) -> m * s)
                : magnitude;
        return value.list().ofSize(n).map(vs -> {
            double[] data = vs.stream().mapToDouble(Double::doubleValue).toArray();
            return Tensor.of(data, shape).requiresGrad(true);
        });
    }

    static Arbitrary<Tensor> tensors(int minRank, int maxRank, Domain d) {
        return shapes(minRank, maxRank).flatMap(s -> tensors(s, d));
    }

    /** Two tensors whose shapes broadcast (NumPy rules), in either order. */
    static Arbitrary<Tensor[]> broadcastPairs(Domain first, Domain second) {
        return broadcastShapes().flatMap(p -> Combinators.combine(tensors(p[0], first), tensors(p[1], second))
                .as((a, b) -> new Tensor[] {a, b}));
    }

    /** Pairs of broadcast-compatible shapes: a full shape, and a suffix of it, with some axes set to 1 in each. */
    static Arbitrary<int[][]> broadcastShapes() {
        return broadcastShapes(3);
    }

    static Arbitrary<int[][]> broadcastShapes(int maxRank) {
        return Combinators.combine(shapes(0, maxRank), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 7), Arbitraries.of(true, false))
                .as((full, drop, maskA, maskB, swap) -> {
                    int keep = Math.max(0, full.length - Math.min(drop, full.length));
                    int[] a = full.clone();
                    int[] b = Arrays.copyOfRange(full, full.length - keep, full.length);
                    for (int i = 0; i < a.length; i++) {
                        if ((maskA >> i & 1) == 1) {
                            a[i] = 1;
                        }
                    }
                    for (int i = 0; i < b.length; i++) {
                        if ((maskB >> i & 1) == 1) {
                            b[i] = 1;
                        }
                    }
                    return swap ? new int[][] {b, a} : new int[][] {a, b};
                });
    }

    /** A shape and a larger shape it expands to. */
    static Arbitrary<int[][]> expandableShapes() {
        return broadcastShapes().map(p -> {
            int[] target = broadcast(p[0], p[1]);
            return new int[][] {p[0], target};
        });
    }

    /** Operands for numpy.matmul: 2-D, 1-D on either side, and batched with broadcasting batch axes. */
    static Arbitrary<Tensor[]> matmulPairs(Domain d) {
        Arbitrary<Integer> dim = Arbitraries.integers().between(1, 3);
        Arbitrary<int[][]> shapes = Combinators.combine(dim, dim, dim, Arbitraries.integers().between(0, 5), broadcastShapes(2))
                .as((n, k, m, kind, batch) -> switch (kind) {
                    case 0 -> new int[][] {{n, k}, {k, m}};
                    case 1 -> new int[][] {{k}, {k, m}};
                    case 2 -> new int[][] {{n, k}, {k}};
                    case 3 -> new int[][] {{k}, {k}};
                    case 4 -> new int[][] {concat(batch[0], n, k), {k, m}};
                    default -> new int[][] {concat(batch[0], n, k), concat(batch[1], k, m)};
                });
        return shapes.flatMap(p -> Combinators.combine(tensors(p[0], d), tensors(p[1], d)).as((a, b) -> new Tensor[] {a, b}));
    }

    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
