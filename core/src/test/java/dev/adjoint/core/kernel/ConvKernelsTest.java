package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.kernel.ConvKernels.Geometry;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The im2col kernels against direct loops, with the scratch budget cut so that the columns are
 * processed in many chunks (chunk edges falling inside output rows and between images), and with
 * the default budget on a batch large enough to need several chunks.
 */
class ConvKernelsTest {

    /** The definition: y[n, o, i, j] = bias[o] + sum over the group's channels and taps, zeros outside. */
    static double[] reference(double[] x, double[] w, double[] bias, Geometry g) {
        int oh = g.outH();
        int ow = g.outW();
        int cg = g.c() / g.groups();
        int og = g.o() / g.groups();
        double[] y = new double[g.n() * g.o() * oh * ow];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.o(); o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int c = 0; c < cg; c++) {
                            int ch = o / og * cg + c;
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int ih = i * g.sh() - g.ph() + p * g.dh();
                                    int iw = j * g.sw() - g.pw() + q * g.dw();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        s += w[((o * cg + c) * g.kh() + p) * g.kw() + q] * x[((n * g.c() + ch) * g.h() + ih) * g.w() + iw];
                                    }
                                }
                            }
                        }
                        y[((n * g.o() + o) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return y;
    }

    private static double[] random(SplittableRandom rng, int size) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = rng.nextDouble(-1, 1);
        }
        return a;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Forward against the definition; both gradients by their adjoint identities, chunked and whole. */
    private static void check(Geometry g, int budget, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = random(rng, g.n() * g.c() * g.h() * g.w());
        double[] w = random(rng, g.o() * g.c() / g.groups() * g.kh() * g.kw());
        double[] b = random(rng, g.o());
        NDArray xa = NDArray.wrap(x, g.inputShape());
        NDArray wa = NDArray.wrap(w, g.weightShape());
        double[] y = ConvKernels.conv2d(xa, wa, NDArray.wrap(b, new int[] {g.o()}), g, budget).toArray();
        double[] expected = reference(x, w, b, g);
        assertClose(y, expected, g + ": forward");
        double[] gy = random(rng, y.length);
        NDArray ga = NDArray.wrap(gy, g.outputShape());
        // <gy, conv(x, w)> = <backwardInput(gy, w), x> = <backwardWeight(x, gy), w>
        double[] plain = reference(x, w, null, g);
        double[] gx = ConvKernels.backwardInput(ga, wa, g, budget).toArray();
        double[] gw = ConvKernels.backwardWeight(xa, ga, g, budget).toArray();
        double inner = dot(gy, plain);
        assertTrue(Math.abs(dot(gx, x) - inner) <= 1e-10 * (1 + Math.abs(inner)), g + ": input gradient");
        assertTrue(Math.abs(dot(gw, w) - inner) <= 1e-10 * (1 + Math.abs(inner)), g + ": weight gradient");
        // the same gradients as from one chunk of all columns (up to rounding: the products' sizes
        // pick the matrix kernel, which sums in its own order)
        if (budget < 1000) {
            assertClose(gx, ConvKernels.backwardInput(ga, wa, g, Integer.MAX_VALUE / 2).toArray(), g + ": input gradient");
            assertClose(gw, ConvKernels.backwardWeight(xa, ga, g, Integer.MAX_VALUE / 2).toArray(), g + ": weight gradient");
        }
    }

    private static void assertClose(double[] actual, double[] expected, String what) {
        for (int i = 0; i < actual.length; i++) {
            assertTrue(Math.abs(actual[i] - expected[i]) <= 1e-12 * (1 + Math.abs(expected[i])), what + " at " + i);
        }
    }

    /**
     * Random geometries against the definition: unit strides half the time (whole images then go
     * through im2col at once), "same" padding a third of the time, dilation, groups, and padding
     * from none to wider than the input and the kernel (windows wholly in the padding), in chunks
     * of random size.
     */
    @Property(tries = 200)
    void everyGeometryMatchesTheDefinition(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] budgets = {1, 40, 97, 500, ConvKernels.SCRATCH_BUDGET};
        check(randomGeometry(rng), budgets[rng.nextInt(budgets.length)], seed);
    }

    /**
     * col2im adds each column entry into its input position, every element's additions in the order
     * of the rows of the columns (the bits depend on it): against that loop written out, for columns
     * of whole images (unit strides take a path of their own there) and of any span, for all of a
     * group's channels or a range of them (one thread's part of a split col2im), both dtypes.
     */
    @Property(tries = 200)
    void col2imAddsInTheOrderOfTheRows(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry g = randomGeometry(rng);
        int plane = g.outH() * g.outW();
        int[] span = randomSpan(rng, g);
        int j0 = span[0];
        int cw = span[1];
        int group = rng.nextInt(g.groups());
        // half the time a range of the group's channels, as one thread of a split col2im gets
        int window = g.kh() * g.kw();
        int cg = g.c() / g.groups();
        int firstChannel = rng.nextBoolean() ? 0 : rng.nextInt(cg);
        int firstRow = firstChannel * window;
        int lastRow = (firstChannel + 1 + rng.nextInt(cg - firstChannel)) * window;
        double[] cols = new double[g.rows() * cw];
        double[] gx = new double[g.n() * g.c() * g.h() * g.w()];
        float[] colsF = new float[cols.length];
        float[] gxF = new float[gx.length];
        for (int i = 0; i < cols.length; i++) {
            cols[i] = rng.nextDouble(-1, 1) * Math.pow(2, rng.nextInt(-30, 30)); // magnitudes for which the order matters
            colsF[i] = (float) cols[i];
        }
        for (int i = 0; i < gx.length; i++) {
            gx[i] = rng.nextDouble(-1, 1);
            gxF[i] = (float) gx[i];
        }
        double[] expected = gx.clone();
        float[] expectedF = gxF.clone();
        for (int r = firstRow; r < lastRow; r++) {
            int ch = group * cg + r / window;
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            for (int j = j0; j < j0 + cw; j++) {
                int ih = (j % plane) / g.outW() * g.sh() + ki * g.dh() - g.ph();
                int iw = j % g.outW() * g.sw() + kj * g.dw() - g.pw();
                if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                    int at = ((j / plane * g.c() + ch) * g.h() + ih) * g.w() + iw;
                    expected[at] += cols[r * cw + j - j0];
                    expectedF[at] += colsF[r * cw + j - j0];
                }
            }
        }
        ColumnLoops.col2imRows(cols, g, group, j0, cw, gx, firstRow, lastRow);
        FloatColumnLoops.col2imRows(colsF, g, group, j0, cw, gxF, firstRow, lastRow);
        for (int i = 0; i < gx.length; i++) {
            String where = g + " j0 " + j0 + " cw " + cw + " rows " + firstRow + ".." + lastRow + ": ";
            assertTrue(Double.doubleToRawLongBits(expected[i]) == Double.doubleToRawLongBits(gx[i]),
                    where + "float64 element " + i + " " + gx[i] + " instead of " + expected[i]);
            assertTrue(Float.floatToRawIntBits(expectedF[i]) == Float.floatToRawIntBits(gxF[i]),
                    where + "float32 element " + i + " " + gxF[i] + " instead of " + expectedF[i]);
        }
    }

    /**
     * im2col writes every element of its columns: the window's input element, or 0 in the padding,
     * for columns of whole images (unit strides take a path of their own there) and of any span,
     * from an input that starts past its array's first element, both dtypes, bit for bit.
     */
    @Property(tries = 200)
    void im2colCopiesEachWindowOrZero(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Geometry g = randomGeometry(rng);
        int plane = g.outH() * g.outW();
        int[] span = randomSpan(rng, g);
        int j0 = span[0];
        int cw = span[1];
        int group = rng.nextInt(g.groups());
        int xOff = rng.nextInt(3);
        double[] x = random(rng, xOff + g.n() * g.c() * g.h() * g.w());
        float[] xF = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xF[i] = (float) x[i];
        }
        int cg = g.c() / g.groups();
        double[] expected = new double[g.rows() * cw];
        for (int r = 0; r < g.rows(); r++) {
            int ch = group * cg + r / (g.kh() * g.kw());
            int ki = r / g.kw() % g.kh();
            int kj = r % g.kw();
            for (int j = j0; j < j0 + cw; j++) {
                int ih = (j % plane) / g.outW() * g.sh() + ki * g.dh() - g.ph();
                int iw = j % g.outW() * g.sw() + kj * g.dw() - g.pw();
                boolean inside = ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                expected[r * cw + j - j0] = inside ? x[xOff + ((j / plane * g.c() + ch) * g.h() + ih) * g.w() + iw] : 0.0;
            }
        }
        double[] cols = new double[expected.length];
        float[] colsF = new float[expected.length];
        java.util.Arrays.fill(cols, Double.NaN);
        java.util.Arrays.fill(colsF, Float.NaN);
        ColumnLoops.im2col(x, xOff, g, group, j0, cw, cols, false);
        FloatColumnLoops.im2col(xF, xOff, g, group, j0, cw, colsF, false);
        for (int i = 0; i < expected.length; i++) {
            String where = g + " j0 " + j0 + " cw " + cw + " group " + group + ": element " + i;
            assertTrue(Double.doubleToRawLongBits(expected[i]) == Double.doubleToRawLongBits(cols[i]),
                    where + " float64 " + cols[i] + " instead of " + expected[i]);
            assertTrue(Float.floatToRawIntBits((float) expected[i]) == Float.floatToRawIntBits(colsF[i]),
                    where + " float32 " + colsF[i] + " instead of " + (float) expected[i]);
        }
    }

    /** Columns [j0, j0 + cw) of g's images: half the time whole images, else any span. */
    private static int[] randomSpan(SplittableRandom rng, Geometry g) {
        int plane = g.outH() * g.outW();
        int total = g.n() * plane;
        boolean whole = rng.nextBoolean();
        int j0 = whole ? rng.nextInt(g.n()) * plane : rng.nextInt(total);
        int cw = whole ? (1 + rng.nextInt(g.n() - j0 / plane)) * plane : 1 + rng.nextInt(total - j0);
        return new int[] {j0, cw};
    }

    /** A random geometry: kernels up to 5 x 5, unit strides half the time, dilation, "same" padding a third of the time. */
    private static Geometry randomGeometry(SplittableRandom rng) {
        int groups = 1 + rng.nextInt(2);
        int kh = 1 + rng.nextInt(5);
        int kw = 1 + rng.nextInt(5);
        boolean unit = rng.nextBoolean();
        int sh = unit ? 1 : 1 + rng.nextInt(3);
        int sw = unit ? 1 : 1 + rng.nextInt(3);
        int dh = 1 + rng.nextInt(2);
        int dw = 1 + rng.nextInt(2);
        // a third of the time "same" padding where the extent allows it: output rows as wide as input rows
        boolean same = rng.nextInt(3) == 0 && dh * (kh - 1) % 2 == 0 && dw * (kw - 1) % 2 == 0;
        int ph = same ? dh * (kh - 1) / 2 : rng.nextInt(dh * (kh - 1) + 3);
        int pw = same ? dw * (kw - 1) / 2 : rng.nextInt(dw * (kw - 1) + 3);
        // at least one output position: h + 2 ph >= the kernel's extent
        int h = Math.max(1, dh * (kh - 1) + 1 - 2 * ph) + rng.nextInt(6);
        int w = Math.max(1, dw * (kw - 1) + 1 - 2 * pw) + rng.nextInt(6);
        return new Geometry(1 + rng.nextInt(3), groups * (1 + rng.nextInt(3)), h, w, groups * (1 + rng.nextInt(3)), kh, kw,
                sh, sw, ph, pw, dh, dw, groups);
    }

    @Test
    void smallBudgetsSplitTheColumnsAnywhere() {
        Geometry[] geometries = {
            new Geometry(3, 2, 5, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new Geometry(2, 4, 6, 5, 6, 2, 3, 2, 1, 0, 2, 2, 1, 2),
            new Geometry(2, 3, 7, 7, 3, 3, 1, 2, 3, 1, 0, 1, 2, 3),
            new Geometry(1, 1, 1, 9, 2, 1, 4, 1, 2, 0, 1, 1, 1, 1),
            // unit strides, whole images at once: valid (output rows narrower than input rows) ...
            new Geometry(3, 2, 6, 7, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1),
            // ... and padding wider than the input, whole window columns in it
            new Geometry(2, 2, 4, 1, 2, 5, 5, 1, 1, 2, 2, 1, 1, 1),
            new Geometry(2, 1, 3, 2, 2, 7, 7, 1, 1, 3, 3, 1, 1, 1),
        };
        long seed = 1;
        for (Geometry g : geometries) {
            for (int budget : new int[] {1, 40, 97, 500, ConvKernels.SCRATCH_BUDGET}) {
                check(g, budget, seed++);
            }
        }
    }

    @Test
    void aStridedGradientGivesTheBitsOfItsContiguousCopy() {
        Geometry g = new Geometry(3, 4, 9, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        SplittableRandom rng = new SplittableRandom(7);
        NDArray x = NDArray.wrap(random(rng, g.n() * g.c() * g.h() * g.w()), g.inputShape());
        NDArray w = NDArray.wrap(random(rng, g.o() * g.c() / g.groups() * g.kh() * g.kw()), g.weightShape());
        int[] out = g.outputShape();
        // the gradient of a sum (one value broadcast), and a view with the spatial axes swapped
        NDArray one = NDArray.wrap(new double[] {0.375}, new int[] {1, 1, 1, 1});
        NDArray swappedBase = NDArray.wrap(random(rng, Shapes.size(out)), new int[] {out[0], out[1], out[3], out[2]});
        for (int budget : new int[] {40, 500, ConvKernels.SCRATCH_BUDGET}) {
            for (int view = 0; view < 2; view++) {
                for (boolean float32 : new boolean[] {false, true}) {
                    // the views are built in each dtype, so float32 reads a float32 view too
                    NDArray gd = view == 0 ? (float32 ? one.toFloat32() : one).expand(out)
                            : (float32 ? swappedBase.toFloat32() : swappedBase).swapAxes(2, 3);
                    assertFalse(gd.isContiguous(), "a view");
                    NDArray gy = gd;
                    NDArray xd = float32 ? x.toFloat32() : x;
                    NDArray wd = float32 ? w.toFloat32() : w;
                    NDArray copy = gd.contiguous() == gd ? gd : NDArray.wrap(gd.toArray(), out);
                    copy = float32 ? copy.toFloat32() : copy;
                    String what = "budget " + budget + (float32 ? " float32 " : " float64 ") + java.util.Arrays.toString(gy.strides);
                    assertSameBits(ConvKernels.backwardInput(copy, wd, g, budget), ConvKernels.backwardInput(gd, wd, g, budget),
                            what + " input gradient");
                    assertSameBits(ConvKernels.backwardWeight(xd, copy, g, budget), ConvKernels.backwardWeight(xd, gd, g, budget),
                            what + " weight gradient");
                }
            }
        }
    }

    private static void assertSameBits(NDArray expected, NDArray actual, String what) {
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Double.doubleToRawLongBits(e[i]) == Double.doubleToRawLongBits(a[i]), what + " at " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    @Test
    void anEmptyBatchGivesEmptyResultsAndAZeroWeightGradient() {
        for (Geometry g : new Geometry[] {
            new Geometry(0, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1), new Geometry(0, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1)}) {
            NDArray x = NDArray.wrap(new double[0], g.inputShape());
            NDArray w = NDArray.wrap(random(new SplittableRandom(3), g.o() * g.c() * g.kh() * g.kw()), g.weightShape());
            NDArray gy = NDArray.wrap(new double[0], g.outputShape());
            assertTrue(ConvKernels.conv2d(x, w, null, g).size == 0, g + ": forward");
            assertTrue(ConvKernels.backwardInput(gy, w, g).size == 0, g + ": input gradient");
            for (double v : ConvKernels.backwardWeight(x, gy, g).toArray()) {
                assertTrue(v == 0.0, g + ": weight gradient");
            }
        }
    }

    /**
     * Output planes of at least {@code ConvLoops.DIRECT_PLANE} go from each image's product straight
     * into the output, the bias added there: bit for bit what the scratch-and-copy path gives, with
     * and without a bias, one group and two, both dtypes, and against the definition. Products of an
     * image too small for the matrix kernel (the last geometry) keep to the copy path, whose block
     * product is not.
     */
    @Test
    void largePlanesGoStraightIntoTheOutput() {
        Geometry[] geometries = {
            new Geometry(3, 2, 20, 18, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new Geometry(3, 4, 20, 18, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),
            new Geometry(8, 1, 17, 17, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1)};
        for (Geometry g : geometries) {
            assertTrue(g.outH() * g.outW() >= ConvLoops.DIRECT_PLANE, g + " plane");
            check(g, ConvKernels.SCRATCH_BUDGET, 9);
            SplittableRandom rng = new SplittableRandom(8);
            NDArray x = NDArray.wrap(random(rng, g.n() * g.c() * g.h() * g.w()), g.inputShape());
            NDArray w = NDArray.wrap(random(rng, g.o() * g.c() / g.groups() * g.kh() * g.kw()), g.weightShape());
            NDArray b = NDArray.wrap(random(rng, g.o()), new int[] {g.o()});
            for (NDArray bias : new NDArray[] {b, null}) {
                NDArray[] direct = {
                    ConvLoops.conv2d(x, w, bias, g, ConvKernels.SCRATCH_BUDGET),
                    FloatConvLoops.conv2d(x.toFloat32(), w.toFloat32(), bias == null ? null : bias.toFloat32(), g,
                            ConvKernels.SCRATCH_BUDGET)};
                NDArray[] copied = {
                    ConvLoops.conv2d(x, w, bias, g, ConvKernels.SCRATCH_BUDGET, Integer.MAX_VALUE),
                    FloatConvLoops.conv2d(x.toFloat32(), w.toFloat32(), bias == null ? null : bias.toFloat32(), g,
                            ConvKernels.SCRATCH_BUDGET, Integer.MAX_VALUE)};
                for (int d = 0; d < 2; d++) {
                    double[] p = direct[d].toArray();
                    double[] q = copied[d].toArray();
                    for (int i = 0; i < p.length; i++) {
                        assertTrue(Double.doubleToRawLongBits(p[i]) == Double.doubleToRawLongBits(q[i]),
                                g + (bias == null ? " no bias" : " bias") + " dtype " + d + " at " + i + ": " + p[i] + " against " + q[i]);
                    }
                }
            }
        }
    }

    @Test
    void aLargeBatchRunsInChunksOfBoundedScratch() {
        Geometry g = new Geometry(64, 8, 32, 32, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        ConvKernels.Plan plan = ConvKernels.Plan.of(g, ConvKernels.SCRATCH_BUDGET);
        assertTrue(plan.chunk() * (long) (g.c() * g.kh() * g.kw() + g.o()) <= ConvKernels.SCRATCH_BUDGET, "chunk " + plan.chunk());
        assertTrue(plan.blocks() >= 5, plan.blocks() + " blocks");
        check(g, ConvKernels.SCRATCH_BUDGET, 99);
    }
}
