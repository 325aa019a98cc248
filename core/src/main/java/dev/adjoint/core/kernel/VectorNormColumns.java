package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NormColumnKernel} on the Vector API, reading x and g and writing y and dx in place. A sum
 * keeps a vector of columns in a register while it walks down the rows (several vectors at once,
 * so that the additions' latency overlaps); the per-element loops go row by row, a vector of
 * columns at a time. Floats are widened as {@link VectorConversions} does (a full float vector
 * read, its lower half converted) and rounded back the same way, each store's upper lanes
 * overwritten by the next store of the row or by the scalar loop that finishes the columns
 * ({@link ScalarNormColumns}), all inside [0, n). Only exact operations, in the scalar loops'
 * order: the same bits.
 */
final class VectorNormColumns implements NormColumnKernel {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Floats of {@link #SPECIES}'s shape, the only float shape (as {@link VectorConversions}). */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int FLOAT_LANES = FLOATS.length();

    /** The columns the double loops cover, in whole vectors: a multiple of LANES. */
    private static int doubleEnd(int n) {
        return n - n % LANES;
    }

    /** The columns the float loops cover: each vector's read of FLOAT_LANES floats stays inside [0, n). */
    private static int floatEnd(int n) {
        return n < FLOAT_LANES ? 0 : ((n - FLOAT_LANES) / LANES + 1) * LANES;
    }

    private static DoubleVector load(double[] a, int at) {
        return (DoubleVector) SPECIES.fromArray(a, at);
    }

    private static DoubleVector widen(float[] a, int at) {
        return (DoubleVector) ((FloatVector) FLOATS.fromArray(a, at)).castShape(SPECIES, 0);
    }

    private static FloatVector narrow(DoubleVector v) {
        return (FloatVector) v.castShape(FLOATS, 0);
    }

    // NOTE: each method below has a float twin after it: the element types differ. A running sum
    // is added to the freshly loaded vector, not the other way round (CONTRIBUTING.md, "Vector
    // API code"), stored in the row loop's last turn (vector code after a loop can be left
    // uncompiled, as in VectorSums; with no rows the scalar loops write the zeros), and its loops
    // sit in a method of their own, mostly too large for C2 to inline into a caller (inlined into a
    // large compile, C2 leaves the sums boxed).

    @Override
    public void sums(double[] x, int xo, int stride, int rows, double[] mean, double[] s, int n) {
        int end = rows == 0 ? 0 : doubleEnd(n);
        if (mean == null) {
            plainSums(x, xo, stride, rows, s, end);
        } else {
            squareSums(x, xo, stride, rows, mean, s, end);
        }
        ScalarNormColumns.sums(x, xo, stride, rows, mean, s, end, n);
    }

    /** The sums of x down columns [0, end), a multiple of LANES; rows above 0. */
    private static void plainSums(double[] x, int xo, int stride, int rows, double[] s, int end) {
        int i = 0;
        for (; i + 4 * LANES <= end; i += 4 * LANES) {
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            DoubleVector a1 = a0;
            DoubleVector a2 = a0;
            DoubleVector a3 = a0;
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                a0 = load(x, at).add(a0);
                a1 = load(x, at + LANES).add(a1);
                a2 = load(x, at + 2 * LANES).add(a2);
                a3 = load(x, at + 3 * LANES).add(a3);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                    a1.intoArray(s, i + LANES);
                    a2.intoArray(s, i + 2 * LANES);
                    a3.intoArray(s, i + 3 * LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                a0 = load(x, at).add(a0);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                }
            }
        }
    }

    /** The sums of the squared differences from the mean down columns [0, end), a multiple of LANES; rows above 0. */
    private static void squareSums(double[] x, int xo, int stride, int rows, double[] mean, double[] s, int end) {
        int i = 0;
        for (; i + 4 * LANES <= end; i += 4 * LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector m1 = load(mean, i + LANES);
            DoubleVector m2 = load(mean, i + 2 * LANES);
            DoubleVector m3 = load(mean, i + 3 * LANES);
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            DoubleVector a1 = a0;
            DoubleVector a2 = a0;
            DoubleVector a3 = a0;
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                DoubleVector v0 = load(x, at).sub(m0);
                DoubleVector v1 = load(x, at + LANES).sub(m1);
                DoubleVector v2 = load(x, at + 2 * LANES).sub(m2);
                DoubleVector v3 = load(x, at + 3 * LANES).sub(m3);
                a0 = v0.mul(v0).add(a0);
                a1 = v1.mul(v1).add(a1);
                a2 = v2.mul(v2).add(a2);
                a3 = v3.mul(v3).add(a3);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                    a1.intoArray(s, i + LANES);
                    a2.intoArray(s, i + 2 * LANES);
                    a3.intoArray(s, i + 3 * LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                DoubleVector v0 = load(x, at).sub(m0);
                a0 = v0.mul(v0).add(a0);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                }
            }
        }
    }

    @Override
    public void sums(float[] x, int xo, int stride, int rows, double[] mean, double[] s, int n) {
        int end = rows == 0 ? 0 : floatEnd(n);
        if (mean == null) {
            plainSums(x, xo, stride, rows, s, end);
        } else {
            squareSums(x, xo, stride, rows, mean, s, end);
        }
        ScalarNormColumns.sums(x, xo, stride, rows, mean, s, end, n);
    }

    /** The sums of x down columns [0, end), a multiple of LANES; rows above 0. */
    private static void plainSums(float[] x, int xo, int stride, int rows, double[] s, int end) {
        int i = 0;
        for (; i + 4 * LANES <= end; i += 4 * LANES) {
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            DoubleVector a1 = a0;
            DoubleVector a2 = a0;
            DoubleVector a3 = a0;
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                a0 = widen(x, at).add(a0);
                a1 = widen(x, at + LANES).add(a1);
                a2 = widen(x, at + 2 * LANES).add(a2);
                a3 = widen(x, at + 3 * LANES).add(a3);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                    a1.intoArray(s, i + LANES);
                    a2.intoArray(s, i + 2 * LANES);
                    a3.intoArray(s, i + 3 * LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                a0 = widen(x, at).add(a0);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                }
            }
        }
    }

    /** The sums of the squared differences from the mean down columns [0, end), a multiple of LANES; rows above 0. */
    private static void squareSums(float[] x, int xo, int stride, int rows, double[] mean, double[] s, int end) {
        int i = 0;
        for (; i + 4 * LANES <= end; i += 4 * LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector m1 = load(mean, i + LANES);
            DoubleVector m2 = load(mean, i + 2 * LANES);
            DoubleVector m3 = load(mean, i + 3 * LANES);
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            DoubleVector a1 = a0;
            DoubleVector a2 = a0;
            DoubleVector a3 = a0;
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                DoubleVector v0 = widen(x, at).sub(m0);
                DoubleVector v1 = widen(x, at + LANES).sub(m1);
                DoubleVector v2 = widen(x, at + 2 * LANES).sub(m2);
                DoubleVector v3 = widen(x, at + 3 * LANES).sub(m3);
                a0 = v0.mul(v0).add(a0);
                a1 = v1.mul(v1).add(a1);
                a2 = v2.mul(v2).add(a2);
                a3 = v3.mul(v3).add(a3);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                    a1.intoArray(s, i + LANES);
                    a2.intoArray(s, i + 2 * LANES);
                    a3.intoArray(s, i + 3 * LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector a0 = DoubleVector.zero(SPECIES);
            for (int k = 0, at = xo + i; k < rows; k++, at += stride) {
                DoubleVector v0 = widen(x, at).sub(m0);
                a0 = v0.mul(v0).add(a0);
                if (k == rows - 1) {
                    a0.intoArray(s, i);
                }
            }
        }
    }

    @Override
    public void normalize(double[] x, int xo, int stride, int rows, double[] mean, double[] rstd, double[] w, double[] b,
            double[] y, int yo, int n) {
        int end = doubleEnd(n);
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int out = yo + k * stride;
            for (int i = 0; i < end; i += LANES) {
                load(x, at + i).sub(load(mean, i)).mul(load(rstd, i)).mul(load(w, i)).add(load(b, i)).intoArray(y, out + i);
            }
        }
        ScalarNormColumns.normalize(x, xo, stride, rows, mean, rstd, w, b, y, yo, end, n);
    }

    @Override
    public void normalize(float[] x, int xo, int stride, int rows, double[] mean, double[] rstd, float[] w, float[] b,
            float[] y, int yo, int n) {
        int end = floatEnd(n);
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int out = yo + k * stride;
            for (int i = 0; i < end; i += LANES) {
                FloatVector v = narrow(widen(x, at + i).sub(load(mean, i)).mul(load(rstd, i)));
                v.mul((FloatVector) FLOATS.fromArray(w, i)).add((FloatVector) FLOATS.fromArray(b, i)).intoArray(y, out + i);
            }
        }
        ScalarNormColumns.normalize(x, xo, stride, rows, mean, rstd, w, b, y, yo, end, n);
    }

    @Override
    public void gradientSums(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n) {
        int end = rows == 0 ? 0 : doubleEnd(n);
        vectorGradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, end);
        ScalarNormColumns.gradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, end, n);
    }

    /** The gradient's sums down columns [0, end), a multiple of LANES; rows above 0. */
    private static void vectorGradientSums(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean,
            double[] rstd, double[] sg, double[] sgx, int end) {
        int i = 0;
        for (; i + 2 * LANES <= end; i += 2 * LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector m1 = load(mean, i + LANES);
            DoubleVector r0 = load(rstd, i);
            DoubleVector r1 = load(rstd, i + LANES);
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            DoubleVector s1 = s0;
            DoubleVector t0 = s0;
            DoubleVector t1 = s0;
            for (int k = 0, at = xo + i, gat = go + i; k < rows; k++, at += stride, gat += stride) {
                DoubleVector g0 = load(g, gat);
                DoubleVector g1 = load(g, gat + LANES);
                s0 = g0.add(s0);
                s1 = g1.add(s1);
                t0 = g0.mul(load(x, at).sub(m0).mul(r0)).add(t0);
                t1 = g1.mul(load(x, at + LANES).sub(m1).mul(r1)).add(t1);
                if (k == rows - 1) {
                    s0.intoArray(sg, i);
                    s1.intoArray(sg, i + LANES);
                    t0.intoArray(sgx, i);
                    t1.intoArray(sgx, i + LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector r0 = load(rstd, i);
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            DoubleVector t0 = s0;
            for (int k = 0, at = xo + i, gat = go + i; k < rows; k++, at += stride, gat += stride) {
                DoubleVector g0 = load(g, gat);
                s0 = g0.add(s0);
                t0 = g0.mul(load(x, at).sub(m0).mul(r0)).add(t0);
                if (k == rows - 1) {
                    s0.intoArray(sg, i);
                    t0.intoArray(sgx, i);
                }
            }
        }
    }

    @Override
    public void gradientSums(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] sg, double[] sgx, int n) {
        int end = rows == 0 ? 0 : floatEnd(n);
        vectorGradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, end);
        ScalarNormColumns.gradientSums(g, go, x, xo, stride, rows, mean, rstd, sg, sgx, end, n);
    }

    /** The gradient's sums down columns [0, end), a multiple of LANES; rows above 0. */
    private static void vectorGradientSums(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean,
            double[] rstd, double[] sg, double[] sgx, int end) {
        int i = 0;
        for (; i + 2 * LANES <= end; i += 2 * LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector m1 = load(mean, i + LANES);
            DoubleVector r0 = load(rstd, i);
            DoubleVector r1 = load(rstd, i + LANES);
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            DoubleVector s1 = s0;
            DoubleVector t0 = s0;
            DoubleVector t1 = s0;
            for (int k = 0, at = xo + i, gat = go + i; k < rows; k++, at += stride, gat += stride) {
                DoubleVector g0 = widen(g, gat);
                DoubleVector g1 = widen(g, gat + LANES);
                s0 = g0.add(s0);
                s1 = g1.add(s1);
                t0 = g0.mul(widen(x, at).sub(m0).mul(r0)).add(t0);
                t1 = g1.mul(widen(x, at + LANES).sub(m1).mul(r1)).add(t1);
                if (k == rows - 1) {
                    s0.intoArray(sg, i);
                    s1.intoArray(sg, i + LANES);
                    t0.intoArray(sgx, i);
                    t1.intoArray(sgx, i + LANES);
                }
            }
        }
        for (; i < end; i += LANES) {
            DoubleVector m0 = load(mean, i);
            DoubleVector r0 = load(rstd, i);
            DoubleVector s0 = DoubleVector.zero(SPECIES);
            DoubleVector t0 = s0;
            for (int k = 0, at = xo + i, gat = go + i; k < rows; k++, at += stride, gat += stride) {
                DoubleVector g0 = widen(g, gat);
                s0 = g0.add(s0);
                t0 = g0.mul(widen(x, at).sub(m0).mul(r0)).add(t0);
                if (k == rows - 1) {
                    s0.intoArray(sg, i);
                    t0.intoArray(sgx, i);
                }
            }
        }
    }

    @Override
    public void gradient(double[] g, int go, double[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, double[] w, double[] dx, int dxo, int n) {
        int end = doubleEnd(n);
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            int out = dxo + k * stride;
            for (int i = 0; i < end; i += LANES) {
                DoubleVector r = load(rstd, i);
                DoubleVector xh = load(x, at + i).sub(load(mean, i)).mul(r);
                r.mul(load(g, gat + i).sub(load(mg, i)).sub(xh.mul(load(mgx, i)))).mul(load(w, i)).intoArray(dx, out + i);
            }
        }
        ScalarNormColumns.gradient(g, go, x, xo, stride, rows, mean, rstd, mg, mgx, w, dx, dxo, end, n);
    }

    @Override
    public void gradient(float[] g, int go, float[] x, int xo, int stride, int rows, double[] mean, double[] rstd,
            double[] mg, double[] mgx, float[] w, float[] dx, int dxo, int n) {
        int end = floatEnd(n);
        for (int k = 0; k < rows; k++) {
            int at = xo + k * stride;
            int gat = go + k * stride;
            int out = dxo + k * stride;
            for (int i = 0; i < end; i += LANES) {
                DoubleVector r = load(rstd, i);
                DoubleVector xh = widen(x, at + i).sub(load(mean, i)).mul(r);
                FloatVector v = narrow(r.mul(widen(g, gat + i).sub(load(mg, i)).sub(xh.mul(load(mgx, i)))));
                v.mul((FloatVector) FLOATS.fromArray(w, i)).intoArray(dx, out + i);
            }
        }
        ScalarNormColumns.gradient(g, go, x, xo, stride, rows, mean, rstd, mg, mgx, w, dx, dxo, end, n);
    }
}
