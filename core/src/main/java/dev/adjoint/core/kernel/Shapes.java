package dev.adjoint.core.kernel;

import java.math.BigInteger;
import java.util.Arrays;

/** Shape arithmetic shared by ops and kernels: sizes, strides, broadcasting, axis checks. */
public final class Shapes {
    /** The shape and the strides of every rank-0 array: such arrays are never modified, so one serves all. */
    static final int[] NONE = new int[0];
    private static final int[] UNIT_STRIDE = {1};
    /** {n, 1}, the strides of a contiguous [m, n] matrix, shared for n below this table's length. */
    private static final int[][] MATRIX_STRIDES = new int[1024][];

    static {
        for (int n = 0; n < MATRIX_STRIDES.length; n++) {
            MATRIX_STRIDES[n] = new int[] {n, 1};
        }
    }

    private Shapes() {
    }

    /** Whether two shapes are equal; a plain loop, cheaper than Arrays.equals for a few axes. */
    public static boolean same(int[] a, int[] b) {
        if (a == b) {
            return true; // results of kernels share their operand's shape array
        }
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The most elements a shape may have: the longest {@code double[]} every JVM can allocate
     * ({@code Integer.MAX_VALUE - 8}, the soft limit of the JDK's own growable arrays; HotSpot
     * refuses a few lengths above it whatever the heap). Views are held to the same bound although
     * they allocate nothing: a view's gradient has the view's shape, and {@code toArray} and every
     * op that reads it materialise it.
     */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /**
     * The number of elements of a shape of non-negative dimensions; 1 for rank 0.
     *
     * @throws IllegalArgumentException if it exceeds {@link #MAX_ELEMENTS}
     */
    public static int size(int[] shape) {
        long n = count(shape);
        if (n > MAX_ELEMENTS) {
            throw new IllegalArgumentException(tooLarge(shape));
        }
        return (int) n;
    }

    /**
     * The element count of a shape of non-negative dimensions, computed in {@code long}: exact up to
     * {@link #MAX_ELEMENTS}; above it, some value above it (the product stops growing there, so it
     * never wraps, even for counts beyond a {@code long}).
     */
    public static long count(int[] shape) {
        for (int d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        long n = 1;
        for (int d : shape) {
            // a running product at most MAX_ELEMENTS times a dimension below 2^31 cannot wrap a long
            n *= d;
            if (n > MAX_ELEMENTS) {
                return n;
            }
        }
        return n;
    }

    /** Whether a shape of non-negative dimensions has at most {@link #MAX_ELEMENTS} elements. */
    public static boolean fits(int[] shape) {
        return count(shape) <= MAX_ELEMENTS;
    }

    /**
     * "shape [..] has N elements, more than the M a Java array can hold", N exact however large: the
     * end of every message that refuses a shape for its size.
     */
    public static String tooLarge(int[] shape) {
        BigInteger n = BigInteger.ONE;
        for (int d : shape) {
            n = n.multiply(BigInteger.valueOf(d));
        }
        return "shape " + Arrays.toString(shape) + " has " + n + " elements, more than the " + MAX_ELEMENTS
                + " a Java array can hold";
    }

    /** Row-major strides for a contiguous array of this shape. */
    public static int[] contiguousStrides(int[] shape) {
        // Stride arrays are never modified, so the common small ranks share constants.
        if (shape.length == 0) {
            return NONE;
        }
        if (shape.length == 1) {
            return UNIT_STRIDE;
        }
        if (shape.length == 2 && shape[1] >= 0 && shape[1] < MATRIX_STRIDES.length) {
            return MATRIX_STRIDES[shape[1]];
        }
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /**
     * Throws unless every dimension is non-negative and the element count is at most
     * {@link #MAX_ELEMENTS}; {@code op} names the caller.
     */
    public static int[] checkShape(String op, int[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException(op + ": shape is null");
        }
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": negative dimension " + d + " in shape " + Arrays.toString(shape));
            }
        }
        if (!fits(shape)) {
            throw new IllegalArgumentException(op + ": " + tooLarge(shape));
        }
        return shape;
    }

    /**
     * The NumPy broadcast of two shapes, or an exception naming {@code op} and both shapes when they
     * do not broadcast or their broadcast has more than {@link #MAX_ELEMENTS} elements.
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int[] out = broadcastAxes(op, a, b);
        if (!fits(out)) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b)
                    + ": the broadcast " + tooLarge(out));
        }
        return out;
    }

    /**
     * The NumPy broadcast of two shapes whatever its element count (batch axes, whose count the caller
     * checks together with the axes that follow them), or an exception naming {@code op} and both
     * shapes when they do not broadcast.
     */
    public static int[] broadcastAxes(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new IllegalArgumentException(op + ": cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b));
            }
        }
        return out;
    }

    /** Whether {@code from} can be expanded to {@code to} by NumPy rules. */
    public static boolean canExpand(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        int lead = to.length - from.length;
        for (int i = 0; i < from.length; i++) {
            if (from[i] != to[lead + i] && from[i] != 1) {
                return false;
            }
        }
        return true;
    }

    /** Normalises a possibly negative axis for an array of rank {@code rank}. */
    public static int axis(String op, int axis, int rank) {
        if (axis < -rank || axis >= rank || rank == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for rank " + rank
                    + (rank == 0 ? " (a scalar has no axes)" : " (valid: " + -rank + " to " + (rank - 1) + ")"));
        }
        return axis < 0 ? axis + rank : axis;
    }

    /** The shape with {@code axis} set to 1 (keepDim) or removed. */
    public static int[] reduced(int[] shape, int axis, boolean keepDim) {
        if (keepDim) {
            int[] s = shape.clone();
            s[axis] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != axis) {
                s[j++] = shape[i];
            }
        }
        return s;
    }
}
