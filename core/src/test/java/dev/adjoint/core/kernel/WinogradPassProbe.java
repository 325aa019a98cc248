package dev.adjoint.core.kernel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A measurement, not a test: how much faster Winograd's passes ({@link FloatWinograd}) run than
 * the direct ones ({@link FloatConvLoops}) on this machine, for checking {@link FloatWinograd}'s
 * rules on another CPU (bench/RESULTS.md, "Winograd on AVX2"). For each layer (3x3, stride 1,
 * padding 1, float32) it times the forward pass, the input gradient and the weight gradient both
 * ways, taking turns in this JVM, and prints direct / Winograd time (the best of 9 rounds after 2
 * of warm-up) next to whether the rules take each pass.
 *
 * <pre>{@code
 * mvn -B -ntp -q test-compile -pl core
 * java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes \
 *     dev.adjoint.core.kernel.WinogradPassProbe                  # the grid of RESULTS
 * java ... -Dlayer=64,32,14,64 dev.adjoint.core.kernel.WinogradPassProbe   # n, c, h (= w), o
 * }</pre>
 */
public final class WinogradPassProbe {
    private static final String[] PASSES = {"forward", "input gradient", "weight gradient"};

    private WinogradPassProbe() {
    }

    /**
     * Runs the grid (input channels 16 to 128, output channels 16 to 128, planes 12x12, 14x14 and
     * 28x28, batches of about 12,500 output pixels per plane position), or the one layer of
     * {@code -Dlayer=n,c,h,o}.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        String layer = System.getProperty("layer");
        if (layer != null) {
            int[] s = Arrays.stream(layer.split(",")).mapToInt(v -> Integer.parseInt(v.trim())).toArray();
            if (s.length != 4) {
                throw new IllegalArgumentException("WinogradPassProbe: -Dlayer takes n,c,h,o, got " + layer);
            }
            measure(s[0], s[1], s[2], s[3]);
            return;
        }
        System.out.println("direct / Winograd time per pass (above 1: Winograd faster); * = the rules take it");
        for (int h : new int[] {12, 14, 28}) {
            int n = 12_544 / (h * h);
            for (int c : new int[] {16, 32, 64, 128}) {
                for (int o : new int[] {16, 32, 64, 128}) {
                    if (c + o >= 64 && c * o <= 8192) {
                        measure(n, c, h, o);
                    }
                }
            }
        }
    }

    private static void measure(int n, int c, int h, int o) {
        ConvKernels.Geometry g = new ConvKernels.Geometry(n, c, h, h, o, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        SplittableRandom rng = new SplittableRandom(1);
        NDArray x = NDArray.of(random(rng, n * c * h * h, 1), g.inputShape());
        NDArray w = NDArray.of(random(rng, o * c * 9, 0.1f), g.weightShape());
        NDArray gy = NDArray.of(random(rng, n * o * g.outH() * g.outW(), 1), g.outputShape());
        // about 40 ms of direct work per round for any channel counts
        int reps = Math.max(3, 40_960 / (c * o));
        int budget = ConvKernels.SCRATCH_BUDGET;
        double[][] best = new double[3][2];
        for (double[] b : best) {
            Arrays.fill(b, Double.MAX_VALUE);
        }
        for (int round = 0; round < 11; round++) {
            for (int turn = 0; turn < 2; turn++) {
                boolean winograd = (round + turn) % 2 == 1;
                for (int pass = 0; pass < 3; pass++) {
                    long start = System.nanoTime();
                    for (int r = 0; r < reps; r++) {
                        run(pass, winograd, x, w, gy, g, budget);
                    }
                    double micros = (System.nanoTime() - start) / 1e3 / reps;
                    if (round >= 2) {
                        best[pass][winograd ? 1 : 0] = Math.min(best[pass][winograd ? 1 : 0], micros);
                    }
                }
            }
        }
        boolean[] taken = {FloatWinograd.applies(g), FloatWinograd.appliesToInputGradient(g), FloatWinograd.appliesToWeightGradient(g)};
        StringBuilder line = new StringBuilder(String.format("[%d, %d, %d, %d] -> %d:", n, c, h, h, o));
        for (int pass = 0; pass < 3; pass++) {
            line.append(String.format("  %s %.2f%s", PASSES[pass], best[pass][0] / best[pass][1], taken[pass] ? "*" : ""));
        }
        System.out.println(line);
    }

    private static void run(int pass, boolean winograd, NDArray x, NDArray w, NDArray gy, ConvKernels.Geometry g, int budget) {
        switch (pass) {
            case 0 -> {
                if (winograd) {
                    FloatWinograd.conv2d(x, w, null, g, budget);
                } else {
                    FloatConvLoops.conv2d(x, w, null, g, budget);
                }
            }
            case 1 -> {
                if (winograd) {
                    FloatWinograd.backwardInput(gy, w, g, budget);
                } else {
                    FloatConvLoops.backwardInput(gy, w, g, budget);
                }
            }
            default -> {
                if (winograd) {
                    FloatWinograd.backwardWeight(x, gy, g, budget);
                } else {
                    FloatConvLoops.backwardWeight(x, gy, g, budget);
                }
            }
        }
    }

    private static float[] random(SplittableRandom rng, int length, float scale) {
        float[] v = new float[length];
        for (int i = 0; i < length; i++) {
            v[i] = (float) rng.nextGaussian() * scale;
        }
        return v;
    }
}
