package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact values of the elementwise family added with the comparisons: comparisons on NaN, ties and
 * signed zeros, where with broadcasting, tie splitting in maximum and minimum, the gradients of
 * pow at zero, erf against 200-bit values, and the range factories against PyTorch 1.13's output.
 */
class ElementwiseOpsTest {
    private static final double NAN = Double.NaN;

    @Test
    void negAbsAndSqrtGiveTheSameBitsAtAnyOffset() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(13);
        for (DType dtype : DType.values()) {
            // float64: the one-index loop for a contiguous input, the general one for a narrowed view
            // (offset 7); float32 neg and abs flip the sign bit, sqrt runs a float loop, at either offset
            Tensor view = Tensor.rand(rng, 307).mul(4).sub(1).to(dtype).narrow(0, 7, 300);
            Tensor copy = Tensor.of(view.toArray(), 300).to(dtype);
            double[] v = copy.toArray();
            for (String f : new String[] {"neg", "abs", "sqrt"}) {
                java.util.function.UnaryOperator<Tensor> op = switch (f) {
                    case "neg" -> Tensor::neg;
                    case "abs" -> Tensor::abs;
                    default -> Tensor::sqrt;
                };
                double[] expected = op.apply(copy).toArray();
                assertArrayEquals(expected, op.apply(view).toArray(), 0, dtype + " " + f);
                for (int i = 0; i < 300; i++) {
                    double d = switch (f) {
                        case "neg" -> -v[i];
                        case "abs" -> Math.abs(v[i]);
                        default -> Math.sqrt(v[i]);
                    };
                    assertEquals(dtype == DType.FLOAT32 ? (float) d : d, expected[i], 0, dtype + " " + f + " at " + i);
                }
            }
        }
    }

    @Test
    void logSoftmaxRowsGiveTheSameBitsAtAnyOffset() {
        // rows of 300: the one-index subtraction for an array at offset 0, the general loop for
        // rows 1-4 of five (a contiguous view at offset 300)
        java.util.SplittableRandom rng = new java.util.SplittableRandom(17);
        Tensor view = Tensor.randn(rng, 5, 300).mul(3).narrow(0, 1, 4);
        Tensor copy = Tensor.of(view.toArray(), 4, 300);
        double[] expected = copy.logSoftmax(1).toArray();
        assertArrayEquals(expected, view.logSoftmax(1).toArray(), 0, "view against copy");
        double[] v = copy.toArray();
        for (int row = 0; row < 4; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 300; j++) {
                max = Math.max(max, v[row * 300 + j]);
            }
            double sum = 0;
            for (int j = 0; j < 300; j++) {
                sum += Math.exp(v[row * 300 + j] - max);
            }
            for (int j = 0; j < 300; j++) {
                assertEquals((v[row * 300 + j] - max) - Math.log(sum), expected[row * 300 + j], 1e-12, "row " + row + " at " + j);
            }
        }
    }

    @Test
    void sigmoidAndTanhBackwardGiveTheSameBitsAtAnyOffset() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(12);
        for (DType dtype : DType.values()) {
            // 300 elements: the one-index loop where the operands share an offset, the general one
            // for a narrowed input (an offset of 7) and a narrowed gradient
            Tensor wide = Tensor.randn(rng, 307).to(dtype);
            Tensor gWide = Tensor.randn(rng, 307).to(dtype);
            Tensor view = wide.narrow(0, 7, 300);
            Tensor gView = gWide.narrow(0, 7, 300);
            Tensor copy = Tensor.of(view.toArray(), 300).to(dtype);
            Tensor gCopy = Tensor.of(gView.toArray(), 300).to(dtype);
            for (boolean tanh : new boolean[] {true, false}) {
                Tensor a = copy.detach().requiresGrad(true);
                Tensor b = view.detach().requiresGrad(true);
                (tanh ? a.tanh() : a.sigmoid()).backward(gCopy);
                (tanh ? b.tanh() : b.sigmoid()).backward(gView);
                double[] expected = a.grad().toArray();
                assertArrayEquals(expected, b.grad().toArray(), 0, dtype + (tanh ? " tanh" : " sigmoid"));
                double[] y = (tanh ? copy.tanh() : copy.sigmoid()).toArray();
                double[] g = gCopy.toArray();
                for (int i = 0; i < 300; i++) {
                    double d = tanh ? g[i] * (1 - y[i] * y[i]) : g[i] * (1 - y[i]) * y[i];
                    assertEquals(dtype == DType.FLOAT32 ? (float) d : d, expected[i], 0, "the formula at " + i);
                }
            }
        }
    }

    @Test
    void comparisonsFollowIeeeAndNanComparesFalse() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, NAN, -0.0, NAN});
        Tensor b = Tensor.of(new double[] {2, 2, 2, 1, 0.0, NAN});
        assertArrayEquals(new double[] {0, 0, 1, 0, 0, 0}, a.gt(b).toArray());
        assertArrayEquals(new double[] {0, 1, 1, 0, 1, 0}, a.ge(b).toArray());
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 0}, a.lt(b).toArray());
        assertArrayEquals(new double[] {1, 1, 0, 0, 1, 0}, a.le(b).toArray());
        assertArrayEquals(new double[] {0, 1, 0, 0, 1, 0}, a.eq(b).toArray());
        assertArrayEquals(new double[] {0, 1, 0, 0, 0, 0}, a.eq(2).toArray());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0}, a.eq(NAN).toArray());
        assertArrayEquals(new double[] {1, 1, 1, 0, 0, 0}, a.gt(0).toArray());
        assertArrayEquals(new double[] {0, 0, 0, 0, 1, 0}, a.le(0).toArray());
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0}, a.lt(2).toArray());
        assertArrayEquals(new double[] {0, 1, 1, 0, 0, 0}, a.ge(2).toArray());
    }

    @Test
    void comparisonsBroadcastLikeAdd() {
        Tensor a = Tensor.of(new double[][] {{1, 5}, {3, 0}});
        Tensor b = Tensor.of(new double[] {2, 1});
        Tensor r = a.gt(b);
        assertArrayEquals(new int[] {2, 2}, r.shape());
        assertArrayEquals(new double[] {0, 1, 1, 0}, r.toArray());
        assertArrayEquals(new double[] {0, 1, 1, 0}, b.lt(a).toArray());
        assertArrayEquals(new int[] {3, 2}, Tensor.zeros(3, 1).le(Tensor.zeros(2)).shape());
    }

    @Test
    void comparisonsNeverRequireGrad() {
        Tensor x = Tensor.of(new double[] {1, -2, 3}).requiresGrad(true);
        Tensor y = x.mul(2);
        for (Tensor r : List.of(x.gt(y), x.ge(y), x.lt(y), x.le(y), x.eq(y), y.gt(0), y.ge(0), y.lt(0), y.le(0), y.eq(2))) {
            assertFalse(r.requiresGrad());
            assertTrue(r.isLeaf());
            assertNull(r.gradFnName());
        }
    }

    @Test
    void wherePicksByConditionAndBroadcasts() {
        Tensor condition = Tensor.of(new double[] {1, 0, NAN});               // [3]: NaN is non-zero
        Tensor a = Tensor.of(new double[][] {{10}, {20}}).requiresGrad(true); // [2, 1]
        Tensor b = Tensor.scalar(-1).requiresGrad(true);                      // []
        Tensor r = Tensor.where(condition, a, b);
        assertArrayEquals(new int[] {2, 3}, r.shape());
        assertArrayEquals(new double[] {10, -1, 10, 20, -1, 20}, r.toArray());
        r.mul(Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}})).sum().backward();
        assertArrayEquals(new double[] {1 + 3, 4 + 6}, a.grad().toArray());
        assertArrayEquals(new double[] {2 + 5}, b.grad().reshape(1).toArray());
    }

    @Test
    void whereGivesTheConditionNoGradient() {
        Tensor condition = Tensor.of(new double[] {1, 0}).requiresGrad(true);
        Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {3, 4}).requiresGrad(true);
        Tensor.where(condition, a, b).sum().backward();
        assertNull(condition.grad());
        assertArrayEquals(new double[] {1, 0}, a.grad().toArray());
        assertArrayEquals(new double[] {0, 1}, b.grad().toArray());
    }

    @Test
    void maximumAndMinimumSplitTheGradientEvenlyAtTies() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, NAN}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {2, 2, 1, 1}).requiresGrad(true);
        Tensor max = a.maximum(b);
        assertArrayEquals(new double[] {2, 2, 3, NAN}, max.toArray());
        max.sum().backward();
        // NaN: both operands get the whole gradient, as PyTorch's maximum backward gives
        assertArrayEquals(new double[] {0, 0.5, 1, 1}, a.grad().toArray());
        assertArrayEquals(new double[] {1, 0.5, 0, 1}, b.grad().toArray());
        a.zeroGrad();
        b.zeroGrad();
        Tensor min = a.minimum(b);
        assertArrayEquals(new double[] {1, 2, 1, NAN}, min.toArray());
        min.mul(4).sum().backward();
        assertArrayEquals(new double[] {4, 2, 0, 4}, a.grad().toArray());
        assertArrayEquals(new double[] {0, 2, 4, 4}, b.grad().toArray());
    }

    @Test
    void maximumBroadcastsAndSumsTheGradientBack() {
        Tensor a = Tensor.of(new double[][] {{1, 5}, {3, 0}}).requiresGrad(true);
        Tensor b = Tensor.scalar(2).requiresGrad(true);
        Tensor r = a.maximum(b);
        assertArrayEquals(new double[] {2, 5, 3, 2}, r.toArray());
        r.sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 0}, a.grad().toArray());
        assertEquals(2.0, b.grad().item());
        // signed zeros: +0 is the larger, in either order
        double max = Tensor.scalar(-0.0).maximum(Tensor.scalar(0.0)).item();
        double min = Tensor.scalar(0.0).minimum(Tensor.scalar(-0.0)).item();
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(max));
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(min));
    }

    @Test
    void powGradientsAtZeroAreThoseOfPyTorch() {
        // recorded from PyTorch 1.13: x^e, d/dx and d/de at (0, 0), (0, 1), (0, -1), (-0, 2), (2, 0), (-2, 0.5)
        Tensor x = Tensor.of(new double[] {0, 0, 0, -0.0, 2, -2}).requiresGrad(true);
        Tensor e = Tensor.of(new double[] {0, 1, -1, 2, 0, 0.5}).requiresGrad(true);
        Tensor y = x.pow(e);
        assertArrayEquals(new double[] {1, 0, Double.POSITIVE_INFINITY, 0, 1, NAN}, y.toArray());
        List<Tensor> g = Autograd.grad(y.sum(), List.of(x, e), false);
        assertArrayEquals(new double[] {0, 1, Double.NEGATIVE_INFINITY, -0.0, 0, NAN}, g.get(0).toArray());
        assertArrayEquals(new double[] {0, 0, Double.NEGATIVE_INFINITY, 0, Math.log(2), NAN}, g.get(1).toArray());
        // C99's pow: 1^NaN = 1 and (-1)^inf = 1
        assertArrayEquals(new double[] {1, 1}, Tensor.of(new double[] {1, -1}).pow(Tensor.of(new double[] {NAN, Double.POSITIVE_INFINITY})).toArray());
    }

    @Test
    void erfIsWithinOneUlpOfTheCorrectlyRoundedValue() {
        // {x, erf(x)} correctly rounded, from mpmath at 200 bits
        double[][] table = {
            {1e-300, 1.1283791670955126e-300}, {5e-324, 5e-324}, {1e-10, 1.1283791670955126e-10},
            {0.001, 0.0011283787909692365}, {0.1, 0.1124629160182849}, {0.3, 0.3286267594591274},
            {0.5, 0.5204998778130465}, {0.7, 0.6778011938374184}, {0.9, 0.7969082124228322},
            {0.99, 0.8385080695553698}, {1.0, 0.8427007929497149}, {1.1, 0.8802050695740817},
            {1.3, 0.9340079449406524}, {1.7, 0.9837904585907745}, {2.0, 0.9953222650189527},
            {2.4, 0.999311486103355}, {2.6, 0.9997639655834707}, {3.0, 0.9999779095030014},
            {3.7, 0.9999998328489421}, {4.5, 0.9999999998033839}, {5.5, 0.9999999999999927},
            {5.9, 0.9999999999999999}, {6.0, 1.0}, {7.0, 1.0}};
        for (double[] row : table) {
            for (double sign : new double[] {1, -1}) {
                double x = sign * row[0];
                double actual = Tensor.scalar(x).erf().item();
                double expected = sign * row[1];
                assertTrue(Math.abs(actual - expected) <= Math.ulp(expected), "erf(" + x + ") = " + actual + ", expected " + expected);
            }
        }
        double[] special = Tensor.of(new double[] {-0.0, NAN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}).erf().toArray();
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(special[0]));
        assertTrue(Double.isNaN(special[1]));
        assertEquals(1.0, special[2]);
        assertEquals(-1.0, special[3]);
    }

    @Test
    void erfIsWithinOneUlpOnEachSideOfItsBranches() throws java.io.IOException {
        // 1,526 points, each side of 1 and of 6 (where the branches meet) among them, against mpmath at 40 digits
        java.util.List<String> lines;
        try (java.io.InputStream in = ElementwiseOpsTest.class.getResourceAsStream("/erf-mpmath.txt")) {
            lines = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines().filter(l -> !l.startsWith("#")).toList();
        }
        assertTrue(lines.size() > 1500, "the table: " + lines.size() + " lines");
        double[] x = new double[lines.size()];
        double[] expected = new double[lines.size()];
        for (int i = 0; i < x.length; i++) {
            String[] pair = lines.get(i).split(" ");
            x[i] = Double.parseDouble(pair[0]);
            expected[i] = Double.parseDouble(pair[1]);
        }
        // the whole array (its blocks split over threads) and each value alone (a scalar): the same bits
        double[] all = Tensor.of(x).erf().toArray();
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(all[i] - expected[i]) <= Math.ulp(expected[i]), "erf(" + x[i] + ") = " + all[i] + ", expected " + expected[i]);
            assertEquals(Double.doubleToLongBits(all[i]), Double.doubleToLongBits(Tensor.scalar(x[i]).erf().item()), "erf(" + x[i] + ") alone");
        }
    }

    @Test
    void geluIsItsCompositeInFloat64AndXPhiOfXInFloat32() {
        // float64: the bits of x * 0.5 * (1 + erf(x * (1 / sqrt 2))) op by op, at every length.
        // float32: x Phi(x), Phi without 1 + erf: within 6 ulps of the correctly rounded gelu from the
        // math kernel's length on (float32 arithmetic), the float64 value rounded below it; where the
        // float32 composite cancels (x = -6: no correct digit), it is within those ulps too. A
        // transposed float32 view gives its contiguous copy's bits
        java.util.SplittableRandom rng = new java.util.SplittableRandom(41);
        for (int n : new int[] {1, 7, 63, 64, 65, 700, 1500}) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rng.nextInt(9) == 0 ? new double[] {0.0, -0.0, 5.5, -5.5, -6, -9.4, -12, 1e-30, NAN, Double.POSITIVE_INFINITY}[rng.nextInt(10)]
                        : rng.nextGaussian() * 2;
            }
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                Tensor x = Tensor.of(v).to(dtype);
                if (dtype == DType.FLOAT64) {
                    Tensor composite = x.mul(0.5).mul(x.mul(Math.sqrt(0.5)).erf().add(1.0));
                    assertArrayEquals(composite.toArray(), x.gelu().toArray(), dtype + " n=" + n);
                    continue;
                }
                float[] actual = x.gelu().toFloatArray();
                float[] in = x.toFloatArray();
                for (int i = 0; i < n; i++) {
                    // the reference: Phi by commons-math's erfc (the float input exactly)
                    double exact = in[i] * 0.5 * org.apache.commons.math3.special.Erf.erfc(-in[i] / Math.sqrt(2));
                    float expected = (float) exact;
                    boolean close = Float.isNaN(expected) ? Float.isNaN(actual[i])
                            : Float.isInfinite(expected) ? expected == actual[i]
                            : Math.abs(actual[i] - expected) <= (n >= 64 ? 6 : 1) * Math.ulp(expected);
                    assertTrue(close, "float32 n=" + n + " gelu(" + in[i] + ") = " + actual[i] + ", expected " + expected);
                }
            }
        }
        Tensor m = Tensor.randn(DType.FLOAT32, rng, 40, 30);
        Tensor copy = Tensor.of(m.transpose().toFloatArray(), 30, 40);
        assertArrayEquals(copy.gelu().toArray(), m.transpose().gelu().toArray(), "a transposed view");
    }

    /**
     * A fused activation's first and second derivatives against autograd through its composite, on a
     * short run and one long enough for the math kernel, in both dtypes: within 8 rounding errors of
     * terms up to twice the weight (the derivatives' sums have terms up to about 1.1).
     */
    private static void assertFusedBackwardMatchesComposite(String name, java.util.function.UnaryOperator<Tensor> fused,
                                                            java.util.function.UnaryOperator<Tensor> composite, long seed, double[] specials, double spread) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (int n : new int[] {9, 700}) {
            double[] v = new double[n];
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rng.nextInt(10) == 0 ? specials[rng.nextInt(specials.length)] : rng.nextGaussian() * spread;
                w[i] = rng.nextGaussian();
            }
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                double eps = dtype == DType.FLOAT64 ? 0x1p-52 : 0x1p-23;
                Tensor weights = Tensor.of(w).to(dtype);
                Tensor x = Tensor.of(v).to(dtype).requiresGrad(true);
                List<Tensor> first = Autograd.grad(fused.apply(x).mul(weights).sum(), List.of(x), true);
                List<Tensor> reference = Autograd.grad(composite.apply(x).mul(weights).sum(), List.of(x), true);
                double[] g1 = first.get(0).toArray();
                double[] r1 = reference.get(0).toArray();
                double[] g2 = Autograd.grad(first.get(0).sum(), List.of(x), false).get(0).toArray();
                double[] r2 = Autograd.grad(reference.get(0).sum(), List.of(x), false).get(0).toArray();
                for (int i = 0; i < n; i++) {
                    double scale = Math.abs(w[i]) * 2;
                    assertEquals(r1[i], g1[i], 8 * eps * scale, dtype + " n=" + n + " " + name + "'(" + v[i] + ")");
                    assertEquals(r2[i], g2[i], 8 * eps * scale, dtype + " n=" + n + " " + name + "''(" + v[i] + ")");
                }
            }
        }
    }

    @Test
    void gelusFusedBackwardMatchesTheCompositesDerivatives() {
        // Phi(x) + x phi(x) and phi(x) (2 - x^2), against x * 0.5 * (1 + erf(x / sqrt 2))
        assertFusedBackwardMatchesComposite("gelu", Tensor::gelu, x -> x.mul(0.5).mul(x.mul(Math.sqrt(0.5)).erf().add(1.0)), 42,
                new double[] {0.0, -0.0, -0.7518, 6.5, -6.5, 40, -40}, 2);
    }

    @Test
    void siluIsItsCompositeInOnePass() {
        // x * sigmoid(x)'s bits, both dtypes, at every length and on a transposed view
        java.util.SplittableRandom rng = new java.util.SplittableRandom(44);
        for (int n : new int[] {1, 63, 64, 65, 700, 1500}) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rng.nextInt(9) == 0 ? new double[] {0.0, -0.0, 90, -90, -800, 1e-30, NAN, Double.NEGATIVE_INFINITY}[rng.nextInt(8)]
                        : rng.nextGaussian() * 4;
            }
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                Tensor x = Tensor.of(v).to(dtype);
                assertArrayEquals(x.mul(x.sigmoid()).toArray(), x.silu().toArray(), dtype + " n=" + n);
            }
        }
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            Tensor m = Tensor.randn(dtype, rng, 40, 30).transpose();
            assertArrayEquals(m.mul(m.sigmoid()).toArray(), m.silu().toArray(), dtype + " a transposed view");
        }
    }

    @Test
    void silusFusedBackwardMatchesTheCompositesDerivatives() {
        // s (1 + x (1 - s)) and s (1 - s)(2 + x (1 - 2s)), against x * sigmoid(x)
        assertFusedBackwardMatchesComposite("silu", Tensor::silu, x -> x.mul(x.sigmoid()), 43,
                new double[] {0.0, -0.0, 20, -20, 40, -40, 100}, 3);
    }

    @Test
    void float32GelusGradientKeepsItsPrecisionForNegativeInputs() {
        // where 1 + erf would cancel (x below about -5 in float32): against Phi(x) + x phi(x) in
        // float64 by commons-math's erfc, on a short run (float64 rounded: 2 ulps) and a long one
        // (float32 arithmetic: 10)
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (int n : new int[] {9, 700}) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = -3 - 6.4 * rng.nextDouble();
            }
            Tensor x = Tensor.of(v).to(DType.FLOAT32).requiresGrad(true);
            float[] in = x.toFloatArray();
            float[] grad = Autograd.grad(x.gelu().sum(), List.of(x), false).get(0).toFloatArray();
            for (int i = 0; i < n; i++) {
                double t = in[i];
                double exact = 0.5 * org.apache.commons.math3.special.Erf.erfc(-t / Math.sqrt(2)) + t * Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
                double bound = (n < 64 ? 2 : 10) * Math.ulp((float) exact);
                assertEquals(exact, grad[i], bound, "n=" + n + " gelu'(" + t + ")");
            }
        }
    }

    @Test
    void activationsAtKnownPoints() {
        Tensor x = Tensor.of(new double[] {-2, -0.0, 0, 1.5});
        assertArrayEquals(new double[] {-0.02, -0.0, 0, 1.5}, x.leakyRelu(0.01).toArray());
        assertEquals(1.5 * 0.5 * (1 + 0.8663855974622839), x.gelu().toArray()[3], 1e-15);
        assertEquals(-2 / (1 + Math.exp(2)), x.silu().toArray()[0], 1e-15);
        Tensor v = Tensor.of(new double[] {-2, 0, 3}).requiresGrad(true);
        v.leakyRelu(0.1).sum().backward();
        // at 0 the gradient is the slope, as PyTorch's
        assertArrayEquals(new double[] {0.1, 0.1, 1}, v.grad().toArray());
    }

    @Test
    void vectorsAndMatricesFromArrays() {
        Tensor v = Tensor.of(new double[] {1, 2, 3});
        assertArrayEquals(new int[] {3}, v.shape());
        assertArrayEquals(new int[] {0}, Tensor.of(new double[0]).shape());
        Tensor m = Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}});
        assertArrayEquals(new int[] {2, 3}, m.shape());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, m.toArray());
        assertArrayEquals(new int[] {0, 0}, Tensor.of(new double[0][]).shape());
        assertArrayEquals(new int[] {2, 0}, Tensor.of(new double[2][0]).shape());
        // a copy: later changes to the array do not reach the tensor
        double[][] rows = {{1}};
        Tensor copy = Tensor.of(rows);
        rows[0][0] = 7;
        assertEquals(1.0, copy.item());
    }

    @Test
    void arangeHasPyTorchsLengthsAndValues() {
        // torch.arange(0, 1, 0.1) has 10 elements (1 / 0.1 rounds to 10)
        assertArrayEquals(new double[] {0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9},
                Tensor.arange(0, 1, 0.1).toArray());
        assertArrayEquals(new double[] {1.0, 1.5, 2.0}, Tensor.arange(1, 2.5, 0.5).toArray());
        assertArrayEquals(new double[] {0, 3, 6, 9}, Tensor.arange(0, 10, 3).toArray());
        assertArrayEquals(new double[] {5.0, 3.5, 2.0, 0.5}, Tensor.arange(5, 0, -1.5).toArray());
        assertArrayEquals(new int[] {0}, Tensor.arange(2, 2, 1).shape());
        assertArrayEquals(new int[] {1}, Tensor.arange(0, 1e-9, 1).shape());
    }

    @Test
    void linspaceEndpointsAreExact() {
        for (int n = 2; n < 40; n++) {
            double[] v = Tensor.linspace(-1.3, 2.7, n).toArray();
            assertEquals(n, v.length);
            assertEquals(-1.3, v[0]);
            assertEquals(2.7, v[n - 1]);
            for (int i = 1; i < n; i++) {
                assertTrue(v[i] > v[i - 1], "linspace(-1.3, 2.7, " + n + ") is not increasing at " + i);
            }
        }
        assertArrayEquals(new double[] {-1.3}, Tensor.linspace(-1.3, 2.7, 1).toArray());
        assertArrayEquals(new int[] {0}, Tensor.linspace(0, 1, 0).shape());
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, Tensor.linspace(0, 1, 5).toArray());
        assertArrayEquals(new double[] {1, 0.5, 0}, Tensor.linspace(1, 0, 3).toArray());
    }

    @Test
    void eyeIsTheIdentity() {
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, Tensor.eye(3).toArray());
        assertArrayEquals(new int[] {0, 0}, Tensor.eye(0).shape());
        Tensor m = Tensor.of(new double[][] {{1, 2}, {3, 4}});
        assertArrayEquals(m.toArray(), Tensor.eye(2).matmul(m).toArray());
    }
}
