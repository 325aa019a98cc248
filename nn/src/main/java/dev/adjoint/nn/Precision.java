package dev.adjoint.nn;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The precision advisor: is float32 good enough for this model and this data? It runs one batch
 * through the model in float64 and in float32 side by side and measures, layer by layer, how far
 * the float32 activations and gradients are from the float64 ones, then names where float32 loses
 * too much and why.
 *
 * <pre>{@code
 * Precision.Report r = Precision.compare(model, batch);
 * System.out.println(r);            // a table, one row per layer, and the verdict
 * if (r.safe()) model.to(DType.FLOAT32);
 * }</pre>
 *
 * <p><b>Copies, never the model.</b> Both runs use copies of the model holding its values: a
 * float64 copy (the reference; the model's values widened exactly if it is float32) and a float32
 * copy (the values rounded to float). {@link Sequential}, {@link Linear} and {@link Conv2d} are rebuilt from their
 * values, layers without parameters or buffers are shared (they hold nothing to convert), and
 * {@link Dropout} is the identity in both copies (two random masks would differ by far more than
 * roundoff). Any other layer with parameters needs {@link #compare(Supplier, Layer, Tensor, Function)},
 * whose factory builds the same architecture; its instances are filled by parameter and buffer name.
 * The model's tensors, their gradients and version counters are left exactly as they were.
 *
 * <p><b>What is measured.</b> With {@code a} the float32 result widened and {@code b} the float64
 * one, the error of a tensor is the norm-wise relative error {@code ||a - b||_2 / ||b||_2}
 * (infinite when float32 overflowed to infinity or NaN where float64 is finite). Per layer (the
 * leaves of a {@link Sequential}, nested ones flattened; any other model is one layer) it is taken
 * for the layer's output (activation), for the gradient of the loss with respect to that output,
 * and for the gradient of each of the layer's parameters. The loss is the caller's, or by default
 * {@code mean over the batch of <output, r>} for a fixed standard normal r (drawn in float32 from
 * {@code new SplittableRandom(42)} so both runs use the same r). float32 rounds each value to a
 * relative {@code u = 2^-24 ~ 6e-8}, so a well-conditioned network shows errors of about 1e-7 to
 * 1e-6; a layer is <b>risky</b> when an error exceeds {@link #RISKY_ERROR} or float32 overflows.
 *
 * <p><b>Why.</b> Each layer is examined, on the float64 reference, for the causes of large float32
 * error:
 * <ul>
 *   <li><i>cancellation</i>: for a Linear layer the condition of its sums,
 *       {@code kappa = || |x| |W| + |b| || / || x W + b ||}: the sums of the terms' magnitudes over
 *       the magnitude of the result. Roundoff in the terms is amplified by about kappa, so float32
 *       keeps about {@code 7 - log10(kappa)} digits; named when {@code kappa u} exceeds
 *       {@link #RISKY_ERROR} (inputs offset by 1e6 with small variations, weights that take
 *       differences). For other layers, a relative error that grows by more than
 *       {@value #AMPLIFICATION} times from input to output is named as amplified roundoff;</li>
 *   <li><i>saturation</i>: in a {@link Tanh} or {@link Sigmoid} layer, the share of outputs that
 *       float32 rounds to exactly 1 (or -1, or 0 for sigmoid) where float64 does not; there the
 *       derivative {@code 1 - y^2} or {@code y (1 - y)} becomes exactly 0 in float32 and the
 *       gradient through those units is lost; named above {@value #SATURATED_SHARE} of the
 *       outputs;</li>
 *   <li><i>dynamic range</i>: values beyond float32's range: activations or gradients above
 *       {@value #NEAR_OVERFLOW} (within a factor 1e4 of float32's largest, 3.4e38, or beyond
 *       it), nonzero values below float32's smallest normal 1.2e-38 (which lose digits and then
 *       flush to 0), or an activation whose largest magnitude is more than {@value #HUGE_RANGE}
 *       times its median one (small values vanish when summed with large ones).</li>
 * </ul>
 * A risky layer with no cause of its own inherits its error: from an earlier layer's forward
 * error, or, for gradients, from a later layer's backward pass. The report's
 * {@link Report#toString()} is a table with one row per layer and the verdict.
 */
public final class Precision {
    /** The relative error (norm-wise) above which a layer is risky in float32. */
    public static final double RISKY_ERROR = 1e-4;
    /** How much a layer may amplify relative error before it is named as the cause. */
    public static final double AMPLIFICATION = 1000.0;
    /** The share of saturated outputs of a tanh or sigmoid layer that is named. */
    public static final double SATURATED_SHARE = 0.01;
    /** Magnitudes above this are close to float32's overflow. */
    public static final double NEAR_OVERFLOW = 3.4e34;
    /** The ratio of largest to median magnitude of an activation that is named as a huge dynamic range. */
    public static final double HUGE_RANGE = 1e7;
    /** float32's unit roundoff, 2^-24. */
    static final double UNIT_ROUNDOFF = 0x1p-24;
    private static final long DIRECTION_SEED = 42;

    private Precision() {
    }

    /**
     * Compares float32 with float64 on one batch with the default loss, {@code mean over the batch
     * of <output, r>} for a fixed random r.
     *
     * @param model a Sequential of Linear and parameter-free layers (otherwise use the factory overload)
     * @param input a batch, in either dtype
     * @return the report
     */
    public static Report compare(Layer model, Tensor input) {
        return compare(model, input, null);
    }

    /**
     * Compares float32 with float64 on one batch with the caller's loss.
     *
     * @param model a Sequential of Linear and parameter-free layers (otherwise use the factory overload)
     * @param input a batch, in either dtype
     * @param loss maps the model's output to a scalar; it is called once per dtype, so it must build
     *     its constants and targets in the output's dtype ({@code target.to(out.dtype())}); null
     *     for the default loss
     * @return the report
     */
    public static Report compare(Layer model, Tensor input, Function<Tensor, Tensor> loss) {
        requireModel(model, input);
        return compareCopies(model, PrecisionCopies.copy(model, DType.FLOAT64), PrecisionCopies.copy(model, DType.FLOAT32),
                input, loss);
    }

    /**
     * Compares float32 with float64 on one batch, for a model of any layers: {@code architecture}
     * builds two fresh instances of the model's architecture, which are filled with the model's
     * parameter and buffer values by name (one in float64, one in float32) and compared.
     *
     * @param architecture builds a new instance of the model's architecture (any initial values)
     * @param model the model whose values are compared
     * @param input a batch, in either dtype
     * @param loss maps the output to a scalar, in the output's dtype; null for the default loss
     * @return the report
     */
    public static Report compare(Supplier<? extends Layer> architecture, Layer model, Tensor input, Function<Tensor, Tensor> loss) {
        requireModel(model, input);
        if (architecture == null) {
            throw new IllegalArgumentException("Precision.compare: architecture factory is null");
        }
        return compareCopies(model, PrecisionCopies.fromArchitecture(architecture, model, DType.FLOAT64),
                PrecisionCopies.fromArchitecture(architecture, model, DType.FLOAT32), input, loss);
    }

    private static void requireModel(Layer model, Tensor input) {
        if (model == null) {
            throw new IllegalArgumentException("Precision.compare: model is null");
        }
        if (input == null) {
            throw new IllegalArgumentException("Precision.compare: input is null");
        }
    }

    private static Report compareCopies(Layer model, Layer copy64, Layer copy32, Tensor input, Function<Tensor, Tensor> loss) {
        List<String> names = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        Layers.forEachLeaf(model, "", (path, layer) -> {
            names.add(path.isEmpty() ? "model" : path);
            kinds.add(layer.getClass().getSimpleName());
        });
        Tensor x64 = Tensor.of(input.toArray(), input.shape());
        Tensor x32 = x64.to(DType.FLOAT32);
        Run reference = Run.of(copy64, x64, loss);
        Run single = Run.of(copy32, x32, loss);
        if (reference.layers.size() != names.size() || single.layers.size() != names.size()) {
            throw new IllegalStateException("Precision.compare: the copies have " + reference.layers.size() + " and "
                    + single.layers.size() + " layers, the model " + names.size());
        }
        return PrecisionAnalysis.analyse(names, kinds, reference, single, relativeError(x32.toArray(), x64.toArray()),
                loss == null ? "mean over the batch of <output, r>, r standard normal" : "the caller's loss");
    }

    /**
     * The norm-wise relative error {@code ||a - b|| / ||b||} of {@code a} against the reference
     * {@code b}: 0 when both are 0, infinite when {@code a} is not finite where {@code b} is.
     */
    static double relativeError(double[] a, double[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i]) && Double.isFinite(b[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double d = a[i] - b[i];
            diff += d * d;
            norm += b[i] * b[i];
        }
        if (norm == 0) {
            return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        double e = Math.sqrt(diff / norm);
        return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
    }

    /** One pass through a copy: each leaf layer's input, output and output gradient, and the parameter gradients. */
    static final class Run {
        final List<Layer> layers = new ArrayList<>();
        final List<Tensor> inputs = new ArrayList<>();
        final List<Tensor> outputs = new ArrayList<>();
        final List<double[]> outputGradients = new ArrayList<>();
        /** Per layer, its parameters' gradients by local name (only those that require grad). */
        final List<Map<String, double[]>> parameterGradients = new ArrayList<>();

        static Run of(Layer copy, Tensor x, Function<Tensor, Tensor> loss) {
            Run run = new Run();
            Layers.forEachLeaf(copy, "", (path, layer) -> run.layers.add(layer));
            try (Autograd.Scope on = Autograd.enableGrad()) {
                Tensor h = x.requiresGrad(true);
                for (Layer layer : run.layers) {
                    run.inputs.add(h);
                    h = layer.forward(h);
                    run.outputs.add(h);
                }
                Tensor l = loss != null ? loss.apply(h) : defaultLoss(h);
                if (l == null || l.size() != 1) {
                    throw new IllegalArgumentException("Precision.compare: the loss must be a scalar, got "
                            + (l == null ? "null" : java.util.Arrays.toString(l.shape())));
                }
                List<Tensor> wrt = new ArrayList<>();
                Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Tensor out : run.outputs) {
                    wrt.add(out);
                }
                List<Map<String, Tensor>> params = new ArrayList<>();
                for (Layer layer : run.layers) {
                    Map<String, Tensor> own = new LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> e : layer.namedParameters().entrySet()) {
                        if (e.getValue().requiresGrad() && seen.add(e.getValue())) {
                            own.put(e.getKey(), e.getValue());
                            wrt.add(e.getValue());
                        }
                    }
                    params.add(own);
                }
                List<Tensor> g = l.requiresGrad() ? Autograd.grad(l, wrt, false) : null;
                int k = 0;
                for (Tensor out : run.outputs) {
                    run.outputGradients.add(g == null ? new double[out.size()] : g.get(k).toArray());
                    k++;
                }
                for (Map<String, Tensor> own : params) {
                    Map<String, double[]> grads = new LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> e : own.entrySet()) {
                        grads.put(e.getKey(), g == null ? new double[e.getValue().size()] : g.get(k).toArray());
                        k++;
                    }
                    run.parameterGradients.add(grads);
                }
            }
            return run;
        }

        private static Tensor defaultLoss(Tensor out) {
            Tensor r = Tensor.randn(DType.FLOAT32, new SplittableRandom(DIRECTION_SEED), out.shape()).to(out.dtype());
            int batch = out.rank() >= 2 ? out.dim(0) : 1;
            return out.mul(r).sum().div(batch);
        }
    }

    /**
     * The comparison of one layer.
     *
     * @param name the layer's position in the model ({@code "0"}, {@code "2.1"}), or {@code "model"}
     * @param kind the layer's class name
     * @param activationError the relative error of the layer's output
     * @param outputGradientError the relative error of the loss's gradient with respect to the output
     * @param parameterGradientErrors the relative error of each parameter's gradient, by the parameter's name in the layer
     * @param risky whether float32 loses too much here
     * @param reasons the causes found, in words (empty when there is nothing to say)
     */
    public record LayerComparison(String name, String kind, double activationError, double outputGradientError,
                                  Map<String, Double> parameterGradientErrors, boolean risky, List<String> reasons) {
        /**
         * Makes the record, copying the map and list.
         *
         * @param name the layer's position in the model
         * @param kind the layer's class name
         * @param activationError the relative error of the layer's output
         * @param outputGradientError the relative error of the gradient with respect to the output
         * @param parameterGradientErrors the relative error of each parameter's gradient, by name
         * @param risky whether float32 loses too much here
         * @param reasons the causes found, in words
         */
        public LayerComparison {
            parameterGradientErrors = Collections.unmodifiableMap(new LinkedHashMap<>(parameterGradientErrors));
            reasons = List.copyOf(reasons);
        }

        /**
         * The largest of the layer's errors: activation, output gradient and parameter gradients.
         *
         * @return the error
         */
        public double worstError() {
            double w = Math.max(activationError, outputGradientError);
            for (double e : parameterGradientErrors.values()) {
                w = Math.max(w, e);
            }
            return w;
        }
    }

    /**
     * The outcome of {@link Precision#compare}: one {@link LayerComparison} per layer and the verdict.
     */
    public static final class Report {
        private final List<LayerComparison> layers;
        private final double inputError;
        private final String loss;

        Report(List<LayerComparison> layers, double inputError, String loss) {
            this.layers = List.copyOf(layers);
            this.inputError = inputError;
            this.loss = loss;
        }

        /**
         * Whether no layer is risky: float32 keeps the activations and gradients of this batch
         * within {@link #RISKY_ERROR} of float64's.
         *
         * @return the verdict
         */
        public boolean safe() {
            return layers.stream().noneMatch(LayerComparison::risky);
        }

        /**
         * The layers, in forward order.
         *
         * @return the comparisons
         */
        public List<LayerComparison> layers() {
            return layers;
        }

        /**
         * The layer where float32 loses too much first: the first risky layer with a cause of its
         * own, or else the first risky layer.
         *
         * @return the layer, or null when float32 is safe
         */
        public LayerComparison culprit() {
            for (LayerComparison c : layers) {
                if (c.risky() && c.reasons().stream().noneMatch(PrecisionAnalysis::isInherited)) {
                    return c;
                }
            }
            return layers.stream().filter(LayerComparison::risky).findFirst().orElse(null);
        }

        /**
         * The largest error of any layer (see {@link LayerComparison#worstError()}).
         *
         * @return the error
         */
        public double worstError() {
            return layers.stream().mapToDouble(LayerComparison::worstError).max().orElse(0);
        }

        /**
         * The relative error of the input itself when rounded to float32 (0 for a float32 input).
         *
         * @return the error
         */
        public double inputError() {
            return inputError;
        }

        /**
         * The verdict, the culprit and a table of the errors per layer.
         *
         * @return the text
         */
        @Override
        public String toString() {
            return PrecisionAnalysis.format(this, loss);
        }
    }
}
