package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Elementwise ops whose operands walk several trailing axes at one step (an [N, C, H, W] tensor and
 * a per-channel [1, C, 1, 1] one, a permuted tensor and a broadcast one) give, element by element,
 * the operation on the two values, in either dtype: the walk merges those axes into one row.
 */
class BroadcastRunsTest {

    @Test
    void perChannelAndPermutedOperandsGiveTheElementwiseResult() {
        SplittableRandom rng = new SplittableRandom(1);
        int[][] shapes = {{4, 3, 9, 10}, {2, 5, 70}, {3, 2, 1, 40}, {2, 3, 130, 130}};
        for (DType dtype : DType.values()) {
            for (int[] shape : shapes) {
                Tensor x = Tensor.randn(rng, shape).to(dtype);
                int[] channel = new int[shape.length];
                java.util.Arrays.fill(channel, 1);
                channel[1] = shape[1];
                Tensor w = Tensor.randn(rng, channel).to(dtype);
                check(x, w, dtype);
                check(w, x, dtype);
                // a permuted first operand (its last two axes swapped) against the channel values
                int r = shape.length;
                int[] swapped = shape.clone();
                swapped[r - 1] = shape[r - 2];
                swapped[r - 2] = shape[r - 1];
                int[] perm = new int[r];
                for (int i = 0; i < r; i++) {
                    perm[i] = i;
                }
                perm[r - 1] = r - 2;
                perm[r - 2] = r - 1;
                check(Tensor.randn(rng, swapped).to(dtype).permute(perm), w, dtype);
            }
        }
    }

    /** a op b for add, sub, mul, div and gt, against each pair of values. */
    private static void check(Tensor a, Tensor b, DType dtype) {
        Tensor ea = a.expand(broadcast(a.shape(), b.shape()));
        Tensor eb = b.expand(broadcast(a.shape(), b.shape()));
        double[] x = ea.toArray();
        double[] y = eb.toArray();
        Tensor[] results = {a.add(b), a.sub(b), a.mul(b), a.div(b), a.gt(b)};
        for (int k = 0; k < results.length; k++) {
            double[] r = results[k].toArray();
            for (int i = 0; i < r.length; i++) {
                double expected = switch (k) {
                    case 0 -> round(x[i] + y[i], dtype);
                    case 1 -> round(x[i] - y[i], dtype);
                    case 2 -> round(x[i] * y[i], dtype);
                    case 3 -> round(x[i] / y[i], dtype);
                    default -> x[i] > y[i] ? 1 : 0;
                };
                assertEquals(expected, r[i], 0, dtype + " op " + k + " at " + i + " of " + java.util.Arrays.toString(a.shape()));
            }
        }
    }

    private static double round(double v, DType dtype) {
        return dtype == DType.FLOAT32 ? (float) v : v;
    }

    private static int[] broadcast(int[] a, int[] b) {
        int[] s = new int[a.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.max(a[i], b[i]);
        }
        return s;
    }
}
