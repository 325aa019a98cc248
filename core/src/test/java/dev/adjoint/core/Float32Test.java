package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** float32 tensors: creation, conversion, the refusal to mix dtypes, and gradients in their tensor's dtype. */
class Float32Test {

    @Test
    void creationKeepsTheDtypeAndTheValues() {
        Tensor x = Tensor.of(new float[] {1.5f, -2f, 0.1f}, 3);
        assertEquals(DType.FLOAT32, x.dtype());
        assertArrayEquals(new float[] {1.5f, -2f, 0.1f}, x.toFloatArray());
        // toArray widens exactly
        assertEquals((double) 0.1f, x.toArray()[2]);
        assertEquals(DType.FLOAT64, Tensor.zeros(2).dtype());
        assertEquals(DType.FLOAT32, Tensor.zeros(DType.FLOAT32, 2, 2).dtype());
        assertEquals(DType.FLOAT32, Tensor.ones(DType.FLOAT32, 2).dtype());
        assertEquals((double) 0.1f, Tensor.full(DType.FLOAT32, 0.1, 1).item());
        assertEquals(DType.FLOAT32, Tensor.of(new float[] {1, 2}).dtype());
        assertEquals(0, Tensor.of(new float[] {3}, new int[0]).rank());
    }

    @Test
    void randFloat32StaysBelowOne() {
        SplittableRandom rng = new SplittableRandom(1);
        float[] v = Tensor.rand(DType.FLOAT32, rng, 10_000).toFloatArray();
        for (float f : v) {
            assertTrue(f >= 0f && f < 1f, "sample " + f);
        }
        Tensor n = Tensor.randn(DType.FLOAT32, new SplittableRandom(2), 5);
        Tensor n64 = Tensor.randn(DType.FLOAT64, new SplittableRandom(2), 5);
        assertArrayEquals(n64.toFloatArray(), n.toFloatArray());
    }

