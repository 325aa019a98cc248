package dev.adjoint.core;

import java.util.Arrays;
import java.util.Locale;

/** NumPy-like printing of a tensor: nested brackets, aligned columns, summarised when large. */
final class TensorFormat {
    private static final int SUMMARISE_ABOVE = 1000;
    private static final int EDGE = 3;

    private TensorFormat() {
    }

    static String format(Tensor t) {
        double[] v = t.toArray();
        int[] shape = t.shape();
        boolean summarise = v.length > SUMMARISE_ABOVE;
        boolean scientific = useScientific(v);
        boolean integral = !scientific && allIntegral(v);
        StringBuilder sb = new StringBuilder("tensor(");
        int width = 0;
        for (double d : v) {
            width = Math.max(width, number(d, scientific, integral).length());
        }
        write(sb, v, shape, 0, 0, width, scientific, integral, summarise, "tensor(".length());
        sb.append(", shape=").append(Arrays.toString(shape));
        String state = t.gradState();
        if (!state.isEmpty()) {
            sb.append(", ").append(state);
        }
        return sb.append(')').toString();
    }

    private static void write(StringBuilder sb, double[] v, int[] shape, int axis, int offset, int width,
                              boolean sci, boolean integral, boolean summarise, int indent) {
        if (axis == shape.length) {
            String s = number(v[offset], sci, integral);
            sb.append(" ".repeat(Math.max(0, width - s.length()))).append(s);
            return;
        }
        int stride = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            stride *= shape[i];
        }
        sb.append('[');
        int n = shape[axis];
        for (int i = 0; i < n; i++) {
            if (summarise && n > 2 * EDGE && i == EDGE) {
                sb.append(axis == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + axis + 1));
                i = n - EDGE - 1;
                continue;
            }
            write(sb, v, shape, axis + 1, offset + i * stride, width, sci, integral, summarise, indent);
            if (i < n - 1) {
                sb.append(axis == shape.length - 1 ? ", " : ",\n" + "\n".repeat(Math.max(0, shape.length - axis - 2))
                        + " ".repeat(indent + axis + 1));
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
