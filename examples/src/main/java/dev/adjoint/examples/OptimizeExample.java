package dev.adjoint.examples;

import dev.adjoint.core.Autograd;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.LBFGS;
import java.awt.Color;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Fitting a physical model with L-BFGS: a damped oscillator
 * {@code x(t) = A exp(-gamma t) cos(omega t + phi)}, observed 80 times over ten seconds with
 * Gaussian noise, has its four parameters recovered by least squares. Each step here is one
 * quasi-Newton iteration ({@code maxIter(1)}) with the strong-Wolfe line search, so that every
 * iteration can be printed and drawn; about a dozen reach the noise floor. Prints the iterations
 * and draws the fit (with the curve after each iteration) and the loss of every evaluation.
 */
final class OptimizeExample {
    static final int DEFAULT_STEPS = 20;
    static final int POINTS = 80;
    static final double NOISE = 0.05;
    /** The truth: amplitude, damping, angular frequency, phase. */
    static final double[] TRUE = {1.5, 0.3, 2.0, 0.5};
    /** The first guess: the frequency read roughly off the data, the rest plain. */
    static final double[] GUESS = {1.0, 0.1, 1.8, 0.0};
    private static final String[] NAMES = {"A", "gamma", "omega", "phi"};

    private OptimizeExample() {
    }

    /** Noisy observations of the true oscillator at {@link #POINTS} equally spaced times in [0, 10]. */
    static double[][] observations(SplittableRandom rng) {
        double[] t = new double[POINTS];
        double[] x = new double[POINTS];
        for (int i = 0; i < POINTS; i++) {
            t[i] = 10.0 * i / (POINTS - 1);
            x[i] = oscillator(TRUE, t[i]) + NOISE * rng.nextGaussian();
        }
        return new double[][] {t, x};
    }

    static double oscillator(double[] p, double t) {
        return p[0] * Math.exp(-p[1] * t) * Math.cos(p[2] * t + p[3]);
    }

    /** The model on tensors: every parameter a scalar, {@code t} a vector. */
    static Tensor model(List<Tensor> p, Tensor t) {
        Tensor decay = t.mul(p.get(1)).neg().exp();
        return decay.mul(t.mul(p.get(2)).add(p.get(3)).cos()).mul(p.get(0));
    }

