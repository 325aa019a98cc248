package dev.adjoint.nn;

import static dev.adjoint.nn.Precision.AMPLIFICATION;
import static dev.adjoint.nn.Precision.HUGE_RANGE;
import static dev.adjoint.nn.Precision.NEAR_OVERFLOW;
import static dev.adjoint.nn.Precision.RISKY_ERROR;
import static dev.adjoint.nn.Precision.SATURATED_SHARE;
import static dev.adjoint.nn.Precision.UNIT_ROUNDOFF;
import static dev.adjoint.nn.Precision.relativeError;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The per-layer errors, their causes and the report's text, for {@link Precision}. */
final class PrecisionAnalysis {
    private static final String INHERITS = "inherits ";

    private PrecisionAnalysis() {
    }

    static boolean isInherited(String reason) {
        return reason.startsWith(INHERITS);
    }

    static Precision.Report analyse(List<String> names, List<String> kinds, Precision.Run reference, Precision.Run single,
                                    double inputError, String loss) {
        int n = names.size();
        double[] activation = new double[n];
        double[] outputGradient = new double[n];
        List<Map<String, Double>> parameters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            activation[i] = relativeError(single.outputs.get(i).toArray(), reference.outputs.get(i).toArray());
            outputGradient[i] = relativeError(single.outputGradients.get(i), reference.outputGradients.get(i));
            Map<String, Double> p = new LinkedHashMap<>();
            for (Map.Entry<String, double[]> e : reference.parameterGradients.get(i).entrySet()) {
                p.put(e.getKey(), relativeError(single.parameterGradients.get(i).get(e.getKey()), e.getValue()));
            }
            parameters.add(p);
        }
        List<Precision.LayerComparison> layers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double inErr = i == 0 ? inputError : activation[i - 1];
            // The gradient this layer passes back is the previous layer's output gradient.
            double passedBack = i == 0 ? 0 : outputGradient[i - 1];
            List<String> reasons = causes(i, reference, single, activation[i], inErr, outputGradient[i], passedBack);
            boolean overflow = reasons.stream().anyMatch(r -> r.startsWith("overflow"));
            double worst = Math.max(Math.max(activation[i], outputGradient[i]), passedBack);
            for (double e : parameters.get(i).values()) {
                worst = Math.max(worst, e);
            }
            boolean risky = overflow || worst > RISKY_ERROR;
            if (risky && reasons.isEmpty()) {
                reasons.add(inherited(i, names, activation, outputGradient, parameters.get(i), inputError));
            }
            layers.add(new Precision.LayerComparison(names.get(i), kinds.get(i), activation[i], outputGradient[i],
                    parameters.get(i), risky, reasons));
        }
        return new Precision.Report(layers, inputError, loss);
    }

    /** The causes of float32 error found in layer {@code i} itself, measured on the float64 reference. */
    private static List<String> causes(int i, Precision.Run reference, Precision.Run single, double actErr, double inErr,
                                       double gradErr, double passedBack) {
        List<String> reasons = new ArrayList<>();
        Layer layer = reference.layers.get(i);
        double[] y64 = reference.outputs.get(i).toArray();
        double[] y32 = single.outputs.get(i).toArray();
        range("activations", y64, y32, reasons);
        if (i > 0) {
            // The previous layer's output gradient is what this layer's backward pass produces.
            range("gradients passed back to the input", reference.outputGradients.get(i - 1), single.outputGradients.get(i - 1),
                    reasons);
        }
        for (Map.Entry<String, double[]> e : reference.parameterGradients.get(i).entrySet()) {
            range("gradients of " + e.getKey(), e.getValue(), single.parameterGradients.get(i).get(e.getKey()), reasons);
        }
        double spread = spread(y64);
        if (spread > HUGE_RANGE) {
            reasons.add(String.format(Locale.ROOT, "huge dynamic range: the largest |activation| is %.1e times the median one;"
                    + " small values are lost when summed with large ones (float32 keeps about 7 digits)", spread));
        }
        if (layer instanceof Linear linear) {
            double kappa = condition(linear, reference.inputs.get(i), y64);
            if (kappa * UNIT_ROUNDOFF > RISKY_ERROR) {
                reasons.add(String.format(Locale.ROOT, "cancellation: the layer's sums cancel (condition %.1e: the terms'"
                        + " magnitudes add up to %.1e times the result), so float32 keeps about %d of its 7 digits", kappa, kappa,
                        Math.max(0, (int) Math.floor(7.2 - Math.log10(kappa)))));
            }
        } else if (actErr > RISKY_ERROR && actErr > AMPLIFICATION * Math.max(inErr, UNIT_ROUNDOFF)) {
            reasons.add(String.format(Locale.ROOT, "amplified roundoff: the relative error grows %.1e-fold through this layer"
                    + " (cancellation or an ill-conditioned operation)", actErr / Math.max(inErr, UNIT_ROUNDOFF)));
        }
        double saturated = saturatedShare(layer, y64, y32);
        if (saturated > SATURATED_SHARE) {
            String derivative = layer instanceof Tanh ? "1 - y^2" : "y (1 - y)";
            reasons.add(String.format(Locale.ROOT, "saturation: %.0f%% of the outputs round to exactly %s in float32 (inputs in"
                    + " the flat region), where the derivative %s is exactly 0: the gradient through them is lost",
                    100 * saturated, layer instanceof Tanh ? "+-1" : "0 or 1", derivative));
        } else if (inErr <= RISKY_ERROR && Double.isFinite(passedBack) && passedBack > RISKY_ERROR && passedBack > AMPLIFICATION * Math.max(gradErr, UNIT_ROUNDOFF)) {
            // With an accurate input, the error of the gradient passed back is this layer's backward pass's own.
            reasons.add(String.format(Locale.ROOT, "amplified roundoff in the backward pass: the gradient's relative error grows"
                    + " %.1e-fold through this layer", passedBack / Math.max(gradErr, UNIT_ROUNDOFF)));
        }
        return reasons;
    }

    /** Overflow and underflow of {@code what}: float64 values beyond float32's range. */
    private static void range(String what, double[] v64, double[] v32, List<String> reasons) {
        double max = 0;
        int nonzero = 0;
        int tiny = 0;
        boolean lost = false;
        for (int k = 0; k < v64.length; k++) {
            double a = Math.abs(v64[k]);
            if (Double.isFinite(v64[k])) {
                max = Math.max(max, a);
                lost |= !Double.isFinite(v32[k]);
            }
            if (a != 0) {
                nonzero++;
                tiny += a < Float.MIN_NORMAL ? 1 : 0;
            }
        }
        if (lost) {
            reasons.add(String.format(Locale.ROOT, "overflow: float32 %s become infinite or NaN; in float64 they reach %.1e,"
                    + " and float32's largest is %.1e", what, max, (double) Float.MAX_VALUE));
        } else if (max > NEAR_OVERFLOW) {
            reasons.add(String.format(Locale.ROOT, "overflow near: %s reach %.1e, within a factor 1e4 of float32's largest %.1e",
                    what, max, (double) Float.MAX_VALUE));
        }
        if (nonzero > 0 && tiny > SATURATED_SHARE * nonzero) {
            reasons.add(String.format(Locale.ROOT, "underflow: %.0f%% of the nonzero %s are below float32's smallest normal %.1e"
                    + " and lose their digits or become 0", 100.0 * tiny / nonzero, what, (double) Float.MIN_NORMAL));
        }
    }

    /** The largest magnitude over the median nonzero one. */
    private static double spread(double[] v) {
        double[] a = Arrays.stream(v).map(Math::abs).filter(d -> d != 0 && Double.isFinite(d)).sorted().toArray();
        if (a.length < 2) {
            return 1;
        }
        return a[a.length - 1] / a[a.length / 2];
    }

    /** kappa = || |x| |W| + |b| || / || x W + b ||, on the float64 reference. */
    private static double condition(Linear linear, Tensor x, double[] y) {
        double[] terms;
        try (Autograd.Scope off = Autograd.noGrad()) {
            Tensor t = x.abs().matmul(linear.weight().abs());
            if (linear.bias() != null) {
                t = t.add(linear.bias().abs());
            }
            terms = t.toArray();
        }
        double num = 0;
        double den = 0;
        for (int k = 0; k < y.length; k++) {
            num += terms[k] * terms[k];
            den += y[k] * y[k];
        }
        return den == 0 ? (num == 0 ? 1 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    /** The share of a tanh or sigmoid layer's outputs that float32 rounds onto an asymptote where float64 does not. */
    private static double saturatedShare(Layer layer, double[] y64, double[] y32) {
        boolean tanh = layer instanceof Tanh;
        if (!tanh && !(layer instanceof Sigmoid) || y64.length == 0) {
            return 0;
        }
        int flat = 0;
        for (int k = 0; k < y64.length; k++) {
            boolean flat32 = tanh ? Math.abs(y32[k]) == 1 : y32[k] == 1 || y32[k] == 0;
            boolean flat64 = tanh ? Math.abs(y64[k]) == 1 : y64[k] == 1 || y64[k] == 0;
            flat += flat32 && !flat64 ? 1 : 0;
        }
        return (double) flat / y64.length;
    }

    /** Where a risky layer without a cause of its own got its error from. */
    private static String inherited(int i, List<String> names, double[] activation, double[] outputGradient,
                                    Map<String, Double> parameters, double inputError) {
        double inErr = i == 0 ? inputError : activation[i - 1];
        if (activation[i] > RISKY_ERROR && inErr > RISKY_ERROR) {
            if (inputError > RISKY_ERROR) {
                return INHERITS + "the forward error of the input, which float32 cannot represent to " + RISKY_ERROR;
            }
            int j = 0;
            while (activation[j] <= RISKY_ERROR) {
                j++;
            }
            return INHERITS + "the forward error of layer " + names.get(j);
        }
        boolean gradients = outputGradient[i] > RISKY_ERROR || parameters.values().stream().anyMatch(e -> e > RISKY_ERROR)
                || i > 0 && outputGradient[i - 1] > RISKY_ERROR;
        if (gradients && outputGradient[i] > RISKY_ERROR) {
            int j = i + 1;
            while (j < names.size() && outputGradient[j] > RISKY_ERROR) {
                j++;
            }
            return INHERITS + (j < names.size() ? "the gradient error of layer " + names.get(j) + "'s backward pass"
                    : "the gradient error of the loss");
        }
        return String.format(Locale.ROOT, "float32 roundoff accumulates to %.1e here", Math.max(activation[i], outputGradient[i]));
    }

    static String format(Precision.Report r, String loss) {
        StringBuilder sb = new StringBuilder();
        String nl = System.lineSeparator();
        Precision.LayerComparison culprit = r.culprit();
        sb.append(String.format(Locale.ROOT, "Precision: float32 is %s for this model on this batch (risky: a relative error above"
                + " %.0e, or overflow); worst error %s%n", r.safe() ? "SAFE" : "RISKY", RISKY_ERROR, err(r.worstError())));
        if (culprit != null) {
            sb.append("  float32 loses too much first at layer ").append(culprit.name()).append(" (").append(culprit.kind())
                    .append("): ").append(culprit.reasons().isEmpty() ? "" : culprit.reasons().get(0)).append(nl);
        }
        sb.append(String.format(Locale.ROOT, "  input rounded to float32: relative error %.1e; loss: %s%n", r.inputError(), loss));
        sb.append(String.format(Locale.ROOT, "  %-6s %-12s %-10s %-10s %-10s %s%n", "layer", "kind", "activation", "out-grad",
                "param-grad", "verdict"));
        for (Precision.LayerComparison c : r.layers()) {
            double param = c.parameterGradientErrors().values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "  %-6s %-12s %-10s %-10s %-10s %-5s", c.name(), c.kind(), err(c.activationError()),
                    err(c.outputGradientError()), Double.isNaN(param) ? "-" : err(param), c.risky() ? "RISKY" : "safe"));
            for (int k = 0; k < c.reasons().size(); k++) {
                sb.append(k == 0 ? "  " : nl + " ".repeat(62)).append(c.reasons().get(k));
            }
            sb.append(nl);
        }
        return sb.toString().stripTrailing();
    }

    private static String err(double e) {
        return Double.isInfinite(e) ? "inf" : String.format(Locale.ROOT, "%.1e", e);
    }
}