    @Test
    void conversionRoundsAndIsTheIdentityWhenTheDtypeAgrees() {
        Tensor x = Tensor.of(new double[] {0.1, 1e-50, 3.0}, 3);
        assertSame(x, x.to(DType.FLOAT64));
        Tensor f = x.to(DType.FLOAT32);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new float[] {0.1f, 0f, 3f}, f.toFloatArray());
        assertEquals((double) 0.1f, f.to(DType.FLOAT64).toArray()[0]);
    }

    @Test
    void mixingDtypesIsRefusedNamingTheOpAndBothDtypes() {
        Tensor a = Tensor.ones(DType.FLOAT32, 2);
        Tensor b = Tensor.ones(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().startsWith("add: "), e.getMessage());
        assertTrue(e.getMessage().contains("float32") && e.getMessage().contains("float64") && e.getMessage().contains("to("),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.matmul(Tensor.ones(DType.FLOAT32, 2, 2)));
    }

    @Test
    void aJavaConstantTakesTheTensorsDtype() {
        Tensor x = Tensor.of(new float[] {1f}, 1);
        Tensor y = x.add(0.1);
        assertEquals(DType.FLOAT32, y.dtype());
        assertEquals(1f + 0.1f, y.toFloatArray()[0]);
        assertEquals(DType.FLOAT32, x.mul(3.0).dtype());
    }

    @Test
    void gradientsHaveTheirTensorsDtypeAndComeBackThroughTo() {
        Tensor x = Tensor.of(new double[] {0.5, -1.0, 2.0}, 3).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {1f, 2f, 3f}, 3).requiresGrad(true);
        Tensor y = x.to(DType.FLOAT32).mul(w).tanh().sum();
        assertEquals(DType.FLOAT32, y.dtype());
        y.backward();
        assertEquals(DType.FLOAT64, x.grad().dtype());
        assertEquals(DType.FLOAT32, w.grad().dtype());
        double[] gx = x.grad().toArray();
        double[] xs = {0.5, -1.0, 2.0};
        double[] ws = {1, 2, 3};
        for (int i = 0; i < 3; i++) {
            double t = Math.tanh(xs[i] * ws[i]);
            assertEquals(ws[i] * (1 - t * t), gx[i], 1e-6);
        }
    }

    @Test
    void gradOutputOfTheWrongDtypeIsRefused() {
        Tensor w = Tensor.ones(DType.FLOAT32, 2).requiresGrad(true);
        Tensor y = w.mul(2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(2)));
        assertTrue(e.getMessage().contains("float64") && e.getMessage().contains("float32"), e.getMessage());
        assertEquals(DType.FLOAT32, Autograd.grad(w.sum(), List.of(w), false).get(0).dtype());
    }

    @Test
    void aCustomOpReturningAGradientOfTheWrongDtypeIsNamed() {
        CustomOp op = new CustomOp() {
            @Override
            public String name() {
                return "sloppy";
            }

            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.to(DType.FLOAT64).mul(2.0)};
            }
        };
        Tensor w = Tensor.ones(DType.FLOAT32, 2).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> op.apply(w).sum().backward());
        assertTrue(e.getMessage().startsWith("sloppy"), e.getMessage());
    }

    @Test
    void matmulAndReductionsAgreeWithFloat64WithinFloat32Rounding() {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor a = Tensor.randn(rng, 17, 33);
        Tensor b = Tensor.randn(rng, 33, 9);
        double[] exact = a.matmul(b).softmax(1).toArray();
        double[] single = a.to(DType.FLOAT32).matmul(b.to(DType.FLOAT32)).softmax(1).toArray();
        for (int i = 0; i < exact.length; i++) {
            assertEquals(exact[i], single[i], 1e-5 * Math.max(1, Math.abs(exact[i])) + 1e-6);
        }
    }

    @Test
    void modifyOnFloat32RoundsBackAndModifyFloatsWritesInPlace() {
        Tensor p = Tensor.zeros(DType.FLOAT32, 2);
        p.modify(d -> d[0] = 0.1);
        assertEquals(0.1f, p.toFloatArray()[0]);
        p.modifyFloats(f -> f[1] = 2.5f);
        assertEquals(2.5f, p.toFloatArray()[1]);
        assertEquals(2, p.version());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).modifyFloats(f -> { }));
    }

    @Test
    void setDtypeConvertsALeafInPlaceAndStalesGraphsThatSavedIt() {
        Tensor w = Tensor.of(new double[] {0.1, 2}, 2).requiresGrad(true);
        Tensor y = w.mul(w).sum();
        y.backward();
        Tensor stale = w.mul(w).sum();
        assertSame(w, w.setDtype(DType.FLOAT32));
        assertEquals(DType.FLOAT32, w.dtype());
        assertEquals(DType.FLOAT32, w.grad().dtype());
        assertArrayEquals(new float[] {0.1f, 2f}, w.toFloatArray());
        Tensor again = w.mul(w).sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, stale::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
        again.backward();
        assertArrayEquals(new float[] {0.2f + 2 * 0.1f, 4f + 4f}, w.grad().toFloatArray());
        assertThrows(IllegalStateException.class, () -> again.setDtype(DType.FLOAT64));
    }

    @Test
    void softmaxAlongAnAxisFollowedBySizeOneAxesIsTheFloat64ResultRounded() {
        // the float32 row path serves any axis with only size-1 axes after it; the rows are as long as that axis
        SplittableRandom rng = new SplittableRandom(3);
        for (int[] shape : new int[][] {{4, 1}, {3, 3, 1}, {2, 5, 1, 1}}) {
            int axis = shape.length == 2 ? 0 : 1;
            Tensor x64 = Tensor.randn(DType.FLOAT32, rng, shape).to(DType.FLOAT64).requiresGrad(true);
            Tensor x32 = x64.to(DType.FLOAT32).detach().requiresGrad(true);
            Tensor w = Tensor.randn(rng, shape);
            for (boolean log : new boolean[] {false, true}) {
                Tensor y64 = log ? x64.logSoftmax(axis) : x64.softmax(axis);
                Tensor y32 = log ? x32.logSoftmax(axis) : x32.softmax(axis);
                assertArrayEquals(y64.toFloatArray(), y32.toFloatArray(), java.util.Arrays.toString(shape) + " log " + log);
                Tensor g64 = Autograd.grad(y64, w, List.of(x64), false).get(0);
                Tensor g32 = Autograd.grad(y32, w.to(DType.FLOAT32), List.of(x32), false).get(0);
                float[] a = g64.toFloatArray();
                float[] b = g32.toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-6f + 1e-5f * Math.abs(a[i]), java.util.Arrays.toString(shape) + " gradient " + i);
                }
            }
        }
    }

    @Test
    void positionsOfExtremaAreFloat64ForFloat32Input() {
        Tensor x = Tensor.of(new float[] {1f, 3f, 2f, -1f}, 2, 2);
        Tensor p = x.argmax(1, false);
        assertEquals(DType.FLOAT64, p.dtype());
        assertArrayEquals(new double[] {1, 0}, p.toArray());
        assertArrayEquals(new double[] {0, 1}, x.argmin(1, false).toArray());
    }

    @Test
    void dtypeConversionsOfArraysAreExactOneWayAndRoundToNearestTheOther() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 1000;
        double[] wide = new double[n + 3];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(-40, 40));
        }
        wide[5] = -0.0;
        wide[6] = Double.NaN;
        wide[7] = Double.NEGATIVE_INFINITY;
        wide[8] = 1e300;
        float[] narrow = new float[n + 1];
        DType.narrow(wide, 3, narrow, 1, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits((float) wide[3 + i]), Float.floatToRawIntBits(narrow[1 + i]), "element " + i);
        }
        double[] back = new double[n];
        DType.widen(narrow, 1, back, 0, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Double.doubleToRawLongBits(narrow[1 + i]), Double.doubleToRawLongBits(back[i]), "element " + i);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> DType.widen(narrow, 2, back, 0, n));
        assertThrows(IndexOutOfBoundsException.class, () -> DType.narrow(wide, 0, narrow, -1, 2));
    }
}
