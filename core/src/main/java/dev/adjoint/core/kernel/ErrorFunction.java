package dev.adjoint.core.kernel;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * The error function {@code erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt} in double precision, within 3
 * ulps of the correctly rounded value (ElementwiseOpsTest holds it to mpmath's values; the
 * measurements are in bench/RESULTS.md), odd (so {@code erf(-0) = -0}), within 1 ulp for
 * subnormals, {@code +-1} from 6 on and NaN for NaN. A fixed number of operations per value, with
 * no loop to convergence.
 *
 * <p>Below 1 in magnitude: {@code erf(x) = 2/sqrt(pi) x e^(-x^2) S(2 x^2)} with {@code S(y) = sum y^n
 * / (2n + 1)!!}, a series of positive terms (twenty), by Horner's rule. From 1 to 4: {@code 1 -
 * erfc(x)} with {@code erfc(x) = e^(-x^2) h(x)}, h a polynomial of degree 12 to 14 in x minus the
 * middle of each of five intervals, fitted to {@code erfc(x) e^(x^2)} (Chebyshev fits by mpmath's
 * {@code chebyfit} at 50 digits, coefficients rounded to double). From 4 to 6: Laplace's continued
 * fraction {@code erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))},
 * ten terms, whose error there is far below an ulp of 1 - erfc. {@code e^(-x^2)} takes the
 * rounding error of {@code x^2} into account, whose effect on erfc grows with x^2.
 */
final class ErrorFunction {
    private ErrorFunction() {
    }

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    /** Terms of the continued fraction from 4 on. */
    private static final int FRACTION_TERMS = 10;
    /** 1 / (2n + 1)!! for n = 0 to 19, each rounded once. */
    private static final double[] INVERSE_DOUBLE_FACTORIALS = inverseDoubleFactorials(20);

    /** erfc(x) e^(x^2) on [1, 1.5): coefficients of (x - 1.25)^k, highest k first. */
    private static final double[] H_1_1p5 = {
        4.887229880775173e-07, -1.6632665035773791e-06, 5.394803262378592e-06,
        -1.7341014492670602e-05, 5.405410070923268e-05, -0.00016296015585453164,
        0.0004739703092322156, -0.0013257829259341594, 0.003553109903243474,
        -0.009081627632983702, 0.022011364250857087, -0.050218274395907286,
        0.1067955714965988, -0.20882187596460985, 0.3678229164523611,
    };
    /** erfc(x) e^(x^2) on [1.5, 2): coefficients of (x - 1.75)^k, highest k first. */
    private static final double[] H_1p5_2 = {
        8.39673108255344e-07, -2.974613371329766e-06, 1.0085700886432653e-05,
        -3.375169827943583e-05, 0.00010950532535839581, -0.0003435334907935854,
        0.001039204521771997, -0.0030209746489200107, 0.008404319207334107,
        -0.022259995241407905, 0.055763630087087256, -0.13097634551448517,
        0.2849722347374364,
    };
    /** erfc(x) e^(x^2) on [2, 2.5): coefficients of (x - 2.25)^k, highest k first. */
    private static final double[] H_2_2p5 = {
        1.513275262314643e-07, -5.883282657263032e-07, 2.2028736439181116e-06,
        -8.149680629782392e-06, 2.935325293033614e-05, -0.00010272110378129762,
        0.00034853542194411975, -0.0011437284832410775, 0.003618995354358873,
        -0.011002060756443272, 0.03199262741070626, -0.08848650280874915,
        0.23108725873039188,
    };
    /** erfc(x) e^(x^2) on [2.5, 3): coefficients of (x - 2.75)^k, highest k first. */
    private static final double[] H_2p5_3 = {
        3.154240525304326e-08, -1.3409717925357684e-07, 5.519497472530419e-07,
        -2.247258217659835e-06, 8.94015702656911e-06, -3.469861390256048e-05,
        0.00013118180051258774, -0.00048219508490217707, 0.0017195818852893537,
        -0.005934337896998593, 0.019758592987322864, -0.06323763756063484,
        0.1936620962790687,
    };
    /** erfc(x) e^(x^2) on [3, 4): coefficients of (x - 3.5)^k, highest k first. */
    private static final double[] H_3_4 = {
        1.5981815899094853e-10, -7.971848938959326e-10, 3.764843244262652e-09,
        -1.816549302673174e-08, 8.622012306201682e-08, -4.017419077698321e-07,
        1.8371878077863912e-06, -8.237986344257561e-06, 3.618170436366868e-05,
        -0.00015546891823837533, 0.0006526863268788441, -0.0026730744396433895,
        0.010661133192510575, -0.041323577833252495, 0.1552936556088943,
    };

    private static double[] inverseDoubleFactorials(int n) {
        double[] d = new double[n];
        BigDecimal f = BigDecimal.ONE;
        for (int k = 0; k < n; k++) {
            f = f.multiply(BigDecimal.valueOf(2L * k + 1));
            d[k] = BigDecimal.ONE.divide(f, MathContext.DECIMAL128).doubleValue();
        }
        return d;
    }

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 1.0) {
            double[] d = INVERSE_DOUBLE_FACTORIALS;
            double y = 2 * x * x;
            double s = d[d.length - 1];
            for (int k = d.length - 2; k >= 0; k--) {
                s = Math.fma(s, y, d[k]);
            }
            return TWO_OVER_SQRT_PI * x * (expOfMinusSquare(ax) * s);
        }
        if (!(ax < 6.0)) {
            return Double.isNaN(x) ? x : Math.copySign(1.0, x);
        }
        double erfc;
        if (ax < 4.0) {
            double[] h;
            double middle;
            if (ax < 2.0) {
                h = ax < 1.5 ? H_1_1p5 : H_1p5_2;
                middle = ax < 1.5 ? 1.25 : 1.75;
            } else if (ax < 3.0) {
                h = ax < 2.5 ? H_2_2p5 : H_2p5_3;
                middle = ax < 2.5 ? 2.25 : 2.75;
            } else {
                h = H_3_4;
                middle = 3.5;
            }
            double t = ax - middle;
            double p = h[0];
            for (int k = 1; k < h.length; k++) {
                p = Math.fma(p, t, h[k]);
            }
            erfc = expOfMinusSquare(ax) * p;
        } else {
            double f = ax;
            for (int k = FRACTION_TERMS; k >= 1; k--) {
                f = ax + (0.5 * k) / f;
            }
            erfc = expOfMinusSquare(ax) * ONE_OVER_SQRT_PI / f;
        }
        return Math.copySign(1.0 - erfc, x);
    }

    /**
     * {@code e^(-x^2)} for {@code |x| < 6}: x^2 = hi + lo exactly (Dekker's product), and
     * {@code e^(-hi - lo) = e^(-hi) (1 - lo)} to within lo^2.
     */
    private static double expOfMinusSquare(double x) {
        double hi = x * x;
        double c = 134217729.0 * x;
        double xh = c - (c - x);
        double xl = x - xh;
        double lo = ((xh * xh - hi) + 2 * xh * xl) + xl * xl;
        return Math.exp(-hi) * (1 - lo);
    }
}
