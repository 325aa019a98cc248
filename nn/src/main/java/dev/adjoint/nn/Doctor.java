package dev.adjoint.nn;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Examines a network before (or during) training and names what will keep it from learning: hidden
 * units stuck in symmetry, saturated sigmoid/tanh layers, dead ReLU units, vanishing or exploding
 * gradients, and NaN or infinity anywhere.
 *
 * <p>{@link #examine} runs one forward pass on the given input and one backward pass of a synthetic
 * loss, {@code mean over the batch of <output, r>} for a fixed random direction r, so the figures do
 * not depend on the batch size or on the user's loss. r is a standard normal sample drawn from
 * {@code new SplittableRandom(42)}, made afresh on every call: the examination is deterministic
 * and reads or changes no global state. Gradients are taken with
 * {@link Autograd#grad}, so the model's parameters and their {@code grad()} are left exactly as they
 * were. Layers are looked at one by one when the model is a {@link Sequential} (nested ones are
 * flattened); any other model is examined as a whole.
 *
 * <p>Frozen parameters ({@code requiresGrad(false)}, as in fine-tuning) and layers whose output
 * does not require grad (preprocessing run under {@link Autograd#noGrad}, or anything not
 * differentiable) are normal: their values are examined, and the gradient checks cover what the
 * synthetic loss's gradient reaches (the layers after the last such layer, and the parameters that
 * require grad). What could not be examined is named in a {@link Finding.Kind#NOT_EXAMINED}
 * finding, so a clean bill of health says how much it covers.
 *
 * <p>Thresholds:
 * <ul>
 *   <li>SYMMETRY: two or more units of a {@link Linear} layer with bitwise identical incoming
 *       weights and bias, whose outgoing weights in the next Linear layer (through elementwise
 *       layers only) are identical too. Output units are never reported: their targets differ.</li>
 *   <li>SATURATION: more than {@value #SATURATED_FRACTION} of a Sigmoid layer's outputs below
 *       {@value #SIGMOID_MARGIN} or above 1 - {@value #SIGMOID_MARGIN} (derivative under ~0.01), or
 *       of a Tanh layer's outputs with |y| above 1 - {@value #TANH_MARGIN}.</li>
 *   <li>DEAD_UNITS: at least {@value #DEAD_FRACTION} of a ReLU layer's units (features of [N, F]
 *       outputs, channels of [N, C, H, W] ones after a convolution) output 0 for every sample and
 *       position; examined only on {@value #MIN_DEAD_SAMPLES} samples or more (with a handful, units
 *       are silent by chance). The advice leaves out He initialisation when the weights feeding the
 *       layer already have its variance.</li>
 *   <li>VANISHING_GRADIENT / EXPLODING_GRADIENT: the RMS gradient reaching the first Linear layer's
 *       input differs from the one reaching the last Linear layer's input by more than a factor
 *       {@value #GRADIENT_RATIO}, or the relative parameter gradient |dW|/|W| of the first Linear
 *       layer differs from the last one's by more than that factor.</li>
 *   <li>NON_FINITE: any NaN or infinity, reported where it is first seen: the input, then the
 *       parameters, then activations in forward order, then gradients from the output backwards.</li>
 *   <li>NOT_EXAMINED: frozen parameters, whose gradients are not computed, and the layers before
 *       the last layer whose output does not require grad, which no gradient reaches.</li>
 * </ul>
 */
public final class Doctor {
    /** Fraction of a sigmoid/tanh layer's outputs that must be saturated to report it. */
    public static final double SATURATED_FRACTION = 0.5;
    /** A sigmoid output this close to 0 or 1 counts as saturated. */
    public static final double SIGMOID_MARGIN = 0.01;
    /** A tanh output this close to -1 or 1 counts as saturated. */
    public static final double TANH_MARGIN = 0.01;
    /** Fraction of a ReLU layer's units that must be dead to report it. */
    public static final double DEAD_FRACTION = 0.25;
    /** Fewer samples than this tell nothing about dead units: a unit can be silent on a few by chance. */
    public static final int MIN_DEAD_SAMPLES = 32;
    /** Factor between first and last layer gradients that counts as vanishing or exploding. */
    public static final double GRADIENT_RATIO = 1000.0;

    private Doctor() {
    }

    /**
     * Examines {@code model} on a batch.
     *
     * @param model the network
     * @param input a batch of inputs, batch along the first axis
     * @return the problems found, in the order: non-finite values, symmetry, saturation, dead units,
     *     gradient scale, then what was not examined; empty for a healthy network whose layers and
     *     parameters are all differentiable
     */
    public static List<Finding> examine(Layer model, Tensor input) {
        if (model == null || input == null) {
            throw new IllegalArgumentException("Doctor.examine: model and input are required");
        }
        List<Layer> layers = flatten(model);
        List<Finding> findings = new ArrayList<>();
        Tensor x = input.detach().requiresGrad(true);
        Tensor[] acts = new Tensor[layers.size() + 1];
        acts[0] = x;
        for (int i = 0; i < layers.size(); i++) {
            acts[i + 1] = layers.get(i).forward(acts[i]);
        }
        Tensor out = acts[layers.size()];
        int batch = input.rank() == 0 ? 1 : input.shape()[0];
        Tensor direction = Tensor.randn(new SplittableRandom(42), out.shape()).to(out.dtype());
        Tensor loss = out.mul(direction).sum().div(Math.max(batch, 1));

        // the gradient reaches the activations after the last one that does not require grad (cut), and the layers from it on
        int cut = 0;
        for (int i = acts.length - 1; i > 0 && cut == 0; i--) {
            if (!acts[i].requiresGrad()) {
                cut = i;
            }
        }
        List<Tensor> targets = new ArrayList<>();
        if (loss.requiresGrad()) {
            for (int i = cut; i < acts.length; i++) {
                if (acts[i].requiresGrad()) {
                    targets.add(acts[i]);
                }
            }
            for (int i = cut; i < layers.size(); i++) {
                for (Tensor p : layers.get(i).parameters()) {
                    if (p.requiresGrad() && indexOf(targets, p) < 0) {
                        targets.add(p);
                    }
                }
            }
        }
        List<Tensor> grads = targets.isEmpty() ? List.of() : Autograd.grad(loss, targets, false);

        nonFinite(layers, input, acts, targets, grads).ifPresent(findings::add);
        findings.addAll(Symmetry.find(layers));
        for (int i = 0; i < layers.size(); i++) {
            saturation(i, layers.get(i), acts[i + 1]).ifPresent(findings::add);
            deadUnits(i, layers.get(i), acts[i + 1], layers).ifPresent(findings::add);
        }
        if (findings.stream().noneMatch(f -> f.kind() == Finding.Kind.NON_FINITE) && !grads.isEmpty()) {
            gradientScale(layers, acts, targets, grads).ifPresent(findings::add);
        }
        notExamined(layers, acts, cut).forEach(findings::add);
        return findings;
    }

    /** What the gradient checks could not cover: frozen parameters, and the layers before a cut in the graph. */
    private static List<Finding> notExamined(List<Layer> layers, Tensor[] acts, int cut) {
        List<Finding> out = new ArrayList<>();
        List<String> frozen = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            List<Tensor> ps = layers.get(i).parameters();
            for (int p = 0; p < ps.size(); p++) {
                if (!ps.get(p).requiresGrad()) {
                    frozen.add("parameter " + p + " of " + describe(i, layers.get(i)));
                }
            }
        }
        if (!frozen.isEmpty()) {
            out.add(new Finding(Finding.Kind.NOT_EXAMINED, (frozen.size() <= 4 ? String.join(", ", frozen)
                    : frozen.get(0) + " and " + (frozen.size() - 1) + " more parameters") + (frozen.size() == 1 ? " is" : " are")
                    + " frozen (requiresGrad(false)): " + (frozen.size() == 1 ? "its values were" : "their values were")
                    + " examined, gradients were not, and no optimizer step will change " + (frozen.size() == 1 ? "it" : "them")));
        }
        if (cut > 0) {
            int culprit = cut - 1; // the first of the layers that pass on a tensor without grad
            while (culprit > 0 && !acts[culprit].requiresGrad()) {
                culprit--;
            }
            out.add(new Finding(Finding.Kind.NOT_EXAMINED, describe(culprit, layers.get(culprit)) + " returns a tensor that"
                    + " does not require grad (it runs under Autograd.noGrad, detaches, or is not differentiable), so no"
                    + " gradient reaches " + (cut == 1 ? "layer 0" : "layers 0 to " + (cut - 1)) + " or the input:"
                    + " their values were examined, gradients only from layer " + cut + " on"));
        }
        return out;
    }

    private static List<Layer> flatten(Layer model) {
        List<Layer> out = new ArrayList<>();
        List<Layer> stack = new ArrayList<>(List.of(model));
        while (!stack.isEmpty()) {
            Layer l = stack.remove(stack.size() - 1);
            if (l instanceof Sequential s) {
                List<Layer> inner = s.layers();
                for (int i = inner.size() - 1; i >= 0; i--) {
                    stack.add(inner.get(i));
                }
            } else {
                out.add(l);
            }
        }
        return out;
    }

    static String describe(int index, Layer layer) {
        return "layer " + index + " (" + layer + ")";
    }

    private static java.util.Optional<Finding> nonFinite(List<Layer> layers, Tensor input, Tensor[] acts,
                                                          List<Tensor> targets, List<Tensor> grads) {
        List<String> places = new ArrayList<>();
        if (!finite(input)) {
            places.add("the input");
        }
        for (int i = 0; i < layers.size(); i++) {
            List<Tensor> ps = layers.get(i).parameters();
            for (int p = 0; p < ps.size(); p++) {
                if (!finite(ps.get(p))) {
                    places.add("parameter " + p + " of " + describe(i, layers.get(i)));
                }
            }
        }
        for (int i = 1; i < acts.length; i++) {
            if (!finite(acts[i])) {
                places.add("the output of " + describe(i - 1, layers.get(i - 1)));
            }
        }
        for (int i = acts.length - 1; i >= 0; i--) {
            int t = indexOf(targets, acts[i]);
            if (t >= 0 && !finite(grads.get(t))) {
                places.add(i == 0 ? "the gradient reaching the input" : "the gradient reaching the output of "
                        + describe(i - 1, layers.get(i - 1)));
            }
        }
        if (places.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Finding(Finding.Kind.NON_FINITE, "NaN or infinity first seen in " + places.get(0)
                + (places.size() > 1 ? " (and " + (places.size() - 1) + " more places after it)" : "")
                + ": check the input data, lower the learning rate, clip gradients, and keep log/sqrt/div arguments in range"));
    }

    private static int indexOf(List<Tensor> ts, Tensor t) {
        for (int i = 0; i < ts.size(); i++) {
            if (ts.get(i) == t) {
                return i;
            }
        }
        return -1;
    }

    static boolean finite(Tensor t) {
        for (double v : t.toArray()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static java.util.Optional<Finding> saturation(int index, Layer layer, Tensor out) {
        boolean sigmoid = layer instanceof Sigmoid;
        if (!sigmoid && !(layer instanceof Tanh)) {
            return java.util.Optional.empty();
        }
        double[] y = out.toArray();
        if (y.length == 0) {
            return java.util.Optional.empty();
        }
        int saturated = 0;
        for (double v : y) {
            if (sigmoid ? v < SIGMOID_MARGIN || v > 1 - SIGMOID_MARGIN : Math.abs(v) > 1 - TANH_MARGIN) {
                saturated++;
            }
        }
        double fraction = (double) saturated / y.length;
        if (fraction <= SATURATED_FRACTION) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Finding(Finding.Kind.SATURATION, String.format(Locale.ROOT,
                "%s: %.0f%% of its outputs are saturated (within %.2f of %s), where its derivative is nearly 0 and "
                        + "learning stalls; scale the inputs, use a smaller initialisation (e.g. Init.xavierUniform), "
                        + "or use ReLU", describe(index, layer), 100 * fraction, sigmoid ? SIGMOID_MARGIN : TANH_MARGIN,
                sigmoid ? "0 or 1" : "-1 or 1")));
    }

    private static java.util.Optional<Finding> deadUnits(int index, Layer layer, Tensor out, List<Layer> layers) {
        if (!(layer instanceof ReLU) || out.rank() < 2) {
            return java.util.Optional.empty();
        }
        int[] shape = out.shape();
        int samples = shape[0];
        if (samples < MIN_DEAD_SAMPLES) {
            return java.util.Optional.empty();
        }
        // a unit is a feature of [N, F] outputs, or a channel (axis 1) of [N, C, ...] ones
        boolean channels = shape.length > 2;
        int units = channels ? shape[1] : shape[shape.length - 1];
        int inner = out.size() / Math.max(samples * units, 1); // positions per channel, or 1
        double[] y = out.toArray();
        List<Integer> dead = new ArrayList<>();
        for (int u = 0; u < units; u++) {
            boolean alive = false;
            for (int n = 0; n < samples && !alive; n++) {
                for (int p = 0; p < inner && !alive; p++) {
                    int at = channels ? (n * units + u) * inner + p : n * units + u;
                    alive = y[at] > 0;
                }
            }
            if (!alive) {
                dead.add(u);
            }
        }
        double fraction = units == 0 ? 0 : (double) dead.size() / units;
        if (dead.isEmpty() || fraction < DEAD_FRACTION) {
            return java.util.Optional.empty();
        }
        String what = channels ? "channels" : "units";
        String which = dead.size() <= 8 ? what + " " + dead : dead.size() + " " + what;
        String advice = heLike(index, layers) ? "a smaller learning rate, or LeakyReLU"
                : "He initialisation (Init.heUniform), a smaller learning rate, or LeakyReLU";
        return java.util.Optional.of(new Finding(Finding.Kind.DEAD_UNITS, String.format(Locale.ROOT,
                "%s: %s of %d (%.0f%%) output 0 for all %d samples, so they get no gradient and cannot recover; use %s",
                describe(index, layer), which, units, 100 * fraction, samples, advice)));
    }

    /**
     * Whether the weights feeding layer {@code index} (the nearest Linear or Conv2d before it) already
     * have at least about He initialisation's variance, 2 / fan-in: then advising He is no help.
     */
    private static boolean heLike(int index, List<Layer> layers) {
        for (int i = index - 1; i >= 0; i--) {
            Tensor w = layers.get(i) instanceof Linear l ? l.weight() : layers.get(i) instanceof Conv2d c ? c.weight() : null;
            if (w != null) {
                int fanIn = w.rank() == 2 ? w.dim(0) : w.size() / w.dim(0);
                double[] v = w.toArray();
                double sumSquares = 0;
                for (double x : v) {
                    sumSquares += x * x;
                }
                return sumSquares / v.length * fanIn >= 1.5;
            }
        }
        return false;
    }

    private static java.util.Optional<Finding> gradientScale(List<Layer> layers, Tensor[] acts, List<Tensor> targets,
                                                              List<Tensor> grads) {
        // Linear layers the gradient reaches (their input or their weight); each ratio only where both ends have it
        int first = -1;
        int last = -1;
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) instanceof Linear l && (indexOf(targets, acts[i]) >= 0 || indexOf(targets, l.weight()) >= 0)) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        if (first < 0 || first == last) {
            return java.util.Optional.empty();
        }
        int xFirst = indexOf(targets, acts[first]);
        int xLast = indexOf(targets, acts[last]);
        boolean inputs = xFirst >= 0 && xLast >= 0;
        double gFirst = inputs ? rms(grads.get(xFirst)) : Double.NaN;
        double gLast = inputs ? rms(grads.get(xLast)) : Double.NaN;
        Linear lf = (Linear) layers.get(first);
        Linear ll = (Linear) layers.get(last);
        int wFirst = indexOf(targets, lf.weight());
        int wLast = indexOf(targets, ll.weight());
        boolean weights = wFirst >= 0 && wLast >= 0;
        double uFirst = weights ? relative(grads.get(wFirst), lf.weight()) : Double.NaN;
        double uLast = weights ? relative(grads.get(wLast), ll.weight()) : Double.NaN;
        double inputRatio = gFirst / gLast;
        double paramRatio = uFirst / uLast; // NaN (beyond no threshold) when a weight is frozen; likewise inputRatio
        String where = String.format(Locale.ROOT, "from %s back to %s", describe(last, ll), describe(first, lf));
        String figures = (inputs ? String.format(Locale.ROOT, "RMS input gradient %.3g -> %.3g (x%.2g), ", gLast, gFirst,
                inputRatio) : "RMS input gradient not compared (no gradient reaches the first one's input), ")
                + (weights ? String.format(Locale.ROOT, "relative weight gradient |dW|/|W| %.3g -> %.3g (x%.2g)", uLast, uFirst,
                        paramRatio) : "relative weight gradient not compared (a weight is frozen)");
        if (inputRatio < 1 / GRADIENT_RATIO || paramRatio < 1 / GRADIENT_RATIO) {
            return java.util.Optional.of(new Finding(Finding.Kind.VANISHING_GRADIENT, "gradients shrink " + where + ": " + figures
                    + "; the first layers will barely learn: use ReLU instead of sigmoid/tanh, Xavier/He initialisation,"
                    + " or fewer layers"));
        }
        if (inputRatio > GRADIENT_RATIO || paramRatio > GRADIENT_RATIO) {
            return java.util.Optional.of(new Finding(Finding.Kind.EXPLODING_GRADIENT, "gradients grow " + where + ": " + figures
                    + "; training will diverge: use a smaller initialisation (Init.xavierUniform / Init.heUniform),"
                    + " a lower learning rate, or gradient clipping"));
        }
        return java.util.Optional.empty();
    }

    private static double rms(Tensor t) {
        double[] v = t.toArray();
        double s = 0;
        for (double d : v) {
            s += d * d;
        }
        return v.length == 0 ? 0 : Math.sqrt(s / v.length);
    }

    private static double relative(Tensor grad, Tensor param) {
        double p = rms(param);
        return rms(grad) / (p == 0 ? 1 : p);
    }
}
