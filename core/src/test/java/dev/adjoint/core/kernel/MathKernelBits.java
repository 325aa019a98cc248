package dev.adjoint.core.kernel;

import java.util.SplittableRandom;

/**
 * Prints the bits of the vector math kernel's results on fixed inputs, one line per function; run
 * by {@link MathKernelTest} in a child JVM with {@code -Xint}, where the Vector API is never
 * compiled, to compare with the JIT-compiled results of the test's own JVM.
 */
public final class MathKernelBits {
    private MathKernelBits() {
    }

    /** Fixed inputs: values in every range the polynomial covers, and a few outside it. */
    static double[] inputs() {
        SplittableRandom rng = new SplittableRandom(20261202L);
        double[] a = new double[1003];
        double[] scales = {1e-8, 0.3, 1, 5, 30, 700};
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextDouble(-1, 1) * scales[i % scales.length];
        }
        a[17] = 709.5;
        a[400] = -745.5;
        a[801] = Double.NaN;
        return a;
    }

    /** {@link #inputs()} as floats (those out of float's range become infinities). */
    static float[] floatInputs() {
        double[] a = inputs();
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) (a[i] / 8);
        }
        f[17] = 88.5f;
        f[400] = -100.5f;
        f[500] = -200f;
        return f;
    }

    /** One line per function: its name and a hash of its results' bits. */
    static String digest(MathKernel k) {
        double[] a = inputs();
        int n = a.length;
        double[] r = new double[n];
        StringBuilder sb = new StringBuilder();
        k.exp(a, 0, r, 0, n);
        sb.append("exp ").append(hash(r)).append('\n');
        k.tanh(a, 0, r, 0, n);
        sb.append("tanh ").append(hash(r)).append('\n');
        double[] positive = new double[n];
        for (int i = 0; i < n; i++) {
            positive[i] = Math.abs(a[i]) * 3 + (i % 7 == 0 ? 0 : 1e-300);
        }
        k.log(positive, 0, r, 0, n);
        sb.append("log ").append(hash(r)).append('\n');
        k.softplus(a, 0, r, 0, n);
        sb.append("softplus ").append(hash(r)).append('\n');
        double[] aboveMinusOne = new double[n];
        for (int i = 0; i < n; i++) {
            aboveMinusOne[i] = Math.abs(a[i]) - 0.5;
        }
        k.log1p(aboveMinusOne, 0, r, 0, n);
        sb.append("log1p ").append(hash(r)).append('\n');
        double[] small = new double[n];
        for (int i = 0; i < n; i++) {
            small[i] = a[i] / 100;
        }
        k.erf(small, 0, r, 0, n);
        sb.append("erf ").append(hash(r)).append('\n');
        k.geluGrad(a, 0, small, 0, r, 0, n);
        sb.append("geluGrad ").append(hash(r)).append('\n');
        k.sigmoid(a, 0, r, 0, n);
        sb.append("sigmoid ").append(hash(r)).append('\n');
        double sum = k.expShifted(a, 0, 3.0, r, 0, n);
        sb.append("expShifted ").append(hash(r)).append(' ').append(Double.doubleToRawLongBits(sum)).append('\n');
        float[] f = floatInputs();
        float[] fr = new float[n];
        k.exp(f, 0, fr, 0, n);
        sb.append("exp float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.sigmoid(f, 0, fr, 0, n);
        sb.append("sigmoid float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.tanh(f, 0, fr, 0, n);
        sb.append("tanh float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.log(f, 0, fr, 0, n);
        sb.append("log float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.softplus(f, 0, fr, 0, n);
        sb.append("softplus float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.erf(f, 0, fr, 0, n);
        sb.append("erf float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        float[] fAboveMinusOne = new float[n];
        for (int i = 0; i < n; i++) {
            fAboveMinusOne[i] = Math.abs(f[i]) - 0.5f;
        }
        k.log1p(fAboveMinusOne, 0, fr, 0, n);
        sb.append("log1p float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.gelu(f, 0, fr, 0, n);
        sb.append("gelu float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        float[] fg = new float[n];
        for (int i = 0; i < n; i++) {
            fg[i] = f[(i * 7) % n];
        }
        k.geluGrad(fg, 0, f, 0, fr, 0, n);
        sb.append("geluGrad float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.expDifference(f, 0, fg, 0, fr, 0, n);
        sb.append("expDifference float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        double fsum = k.expShifted(f, 0, 1.7f, fr, 0, n);
        sb.append("expShifted float32 ").append(java.util.Arrays.hashCode(fr)).append(' ').append(Double.doubleToRawLongBits(fsum))
                .append(' ').append(Float.floatToRawIntBits(k.max(f, 0, n))).append('\n');
        // the selections, on values laced with NaN, signed zeros, infinities and ties
        double[] special = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5};
        double[] s = a.clone();
        double[] other = new double[n];
        float[] fs = new float[n];
        float[] fother = new float[n];
        for (int i = 0; i < n; i++) {
            if (i % 5 == 0) {
                s[i] = special[(i / 5) % special.length];
            }
            other[i] = i % 3 == 0 ? s[i] : s[n - 1 - i];
            fs[i] = (float) s[i];
            fother[i] = (float) other[i];
        }
        double[] answers = {-1, 1, 0.5, 0.25};
        k.compare(answers, s, 0, other, 0, 1, r, 0, n);
        sb.append("compare ").append(hash(r)).append('\n');
        k.compare(answers, s, 0, BinaryLoops.ZERO, 0, 0, r, 0, n);
        sb.append("compare to one value ").append(hash(r)).append('\n');
        k.leakyRelu(s, 0, 0.01, r, 0, n);
        sb.append("leakyRelu ").append(hash(r)).append('\n');
        k.inside(s, 0, -0.5, 0.5, r, 0, n);
        sb.append("inside ").append(hash(r)).append('\n');
        k.clamp(s, 0, -0.5, 0.5, r, 0, n);
        sb.append("clamp ").append(hash(r)).append('\n');
        k.where(other, 0, s, 0, a, 0, r, 0, n);
        sb.append("where ").append(hash(r)).append('\n');
        k.compare(answers, fs, 0, fother, 0, 1, fr, 0, n);
        sb.append("compare float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.leakyRelu(fs, 0, 0.01f, fr, 0, n);
        sb.append("leakyRelu float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.clamp(fs, 0, -0.5f, 0.5f, fr, 0, n);
        sb.append("clamp float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.where(fother, 0, fs, 0, f, 0, fr, 0, n);
        sb.append("where float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        sb.append("firstExtreme ").append(k.firstExtreme(s, 0, n, false)).append(' ').append(k.firstExtreme(s, 1, n - 1, true))
                .append(' ').append(k.firstExtreme(a, 0, n, false)).append(' ').append(k.firstExtreme(a, 0, n, true))
                .append(' ').append(k.firstExtreme(f, 0, n, false)).append(' ').append(k.firstExtreme(f, 0, n, true)).append('\n');
        k.extremum(s, 0, other, 0, 1, r, 0, n, false);
        sb.append("extremum ").append(hash(r));
        k.extremum(s, 0, other, 0, 1, r, 0, n, true);
        sb.append(' ').append(hash(r));
        k.extremum(fs, 0, fother, 0, 1, fr, 0, n, false);
        sb.append(' ').append(java.util.Arrays.hashCode(fr));
        k.extremum(fs, 0, fother, 0, 0, fr, 0, n, true);
        sb.append(' ').append(java.util.Arrays.hashCode(fr)).append('\n');
        // squared distances and scaled differences (a squared distance's gradient)
        sb.append("squaredDistance ").append(Double.doubleToRawLongBits(k.squaredDistance(a, 1, other, 0, n - 1)))
                .append(' ').append(Double.doubleToRawLongBits(k.squaredDistance(f, 0, fother, 1, n - 1))).append('\n');
        k.scaledDifference(-0.75, s, 0, a, 0, r, 0, n);
        sb.append("scaledDifference ").append(hash(r));
        k.scaledDifference(1e-3, fs, 0, f, 0, fr, 0, n);
        sb.append(' ').append(java.util.Arrays.hashCode(fr)).append('\n');
        // softmax's and log-softmax's float32 backward loops (softmax's s split into two floats)
        k.mulDifference(fs, 0, f, 0, 0.3, fr, 0, n);
        sb.append("mulDifference float32 ").append(java.util.Arrays.hashCode(fr));
        k.subtractScaled(fs, 0, f, 0, -1.7, fr, 0, n);
        sb.append(' ').append(java.util.Arrays.hashCode(fr)).append('\n');
        k.abs(fs, 0, fr, 0, n);
        sb.append("abs float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        k.neg(fs, 0, fr, 0, n);
        sb.append("neg float32 ").append(java.util.Arrays.hashCode(fr)).append('\n');
        // 2x2 max pooling of a 30 x 30 float32 plane: the maxima's bits, the positions and the rows it took
        float[] plane = new float[900];
        for (int i = 0; i < plane.length; i++) {
            plane[i] = (float) a[i];
        }
        float[] y = new float[225];
        double[] where = new double[225];
        int rows = k.maxPool2x2(plane, 0, y, 0, where, 0, 30, 15, 15);
        sb.append("maxPool2x2 ").append(java.util.Arrays.hashCode(y)).append(' ').append(hash(where)).append(' ').append(rows)
                .append('\n');
        normColumns(k.normColumns(), a, sb);
        return sb.toString();
    }

    /** Batch normalization's column loops (each of the five, in both dtypes) on 10 rows of 77 columns, 83 apart. */
    private static void normColumns(NormColumnKernel c, double[] a, StringBuilder sb) {
        int rows = 10;
        int n = 77;
        int stride = 83;
        double[] x = new double[rows * stride];
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (a[i] / 100);
            g[i] = (float) (a[(i * 7) % a.length] / 300);
        }
        double[] mean = new double[n];
        double[] rstd = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            mean[i] = a[i + 100] / 50;
            rstd[i] = 0.5 + Math.abs(a[i + 200]) / 100;
            w[i] = a[i + 300] / 200;
        }
        float[] xf = new float[x.length];
        float[] gf = new float[x.length];
        float[] wf = new float[n];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
            gf[i] = (float) g[i];
        }
        for (int i = 0; i < n; i++) {
            wf[i] = (float) w[i];
        }
        double[] s = new double[n];
        double[] t = new double[n];
        double[] y = new double[x.length];
        float[] yf = new float[x.length];
        sb.append("normColumns");
        c.sums(x, 1, stride, rows, null, t, n);
        sb.append(' ').append(hash(t));
        c.normalize(x, 1, stride, rows, mean, rstd, w, mean, y, 3, n);
        sb.append(' ').append(hash(y));
        c.sums(xf, 1, stride, rows, null, t, n);
        sb.append(' ').append(hash(t));
        c.sums(x, 1, stride, rows, mean, s, n);
        c.gradientSums(g, 2, x, 1, stride, rows, mean, rstd, t, s, n);
        c.gradient(g, 2, x, 1, stride, rows, mean, rstd, t, s, w, y, 3, n);
        sb.append(' ').append(hash(s)).append(' ').append(hash(y));
        c.sums(xf, 1, stride, rows, mean, s, n);
        c.gradientSums(gf, 2, xf, 1, stride, rows, mean, rstd, t, s, n);
        c.gradient(gf, 2, xf, 1, stride, rows, mean, rstd, t, s, wf, yf, 3, n);
        sb.append(' ').append(hash(s)).append(' ').append(java.util.Arrays.hashCode(yf));
        c.normalize(xf, 1, stride, rows, mean, rstd, wf, wf, yf, 3, n);
        sb.append(' ').append(java.util.Arrays.hashCode(yf)).append('\n');
    }

    private static int hash(double[] r) {
        return java.util.Arrays.hashCode(r); // over each value's bits
    }

    /**
     * Prints the digest of the vector kernel.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.print(digest(KernelProvider.mathFor(KernelProvider.vectorKernelOrNull())));
    }
}
