package dev.adjoint.core;

import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Ranges;
import dev.adjoint.core.kernel.Shapes;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The bodies of {@link Tensor}'s static factories (arguments checked, values made): the factories
 * themselves, with their contracts, stay on {@code Tensor}, where users look for them.
 */
final class TensorFactories {
    private TensorFactories() {
    }

    static Tensor of(double[] data, int... shape) {
        checkFills(data == null ? -1 : data.length, shape);
        return Tensor.over(NDArray.of(data, shape));
    }

    static Tensor of(float[] data, int... shape) {
        checkFills(data == null ? -1 : data.length, shape);
        return Tensor.over(NDArray.of(data, shape));
    }

    static Tensor of(float[] data) {
        if (data == null) {
            throw new IllegalArgumentException("of: data is null");
        }
        return Tensor.over(NDArray.of(data, new int[] {data.length}));
    }

    static Tensor ofRows(double[] data, int width, int[] rows) {
        checkRows(data == null ? -1 : data.length, width, rows);
        return Tensor.over(NDArray.ofRows(data, width, rows));
    }

    static Tensor ofRows(float[] data, int width, int[] rows) {
        checkRows(data == null ? -1 : data.length, width, rows);
        return Tensor.over(NDArray.ofRows(data, width, rows));
    }

    /** That a table of {@code length} values holds whole rows of {@code width} and each of {@code rows}. */
    private static void checkRows(int length, int width, int[] rows) {
        if (length < 0) {
            throw new IllegalArgumentException("ofRows: data is null");
        }
        if (rows == null) {
            throw new IllegalArgumentException("ofRows: rows is null");
        }
        if (width <= 0 || length % width != 0) {
            throw new IllegalArgumentException("ofRows: " + length + " values are not whole rows of width " + width);
        }
        int count = length / width;
        for (int k = 0; k < rows.length; k++) {
            if (rows[k] < 0 || rows[k] >= count) {
                throw new IllegalArgumentException("ofRows: rows[" + k + "] = " + rows[k] + " is out of range for " + count
                        + " rows of width " + width);
            }
        }
        if ((long) rows.length * width > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ofRows: " + rows.length + " rows of width " + width + " exceed a Java array");
        }
    }

    static Tensor zeros(DType dtype, int... shape) {
        return full(dtype, 0.0, shape);
    }

    static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1.0, shape);
    }

    static Tensor full(DType dtype, double value, int... shape) {
        NDArray v = NDArray.full(value, Shapes.checkShape("full", shape));
        return Tensor.over(in(requireDtype("full", dtype), v));
    }

    static Tensor rand(DType dtype, RandomGenerator rng, int... shape) {
        if (requireDtype("rand", dtype) == DType.FLOAT64) {
            return rand(rng, shape);
        }
        Shapes.checkShape("rand", shape);
        requireRng("rand", rng);
        float[] d = new float[Shapes.size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextFloat();
        }
        return Tensor.over(NDArray.of(d, shape));
    }

    static Tensor randn(DType dtype, RandomGenerator rng, int... shape) {
        Tensor t = randn(rng, shape);
        return requireDtype("randn", dtype) == DType.FLOAT32 ? Tensor.over(in(dtype, t.value())) : t;
    }

    static DType requireDtype(String op, DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException(op + ": dtype is null");
        }
        return dtype;
    }

    static void checkFills(int length, int[] shape) {
        if (length < 0) {
            throw new IllegalArgumentException("of: data is null");
        }
        Shapes.checkShape("of", shape);
        int n = Shapes.size(shape);
        if (length != n) {
            throw new IllegalArgumentException("of: " + length + " values do not fill shape " + Arrays.toString(shape)
                    + " (" + n + " elements)");
        }
    }

    static Tensor scalar(double value) {
        return Tensor.over(NDArray.scalar(value));
    }

    static Tensor zeros(int... shape) {
        return Tensor.over(NDArray.full(0.0, Shapes.checkShape("zeros", shape)));
    }

    static Tensor ones(int... shape) {
        return Tensor.over(NDArray.full(1.0, Shapes.checkShape("ones", shape)));
    }

    static Tensor full(double value, int... shape) {
        return Tensor.over(NDArray.full(value, Shapes.checkShape("full", shape)));
    }

    static Tensor rand(RandomGenerator rng, int... shape) {
        Shapes.checkShape("rand", shape);
        requireRng("rand", rng);
        return Tensor.over(NDArray.generate(rng::nextDouble, shape));
    }

    static Tensor randn(RandomGenerator rng, int... shape) {
        Shapes.checkShape("randn", shape);
        requireRng("randn", rng);
        return Tensor.over(NDArray.generate(rng::nextGaussian, shape));
    }

    static Tensor of(double[] data) {
        if (data == null) {
            throw new IllegalArgumentException("of: data is null");
        }
        return Tensor.over(NDArray.of(data, new int[] {data.length}));
    }

    static Tensor of(double[][] rows) {
        if (rows == null) {
            throw new IllegalArgumentException("of: rows is null");
        }
        int cols = 0;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                throw new IllegalArgumentException("of: row " + i + " is null");
            }
            if (i == 0) {
                cols = rows[0].length;
            } else if (rows[i].length != cols) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values but row 0 has " + cols
                        + " (rows must have equal lengths)");
            }
        }
        int[] shape = Shapes.checkShape("of", new int[] {rows.length, cols});
        double[] data = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, data, i * cols, cols);
        }
        return Tensor.over(NDArray.of(data, shape));
    }

    static Tensor arange(double start, double end, double step) {
        String values = "start " + start + ", end " + end + ", step " + step;
        if (!Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: arguments must be finite (" + values + ")");
        }
        if (step == 0) {
            throw new IllegalArgumentException("arange: step must not be 0 (" + values + ")");
        }
        if (step > 0 ? end < start : end > start) {
            throw new IllegalArgumentException("arange: step has the wrong sign for the range (" + values + ")");
        }
        double n = Math.ceil((end - start) / step);
        if (!(n <= Shapes.MAX_ELEMENTS)) {
            throw new IllegalArgumentException("arange: " + n + " elements exceed the limit of " + Shapes.MAX_ELEMENTS + " (" + values + ")");
        }
        return Tensor.over(Ranges.arange(start, step, (int) n));
    }

    static Tensor linspace(double start, double end, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("linspace: count must be non-negative, got " + count);
        }
        Shapes.checkShape("linspace", new int[] {count});
        return Tensor.over(Ranges.linspace(start, end, count));
    }

    static Tensor eye(int n) {
        Shapes.checkShape("eye", new int[] {n, n});
        return Tensor.over(Ranges.eye(n));
    }

    static void requireRng(String op, RandomGenerator rng) {
        if (rng == null) {
            throw new IllegalArgumentException(op + ": random generator is null");
        }
    }

    /** {@code v} in {@code dtype}: itself if it has it, else a converted copy. */
    static NDArray in(DType dtype, NDArray v) {
        return dtype == DType.FLOAT32 ? v.toFloat32() : v.toFloat64();
    }
}
