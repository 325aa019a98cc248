package dev.adjoint.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernel's maximum and minimum of two operands ({@code lanewise(MAX)}, {@code
 * lanewise(MIN)}: {@link Math#max(double, double)}'s rules for NaN and signed zeros), and the
 * positions of a run's first maximum (minimum), a NaN beating every number and
 * the first NaN winning: the position the scalar rule (a running best replaced by a larger, or the
 * first NaN) gives, without its branch per element. Two passes: the extreme value by lanewise
 * {@code MAX} ({@code MIN}), four vectors folded into the running one a turn so that the chain
 * through it is one operation in four (NaN if any element is NaN), then the first element equal to
 * it, or the first NaN, stopping there. Equal values compare equal whatever a zero's sign, so the
 * position is the scalar rule's, which keeps the first of equal values.
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
        // the extreme's value, NaN if any element is one: four vectors folded into the running one a turn
        int bound = SPECIES.loopBound(n) & -(4 * LANES);
        double best = min ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        if (bound > 0) {
            double[] lanes = new double[LANES];
            DoubleVector m = DoubleVector.broadcast(SPECIES, best);
            if (min) {
                for (int i = 0; i < bound; i += 4 * LANES) {
                    DoubleVector x0 = (DoubleVector) SPECIES.fromArray(a, ao + i);
                    DoubleVector x1 = (DoubleVector) SPECIES.fromArray(a, ao + i + LANES);
                    DoubleVector x2 = (DoubleVector) SPECIES.fromArray(a, ao + i + 2 * LANES);
                    DoubleVector x3 = (DoubleVector) SPECIES.fromArray(a, ao + i + 3 * LANES);
                    m = x0.lanewise(VectorOperators.MIN, x1).lanewise(VectorOperators.MIN, x2.lanewise(VectorOperators.MIN, x3))
                            .lanewise(VectorOperators.MIN, m);
                    if (i + 4 * LANES >= bound) {
                        m.intoArray(lanes, 0);
                    }
                }
            } else {
                for (int i = 0; i < bound; i += 4 * LANES) {
                    DoubleVector x0 = (DoubleVector) SPECIES.fromArray(a, ao + i);
                    DoubleVector x1 = (DoubleVector) SPECIES.fromArray(a, ao + i + LANES);
                    DoubleVector x2 = (DoubleVector) SPECIES.fromArray(a, ao + i + 2 * LANES);
                    DoubleVector x3 = (DoubleVector) SPECIES.fromArray(a, ao + i + 3 * LANES);
                    m = x0.lanewise(VectorOperators.MAX, x1).lanewise(VectorOperators.MAX, x2.lanewise(VectorOperators.MAX, x3))
                            .lanewise(VectorOperators.MAX, m);
                    if (i + 4 * LANES >= bound) {
                        m.intoArray(lanes, 0);
                    }
                }
            }
            for (double v : lanes) {
                best = min ? Math.min(best, v) : Math.max(best, v);
            }
        }
        for (int i = bound; i < n; i++) {
            best = min ? Math.min(best, a[ao + i]) : Math.max(best, a[ao + i]);
        }
        // the first element equal to it (whatever a zero's sign), or the first NaN
        int vectors = SPECIES.loopBound(n);
        if (best != best) {
            for (int i = 0; i < vectors; i += LANES) {
                DoubleVector x = (DoubleVector) SPECIES.fromArray(a, ao + i);
                if (x.compare(VectorOperators.NE, x).anyTrue()) {
                    return firstNaN(a, ao, i, n);
                }
            }
            return firstNaN(a, ao, vectors, n);
        }
        DoubleVector b = DoubleVector.broadcast(SPECIES, best);
        for (int i = 0; i < vectors; i += LANES) {
            if (((DoubleVector) SPECIES.fromArray(a, ao + i)).compare(VectorOperators.EQ, b).anyTrue()) {
                return firstEqual(a, ao, i, n, best);
            }
        }
        return firstEqual(a, ao, vectors, n, best);
    }

    private static int firstNaN(double[] a, int ao, int from, int n) {
        for (int k = from; k < n; k++) {
            if (a[ao + k] != a[ao + k]) {
                return k;
            }
        }
        return -1;
    }

    private static int firstEqual(double[] a, int ao, int from, int n, double best) {
        for (int k = from; k < n; k++) {
            if (a[ao + k] == best) {
                return k;
            }
        }
        return -1;
    }

    /** {@link #firstExtreme(double[], int, int, boolean)} of floats. */
    static int firstExtreme(float[] a, int ao, int n, boolean min) {
        // the extreme's value, NaN if any element is one: four vectors folded into the running one a turn
        int bound = FLOATS.loopBound(n) & -(4 * FLOAT_LANES);
        float best = min ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            float[] lanes = new float[FLOAT_LANES];
            FloatVector m = FloatVector.broadcast(FLOATS, best);
            if (min) {
                for (int i = 0; i < bound; i += 4 * FLOAT_LANES) {
                    FloatVector x0 = (FloatVector) FLOATS.fromArray(a, ao + i);
                    FloatVector x1 = (FloatVector) FLOATS.fromArray(a, ao + i + FLOAT_LANES);
                    FloatVector x2 = (FloatVector) FLOATS.fromArray(a, ao + i + 2 * FLOAT_LANES);
                    FloatVector x3 = (FloatVector) FLOATS.fromArray(a, ao + i + 3 * FLOAT_LANES);
                    m = x0.lanewise(VectorOperators.MIN, x1).lanewise(VectorOperators.MIN, x2.lanewise(VectorOperators.MIN, x3))
                            .lanewise(VectorOperators.MIN, m);
                    if (i + 4 * FLOAT_LANES >= bound) {
                        m.intoArray(lanes, 0);
                    }
                }
            } else {
                for (int i = 0; i < bound; i += 4 * FLOAT_LANES) {
                    FloatVector x0 = (FloatVector) FLOATS.fromArray(a, ao + i);
                    FloatVector x1 = (FloatVector) FLOATS.fromArray(a, ao + i + FLOAT_LANES);
                    FloatVector x2 = (FloatVector) FLOATS.fromArray(a, ao + i + 2 * FLOAT_LANES);
                    FloatVector x3 = (FloatVector) FLOATS.fromArray(a, ao + i + 3 * FLOAT_LANES);
                    m = x0.lanewise(VectorOperators.MAX, x1).lanewise(VectorOperators.MAX, x2.lanewise(VectorOperators.MAX, x3))
                            .lanewise(VectorOperators.MAX, m);
                    if (i + 4 * FLOAT_LANES >= bound) {
                        m.intoArray(lanes, 0);
                    }
                }
            }
            for (float v : lanes) {
                best = min ? Math.min(best, v) : Math.max(best, v);
            }
        }
        for (int i = bound; i < n; i++) {
            best = min ? Math.min(best, a[ao + i]) : Math.max(best, a[ao + i]);
        }
        // the first element equal to it (whatever a zero's sign), or the first NaN
        int vectors = FLOATS.loopBound(n);
        if (best != best) {
            for (int i = 0; i < vectors; i += FLOAT_LANES) {
                FloatVector x = (FloatVector) FLOATS.fromArray(a, ao + i);
                if (x.compare(VectorOperators.NE, x).anyTrue()) {
                    return firstNaN(a, ao, i, n);
                }
            }
            return firstNaN(a, ao, vectors, n);
        }
        FloatVector b = FloatVector.broadcast(FLOATS, best);
        for (int i = 0; i < vectors; i += FLOAT_LANES) {
            if (((FloatVector) FLOATS.fromArray(a, ao + i)).compare(VectorOperators.EQ, b).anyTrue()) {
                return firstEqual(a, ao, i, n, best);
            }
        }
        return firstEqual(a, ao, vectors, n, best);
    }

    private static int firstNaN(float[] a, int ao, int from, int n) {
        for (int k = from; k < n; k++) {
            if (a[ao + k] != a[ao + k]) {
                return k;
            }
        }
        return -1;
    }

    private static int firstEqual(float[] a, int ao, int from, int n, float best) {
        for (int k = from; k < n; k++) {
            if (a[ao + k] == best) {
                return k;
            }
        }
        return -1;
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
