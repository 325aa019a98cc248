package dev.adjoint.core;

import dev.adjoint.core.kernel.NDArray;
import java.util.Arrays;
import java.util.Locale;

/** NumPy-like printing of a tensor: nested brackets, aligned columns, summarised when large. */
final class TensorFormat {
    private static final int SUMMARISE_ABOVE = 1000;
    private static final int EDGE = 3;

    private TensorFormat() {
    }

    /**
     * Formats a tensor. Above {@value #SUMMARISE_ABOVE} elements every axis longer than
     * {@code 2 * EDGE} shows its first and last {@value #EDGE} positions around {@code ...}, as
     * NumPy and PyTorch print; only the elements shown are read (a broadcast view is never
     * materialised) and they alone decide the number format. A tensor whose memory went back with
     * its {@link MemoryScope} prints as released, with its shape (a debugger calls this).
     */
    static String format(Tensor t) {
        if (t.released()) {
            return "tensor(released by its MemoryScope, shape=" + Arrays.toString(t.shape()) + ", dtype=" + t.dtype() + ")";
        }
        NDArray value = t.value();
        int[] shape = value.shape();
        boolean summarise = value.size() > SUMMARISE_ABOVE;
        int[][] shown = new int[shape.length][];
        for (int axis = 0; axis < shape.length; axis++) {
            shown[axis] = shownPositions(shape[axis], summarise);
        }
        double[] v = shownElements(value, shown);
        boolean scientific = useScientific(v);
        boolean integral = !scientific && allIntegral(v);
        StringBuilder sb = new StringBuilder("tensor(");
        int width = 0;
        for (double d : v) {
            width = Math.max(width, number(d, scientific, integral).length());
        }
        int[] lengths = new int[shape.length];
        for (int axis = 0; axis < shape.length; axis++) {
            lengths[axis] = shown[axis].length;
        }
        write(sb, v, shape, lengths, 0, 0, width, scientific, integral, "tensor(".length());
        sb.append(", shape=").append(Arrays.toString(shape));
        String state = t.gradState();
        if (!state.isEmpty()) {
            sb.append(", ").append(state);
        }
        return sb.append(')').toString();
    }

    /** The positions of one axis that are printed: all, or the first and last EDGE. */
    private static int[] shownPositions(int n, boolean summarise) {
        if (summarise && n > 2 * EDGE) {
            int[] p = new int[2 * EDGE];
            for (int i = 0; i < EDGE; i++) {
                p[i] = i;
                p[EDGE + i] = n - EDGE + i;
            }
            return p;
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** The printed elements, in row-major order over the shown positions, read one by one. */
    private static double[] shownElements(NDArray value, int[][] shown) {
        int count = 1;
        for (int[] positions : shown) {
            count *= positions.length;
        }
        double[] out = new double[count];
        int rank = shown.length;
        int[] counter = new int[rank];
        int[] index = new int[rank];
        for (int k = 0; k < count; k++) {
            for (int axis = 0; axis < rank; axis++) {
                index[axis] = shown[axis][counter[axis]];
            }
            out[k] = value.get(index);
            for (int axis = rank - 1; axis >= 0; axis--) {
                if (++counter[axis] < shown[axis].length) {
                    break;
                }
                counter[axis] = 0;
            }
        }
        return out;
    }

    /**
     * Writes the sub-tensor at {@code offset} of the shown elements {@code v} (row-major over
     * {@code lengths}); where an axis shows fewer positions than {@code shape} has, {@code ...}
     * stands between its first and last EDGE.
     */
    private static void write(StringBuilder sb, double[] v, int[] shape, int[] lengths, int axis, int offset, int width,
                              boolean sci, boolean integral, int indent) {
        if (axis == shape.length) {
            String s = number(v[offset], sci, integral);
            sb.append(" ".repeat(Math.max(0, width - s.length()))).append(s);
            return;
        }
        int stride = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            stride *= lengths[i];
        }
        boolean last = axis == shape.length - 1;
        String separator = last ? ", " : ",\n" + "\n".repeat(Math.max(0, shape.length - axis - 2)) + " ".repeat(indent + axis + 1);
        int n = lengths[axis];
        boolean elided = n < shape[axis];
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (elided && i == EDGE) {
                sb.append(last ? "..., " : "...,\n" + " ".repeat(indent + axis + 1));
            }
            write(sb, v, shape, lengths, axis + 1, offset + i * stride, width, sci, integral, indent);
            if (i < n - 1) {
                sb.append(separator);
            }
        }
        sb.append(']');
    }

    private static boolean useScientific(double[] v) {
        double max = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double d : v) {
            if (Double.isFinite(d) && d != 0) {
                max = Math.max(max, Math.abs(d));
                min = Math.min(min, Math.abs(d));
            }
        }
        return max >= 1e8 || (min < 1e-4) || (max / min > 1e3 && min < 1e-2);
    }

    private static boolean allIntegral(double[] v) {
        for (double d : v) {
            if (Double.isFinite(d) && d != Math.rint(d)) {
                return false;
            }
        }
        return true;
    }

    private static String number(double d, boolean sci, boolean integral) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (integral) {
            return String.format(Locale.ROOT, "%.0f.", d);
        }
        return String.format(Locale.ROOT, sci ? "%.4e" : "%.4f", d);
    }
}
