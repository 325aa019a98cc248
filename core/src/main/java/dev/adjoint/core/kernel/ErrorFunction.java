package dev.adjoint.core.kernel;

/**
 * The error function {@code erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt} in double precision, by a
 * fixed sequence of exact IEEE operations (add, multiply, fma, divide, bit moves): the same bits
 * compiled or interpreted, and in both math kernels ({@link VectorErf}'s loops are these
 * operations lane by lane). Within 1 ulp of the correctly rounded value (ElementwiseOpsTest holds
 * it to mpmath's values; the measurements are in bench/RESULTS.md), odd (so {@code erf(-0) = -0}),
 * within 1 ulp for subnormals, {@code +-1} from 6 on (erf rounds to 1 from 5.93) and NaN for NaN.
 *
 * <p>Below 1 in magnitude: {@code erf(x) = x + x S(x^2)} with {@code S(u) = erf(sqrt u) / sqrt u -
 * 1}, a polynomial of degree 11. From 1 to 6: {@code 1 - erfc(|x|)} with x's sign, {@code erfc(x) =
 * e^(-x^2) G(t)} with {@code t = (x - 3) / (x + 3)} in [-1/2, 1/3] and G a polynomial of degree 16
 * (the change of variable makes one polynomial enough where x itself would need five). Both are
 * Chebyshev fits by mpmath's {@code chebyfit} at 50 digits, of {@code erf(sqrt u) / sqrt u - 1} on
 * [0, 1] and of {@code erfc(x) e^(x^2)} in t, coefficients rounded to double, evaluated by Estrin's
 * scheme. {@code e^(-x^2) = e^(-h) (1 - l)} with {@code x^2 = h + l} exactly (one fma), {@code
 * e^(-h)} by {@link ExpSeries#expPoly}: x^2's rounding error would otherwise grow with x^2 in erfc.
 */
final class ErrorFunction {
    private ErrorFunction() {
    }

