package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Copies of a model in one dtype for {@link Precision}: the user's model is never converted, run or
 * otherwise touched beyond reading its parameters' and buffers' values.
 */
final class PrecisionCopies {
    private PrecisionCopies() {
    }

    /**
     * A copy of {@code source} whose parameters and buffers hold its values in {@code dtype}:
     * a {@link Sequential} is copied child by child, a {@link Linear} is rebuilt, a {@link Dropout}
     * becomes the identity (random masks would differ between the two runs and hide the roundoff),
     * and a layer without parameters or buffers is shared, as it holds no values to convert.
     *
     * @throws IllegalArgumentException for any other layer with parameters or buffers
     */
    static Layer copy(Layer source, DType dtype) {
        if (source instanceof Sequential s) {
            List<Layer> children = new ArrayList<>();
            for (Layer child : s.layers()) {
                children.add(copy(child, dtype));
            }
            return new Sequential(children.toArray(new Layer[0]));
        }
        if (source instanceof Dropout) {
            return new Identity();
        }
        if (source instanceof Linear l) {
            return fill(new Linear(l.inFeatures(), l.outFeatures(), Init.constant(0)), source, dtype);
        }
        if (source instanceof Conv2d c) {
            return fill(new Conv2d(c.inChannels(), c.outChannels(), c.kernelSize(), c.stride(), c.padding(), Init.constant(0)),
                    source, dtype);
        }
        if (source.namedParameters().isEmpty() && source.namedBuffers().isEmpty()) {
            return source;
        }
        throw new IllegalArgumentException("Precision.compare: cannot copy a " + source.getClass().getSimpleName()
                + " (it has parameters or buffers, and only Sequential, Linear and Conv2d are rebuilt from their values); pass a"
                + " factory that builds the same architecture: Precision.compare(() -> new ..., model, input, loss)");
    }

    /**
     * A fresh instance from {@code architecture}, filled with {@code source}'s values in
     * {@code dtype} and in evaluation mode (no dropout: random masks would hide the roundoff).
     */
    static Layer fromArchitecture(Supplier<? extends Layer> architecture, Layer source, DType dtype) {
        Layer fresh = architecture.get();
        if (fresh == null) {
            throw new IllegalArgumentException("Precision.compare: the architecture factory returned null");
        }
        if (fresh == source) {
            throw new IllegalArgumentException("Precision.compare: the architecture factory returned the model itself;"
                    + " it must build a new instance, which Precision fills with the model's values");
        }
        fresh.train(false);
        return fill(fresh, source, dtype);
    }

    /** Sets {@code fresh}'s parameters and buffers, by name, to {@code source}'s values in {@code dtype}. */
    private static Layer fill(Layer fresh, Layer source, DType dtype) {
        copyValues(fresh.namedParameters(), source.namedParameters(), "parameter", dtype);
        copyValues(fresh.namedBuffers(), source.namedBuffers(), "buffer", dtype);
        return fresh;
    }

    private static void copyValues(Map<String, Tensor> to, Map<String, Tensor> from, String what, DType dtype) {
        if (!to.keySet().equals(from.keySet())) {
            throw new IllegalArgumentException("Precision.compare: the copy's " + what + "s " + to.keySet()
                    + " differ from the model's " + from.keySet() + "; the factory must build the model's architecture");
        }
        for (Map.Entry<String, Tensor> e : from.entrySet()) {
            Tensor src = e.getValue();
            Tensor dst = to.get(e.getKey());
            if (!Arrays.equals(src.shape(), dst.shape())) {
                throw new IllegalArgumentException("Precision.compare: " + what + " " + e.getKey() + " has shape "
                        + Arrays.toString(src.shape()) + " in the model but " + Arrays.toString(dst.shape()) + " in the copy");
            }
            double[] values = src.toArray();
            // Widen first so the float64 copy holds the source's values exactly, whatever dtype the factory made.
            dst.setDtype(DType.FLOAT64);
            dst.modify(d -> System.arraycopy(values, 0, d, 0, values.length));
            dst.setDtype(dtype);
            dst.requiresGrad(src.requiresGrad());
        }
    }

    /** What a dropout layer becomes in the copies. */
    static final class Identity implements Layer {
        @Override
        public Tensor forward(Tensor x) {
            return x;
        }

        @Override
        public List<Tensor> parameters() {
            return List.of();
        }

        @Override
        public String toString() {
            return "Identity()";
        }
    }
}
