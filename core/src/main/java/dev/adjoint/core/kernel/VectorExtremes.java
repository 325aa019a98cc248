package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernel's maximum and minimum of two operands ({@code lanewise(MAX)}, {@code
 * lanewise(MIN)}: {@link Math#max(double, double)}'s rules for NaN and signed zeros), and the
 * positions of a run's first maximum (minimum), a NaN beating every number and
 * the first NaN winning: the position the scalar rule (a running best replaced by a larger, or the
 * first NaN) gives, without its branch per element. Two passes: the largest (smallest) number by
 * compares and blends (NaNs never win them), then the first element equal to it, unless a NaN
 * comes anywhere in the run. Equal values compare equal whatever a zero's sign, so the position is
 * the scalar rule's, which keeps the first of equal values.
 * NOTE: each comparison is written where it is used (a comparison passed as a parameter leaves the
 * loop boxed).
 */
final class VectorExtremes {
    private VectorExtremes() {
    }

    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int FLOAT_LANES = FLOATS.length();

    /** The position of the first maximum (min false) or minimum of a[ao..ao + n), n at least 1. */
    static int firstExtreme(double[] a, int ao, int n, boolean min) {
        int bound = SPECIES.loopBound(n);
        double[] lanes = new double[LANES];
        DoubleVector m = DoubleVector.broadcast(SPECIES, min ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
        java.util.Arrays.fill(lanes, min ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
        if (min) {
            for (int i = 0; i < bound; i += LANES) {
                DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
                m = m.blend(x, x.compare(VectorOperators.LT, m));
                if (i + LANES >= bound) {
                    m.intoArray(lanes, 0);
                }
            }
        } else {
            for (int i = 0; i < bound; i += LANES) {
                DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
                m = m.blend(x, x.compare(VectorOperators.GT, m));
                if (i + LANES >= bound) {
                    m.intoArray(lanes, 0);
                }
            }
        }
        double best = lanes[0];
        for (int k = 1; k < LANES; k++) {
            best = min ? (lanes[k] < best ? lanes[k] : best) : (lanes[k] > best ? lanes[k] : best);
        }
        for (int i = bound; i < n; i++) {
            double x = a[ao + i];
            best = min ? (x < best ? x : best) : (x > best ? x : best);
        }
        // the first element equal to it, or the first NaN anywhere
        DoubleVector b = DoubleVector.broadcast(SPECIES, best);
        int first = -1;
        for (int i = 0; i < bound; i += LANES) {
            DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
            VectorMask<Double> hit = x.compare(VectorOperators.EQ, b).or(x.compare(VectorOperators.NE, x));
            if (hit.anyTrue()) {
                for (int k = i; k < i + LANES; k++) {
                    double v = a[ao + k];
                    if (v != v) {
                        return k;
                    }
                    if (first < 0 && v == best) {
                        first = k;
                    }
                }
            }
        }
        for (int k = bound; k < n; k++) {
            double v = a[ao + k];
            if (v != v) {
                return k;
            }
            if (first < 0 && v == best) {
                first = k;
            }
        }
        return first;
    }

    /** {@link #firstExtreme(double[], int, int, boolean)} of floats. */
    static int firstExtreme(float[] a, int ao, int n, boolean min) {
        int bound = FLOATS.loopBound(n);
        float[] lanes = new float[FLOAT_LANES];
        FloatVector m = FloatVector.broadcast(FLOATS, min ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(lanes, min ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY);
        if (min) {
            for (int i = 0; i < bound; i += FLOAT_LANES) {
                FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
                m = m.blend(x, x.compare(VectorOperators.LT, m));
                if (i + FLOAT_LANES >= bound) {
                    m.intoArray(lanes, 0);
                }
            }
        } else {
            for (int i = 0; i < bound; i += FLOAT_LANES) {
                FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
                m = m.blend(x, x.compare(VectorOperators.GT, m));
                if (i + FLOAT_LANES >= bound) {
                    m.intoArray(lanes, 0);
                }
            }
        }
        float best = lanes[0];
        for (int k = 1; k < FLOAT_LANES; k++) {
            best = min ? (lanes[k] < best ? lanes[k] : best) : (lanes[k] > best ? lanes[k] : best);
        }
        for (int i = bound; i < n; i++) {
            float x = a[ao + i];
            best = min ? (x < best ? x : best) : (x > best ? x : best);
        }
        FloatVector b = FloatVector.broadcast(FLOATS, best);
        int first = -1;
        for (int i = 0; i < bound; i += FLOAT_LANES) {
            FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
            VectorMask<Float> hit = x.compare(VectorOperators.EQ, b).or(x.compare(VectorOperators.NE, x));
            if (hit.anyTrue()) {
                for (int k = i; k < i + FLOAT_LANES; k++) {
                    float v = a[ao + k];
                    if (v != v) {
                        return k;
                    }
                    if (first < 0 && v == best) {
                        first = k;
                    }
                }
            }
        }
        for (int k = bound; k < n; k++) {
            float v = a[ao + k];
            if (v != v) {
                return k;
            }
            if (first < 0 && v == best) {
                first = k;
            }
        }
        return first;
    }

    /** {@code r[ro + i] = max (min) of a[ao + i] and b[bo + i sb]}, sb 1 or 0 (one value). */
    static void extremum(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n, boolean min) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        if (sb == 0 && bound > 0) {
            DoubleVector y = DoubleVector.broadcast(SPECIES, b[bo]);
            if (min) {
                for (; i < bound; i += LANES) {
                    ((DoubleVector) SPECIES.fromArray(a, ao + i)).lanewise(VectorOperators.MIN, y).intoArray(r, ro + i);
                }
            } else {
                for (; i < bound; i += LANES) {
                    ((DoubleVector) SPECIES.fromArray(a, ao + i)).lanewise(VectorOperators.MAX, y).intoArray(r, ro + i);
                }
            }
        } else if (min && sb == 1) {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).lanewise(VectorOperators.MIN, (DoubleVector) SPECIES.fromArray(b, bo + i))
                        .intoArray(r, ro + i);
            }
        } else if (sb == 1) {
            for (; i < bound; i += LANES) {
                ((DoubleVector) SPECIES.fromArray(a, ao + i)).lanewise(VectorOperators.MAX, (DoubleVector) SPECIES.fromArray(b, bo + i))
                        .intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = min ? Math.min(a[ao + i], b[bo + i * sb]) : Math.max(a[ao + i], b[bo + i * sb]);
        }
    }

    /** {@link #extremum(double[], int, double[], int, int, double[], int, int, boolean)} of floats. */
    static void extremum(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n, boolean min) {
        int i = 0;
        int bound = FLOATS.loopBound(n);
        if (sb == 0 && bound > 0) {
            FloatVector y = FloatVector.broadcast(FLOATS, b[bo]);
            if (min) {
                for (; i < bound; i += FLOAT_LANES) {
                    ((FloatVector) FLOATS.fromArray(a, ao + i)).lanewise(VectorOperators.MIN, y).intoArray(r, ro + i);
                }
            } else {
                for (; i < bound; i += FLOAT_LANES) {
                    ((FloatVector) FLOATS.fromArray(a, ao + i)).lanewise(VectorOperators.MAX, y).intoArray(r, ro + i);
                }
            }
        } else if (min && sb == 1) {
            for (; i < bound; i += FLOAT_LANES) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).lanewise(VectorOperators.MIN, (FloatVector) FLOATS.fromArray(b, bo + i))
                        .intoArray(r, ro + i);
            }
        } else if (sb == 1) {
            for (; i < bound; i += FLOAT_LANES) {
                ((FloatVector) FLOATS.fromArray(a, ao + i)).lanewise(VectorOperators.MAX, (FloatVector) FLOATS.fromArray(b, bo + i))
                        .intoArray(r, ro + i);
            }
        }
        for (; i < n; i++) {
            r[ro + i] = min ? Math.min(a[ao + i], b[bo + i * sb]) : Math.max(a[ao + i], b[bo + i * sb]);
        }
    }
}