    static void run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args, "--steps", DEFAULT_STEPS);
        double[][] data = observations(new SplittableRandom(2024));
        Tensor t = Tensor.of(data[0]);
        Tensor observed = Tensor.of(data[1]);
        List<Tensor> params = new ArrayList<>();
        for (double v : GUESS) {
            params.add(Tensor.scalar(v).requiresGrad(true));
        }
        LBFGS opt = new LBFGS(params, 1.0, 10, true).maxIter(1);
        List<Double> evaluations = new ArrayList<>();
        Supplier<Tensor> closure = () -> {
            opt.zeroGrad();
            Tensor residual = model(params, t).sub(observed);
            Tensor loss = residual.mul(residual).mean();
            loss.backward();
            evaluations.add(loss.item());
            return loss;
        };

        List<double[]> fits = new ArrayList<>();
        fits.add(curve(params, data[0]));
        out.printf(Locale.ROOT, "damped oscillator x(t) = A exp(-gamma t) cos(omega t + phi), %d noisy points (sigma %.2f)%n",
                POINTS, NOISE);
        out.printf(Locale.ROOT, "%5s %12s %6s %9s %9s %9s %9s%n", "iter", "loss", "evals", NAMES[0], NAMES[1], NAMES[2], NAMES[3]);
        print(out, 0, lossAt(params, t, observed), 0, params);
        long start = System.nanoTime();
        for (int step = 1; step <= options.count(); step++) {
            opt.step(closure);
            fits.add(curve(params, data[0]));
            print(out, step, lossAt(params, t, observed), opt.evaluations(), params);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double finalLoss = lossAt(params, t, observed);
        out.printf(Locale.ROOT, "fitted in %.2f s: %d L-BFGS iterations, %d evaluations; final loss %.5f (noise variance %.5f)%n",
                seconds, opt.iterations(), opt.evaluations(), finalLoss, NOISE * NOISE);
        for (int i = 0; i < NAMES.length; i++) {
            out.printf(Locale.ROOT, "  %-5s = %8.4f   (true %.4f)%n", NAMES[i], params.get(i).item(), TRUE[i]);
        }

        Path fitPicture = Plot.fit(options.out().resolve("optimize-fit.png"),
                "Damped oscillator fitted with L-BFGS (" + options.count() + " iterations)", data[0], data[1],
                fineTimes(data[0]), curvesToDraw(fits, data[0]), colors(fits.size()), legend(fits.size()));
        double[] history = evaluations.stream().mapToDouble(Double::doubleValue).toArray();
        Path lossPicture = Plot.lossCurve(options.out().resolve("optimize-loss.png"),
                "L-BFGS on the oscillator: loss at every evaluation", history, 0);
        out.println("wrote " + fitPicture);
        out.println("wrote " + lossPicture);
    }

    private static double lossAt(List<Tensor> params, Tensor t, Tensor observed) {
        try (Autograd.Scope off = Autograd.noGrad()) {
            Tensor residual = model(params, t).sub(observed);
            return residual.mul(residual).mean().item();
        }
    }

    private static void print(PrintStream out, int step, double loss, int evaluations, List<Tensor> params) {
        out.printf(Locale.ROOT, "%5d %12.6f %6d %9.4f %9.4f %9.4f %9.4f%n", step, loss, evaluations, params.get(0).item(),
                params.get(1).item(), params.get(2).item(), params.get(3).item());
    }

    private static double[] curve(List<Tensor> params, double[] ts) {
        double[] p = params.stream().mapToDouble(Tensor::item).toArray();
        double[] fine = fineTimes(ts);
        double[] y = new double[fine.length];
        for (int i = 0; i < fine.length; i++) {
            y[i] = oscillator(p, fine[i]);
        }
        return y;
    }

    /** The truth, the first guess, the curve after every step (fading from light to dark) and the last. */
    private static List<double[]> curvesToDraw(List<double[]> fits, double[] ts) {
        double[] fine = fineTimes(ts);
        double[] truth = new double[fine.length];
        for (int i = 0; i < fine.length; i++) {
            truth[i] = oscillator(TRUE, fine[i]);
        }
        List<double[]> curves = new ArrayList<>();
        curves.add(truth);
        curves.addAll(fits);
        return curves;
    }

    private static List<Color> colors(int fits) {
        List<Color> colors = new ArrayList<>();
        colors.add(new Color(150, 150, 150));
        colors.add(new Color(214, 96, 77));
        for (int i = 1; i < fits; i++) {
            double s = fits == 2 ? 1 : (i - 1.0) / (fits - 2);
            colors.add(i == fits - 1 ? new Color(20, 40, 110)
                    : new Color((int) (190 - 120 * s), (int) (205 - 110 * s), (int) (235 - 40 * s)));
        }
        return colors;
    }

    private static List<String> legend(int fits) {
        List<String> legend = new ArrayList<>();
        legend.add("truth");
        legend.add("first guess");
        for (int i = 1; i < fits; i++) {
            legend.add(i == fits - 1 ? "after the last iteration" : i == 1 ? "after each iteration" : null);
        }
        return legend;
    }

    /** Ten times as many times as measurements, so the curves are smooth. */
    private static double[] fineTimes(double[] ts) {
        int n = 10 * (ts.length - 1) + 1;
        double[] fine = new double[n];
        for (int i = 0; i < n; i++) {
            fine[i] = ts[0] + (ts[ts.length - 1] - ts[0]) * i / (n - 1);
        }
        return fine;
    }
}
