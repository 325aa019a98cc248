package dev.adjoint.core.kernel;

import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Run by {@link GemmDeterminismTest} in child JVMs started with {@code -Dadjoint.threads=N}: a small
 * product first (the property is not read for it), then large products through the public
 * {@link Tensor#matmul}, split by rows, by columns and with a transposed operand. Prints one line
 * per product with a hash of its bits, then the number of pool threads alive.
 */
public final class GemmThreadsProbe {
    private GemmThreadsProbe() {
    }

    public static void main(String[] args) {
        SplittableRandom random = new SplittableRandom(19);
        Tensor small = Tensor.of(random.doubles(6, -1, 1).toArray(), 2, 3)
                .matmul(Tensor.of(random.doubles(12, -1, 1).toArray(), 3, 4));
        System.out.println("small " + Arrays.hashCode(small.toArray()));
        int[][] shapes = {{203, 97, 331}, {90, 251, 300}, {67, 389, 777}};
        for (int[] s : shapes) {
            Tensor a = Tensor.of(random.doubles((long) s[0] * s[2], -1, 1).toArray(), s[0], s[2]);
            Tensor b = Tensor.of(random.doubles((long) s[2] * s[1], -1, 1).toArray(), s[1], s[2]).transpose();
            System.out.println(Arrays.toString(s) + " " + hash(a.matmul(b).toArray()));
        }
        long workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("ForkJoinPool-")).count();
        System.out.println("pool threads " + workers);
    }

    private static String hash(double[] x) {
        long h = 1125899906842597L;
        for (double v : x) {
            h = 31 * h + Double.doubleToRawLongBits(v);
        }
        return Long.toHexString(h);
    }
}