    /** Below this magnitude the series S; from here on 1 - erfc. */
    static final double SMALL = 1.0;
    /** From here on erf is +-1 (it rounds to 1 from 5.93). */
    static final double ONE_FROM = 6.0;
    /** t = (x - MIDDLE) / (x + MIDDLE). */
    static final double MIDDLE = 3.0;
    /** S(u) = erf(sqrt u) / sqrt u - 1 on [0, 1]: coefficients of u^k, lowest k first. */
    static final double S0 = 0.12837916709551256, S1 = -0.37612638903183543, S2 = 0.11283791670945006,
            S3 = -0.02686617064323777, S4 = 0.0052239776071164225, S5 = -0.0008548325975389692,
            S6 = 0.00012055294904839707, S7 = -1.492473690741966e-05, S8 = 1.6447424703317362e-06,
            S9 = -1.6208483801871705e-07, S10 = 1.3720064546777686e-08, S11 = -7.795898827002142e-10;
    /** G(t) = erfc(x) e^(x^2), x = 3 (1 + t) / (1 - t), on [-1/2, 1/3]: coefficients of t^k, lowest k first. */
    static final double G0 = 0.17900115118138996, G1 = -0.3262335600430372, G2 = 0.24560380171233093,
            G3 = -0.15011593650077582, G4 = 0.07166583719797331, G5 = -0.024392499318790735,
            G6 = 0.004269136333077869, G7 = 0.0007077464435611972, G8 = -0.0005970619531815352,
            G9 = 4.525520140579536e-05, G10 = 6.405657794051666e-05, G11 = -1.2859347351455289e-05,
            G12 = -7.977696579644072e-06, G13 = 2.1124428949403864e-06, G14 = 1.2459620847174093e-06,
            G15 = -2.6915157592850126e-07, G16 = -2.0355575642200858e-07;

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < SMALL) {
            return Math.fma(x, series(x * x), x);
        }
        if (!(ax < ONE_FROM)) {
            return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        }
        return Math.copySign(1.0 - erfc(ax), x);
    }

    private static final double ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
    /** Terms of erfc's asymptotic series from 6 on: the next is below 3e-15 of the sum. */
    private static final int ASYMPTOTIC_TERMS = 24;

    /**
     * The standard normal distribution function {@code Phi(x) = erfc(-x / sqrt 2) / 2}, to a relative
     * error far below float32's (about 1e-13 at worst, from x / sqrt 2's rounding far out) wherever
     * Phi is a normal double (x above about -37.5): below 0 it takes erfc itself, not {@code 1 + erf(x / sqrt 2)}, whose cancellation leaves
     * no correct digit below about -8. For float32 gelu ({@link Float32Arithmetic}), whose float64
     * results it rounds. NaN for NaN.
     */
    static double normalCdf(double x) {
        if (!(x < 0)) {
            return 0.5 * (1 + erf(x * Elementwise.SQRT_HALF));
        }
        double u = -x * Elementwise.SQRT_HALF;
        if (u < SMALL) {
            return 0.5 * (1 - erf(u));
        }
        if (u < ONE_FROM) {
            return 0.5 * erfc(u);
        }
        // erfc(u) = e^(-u^2) / (u sqrt pi) (1 - 1/(2u^2) + 3/(2u^2)^2 - 15/(2u^2)^3 + ...)
        double v = 1 / (2 * u * u);
        double sum = 1;
        double term = 1;
        for (int n = 1; n <= ASYMPTOTIC_TERMS; n++) {
            term *= -(2 * n - 1) * v;
            sum += term;
        }
        return 0.5 * ExpSeries.exp(-u * u) * ONE_OVER_SQRT_PI / u * sum;
    }

    /** gelu(x) = x Phi(x) by {@link #normalCdf}: what float32 gelu rounds where it does not compute in float32 arithmetic. */
    static double gelu(double x) {
        return x * normalCdf(x);
    }

    /**
     * gelu's backward {@code g (Phi(x) + x phi(x))} by {@link #normalCdf}, the density by {@link
     * ExpSeries#exp}: what float32 gelu's backward rounds where it does not compute in float32
     * arithmetic (float64's {@link Elementwise#geluGrad} keeps PyTorch's {@code 1 + erf}).
     */
    static double geluGrad(double g, double x) {
        return g * (normalCdf(x) + x * (ExpSeries.exp(-0.5 * x * x) * Elementwise.INVERSE_SQRT_TWO_PI));
    }

    /** S(u) by Estrin's scheme. */
    private static double series(double u) {
        double u2 = u * u;
        double u4 = u2 * u2;
        double u8 = u4 * u4;
        double p0 = Math.fma(Math.fma(S3, u, S2), u2, Math.fma(S1, u, S0));
        double p1 = Math.fma(Math.fma(S7, u, S6), u2, Math.fma(S5, u, S4));
        double p2 = Math.fma(Math.fma(S11, u, S10), u2, Math.fma(S9, u, S8));
        return Math.fma(p2, u8, Math.fma(p1, u4, p0));
    }

    /** erfc(ax) for 1 <= ax < 6. */
    static double erfc(double ax) {
        double h = ax * ax;
        double l = Math.fma(ax, ax, -h);
        double e = ExpSeries.expPoly(-h);
        double t = (ax - MIDDLE) / (ax + MIDDLE);
        double t2 = t * t;
        double t4 = t2 * t2;
        double t8 = t4 * t4;
        double q0 = Math.fma(Math.fma(G3, t, G2), t2, Math.fma(G1, t, G0));
        double q1 = Math.fma(Math.fma(G7, t, G6), t2, Math.fma(G5, t, G4));
        double q2 = Math.fma(Math.fma(G11, t, G10), t2, Math.fma(G9, t, G8));
        double q3 = Math.fma(Math.fma(G15, t, G14), t2, Math.fma(G13, t, G12));
        double g = Math.fma(Math.fma(G16, t8, Math.fma(q3, t4, q2)), t8, Math.fma(q1, t4, q0));
        return Math.fma(-e, l, e) * g;
    }
}
