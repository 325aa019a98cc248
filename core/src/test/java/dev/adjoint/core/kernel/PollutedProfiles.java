package dev.adjoint.core.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The child JVM of {@link PollutedProfilesTest}: first runs the Vector API's operations on every
 * shape (64 to 512 bits) of doubles, floats, ints and longs, as other code in a user's JVM may,
 * so that the type profiles inside the API's own methods (shared by every caller in the JVM) are
 * polymorphic; then runs each math kernel of {@link KernelAllocationTest} until a call allocates
 * at most {@link KernelAllocationTest#BOUND} bytes. Prints one line per kernel that never settles
 * and exits with 1 if there is one, 0 if none, 2 where this JVM cannot tell (no C2, no vector kernel,
 * no per-thread allocation counts).
 */
final class PollutedProfiles {
    private static final long DEADLINE_NANOS = 10_000_000_000L;
    private static double sink;

    private PollutedProfiles() {
    }

    public static void main(String[] args) throws Exception {
        com.sun.management.ThreadMXBean threads = BoxedPaths.allocationCountsOrExit();
        GemmKernel vector = KernelProvider.vectorKernelOrNull();
        pollute(3000);
        List<String> boxed = new ArrayList<>();
        for (Map.Entry<String, Runnable> e : KernelAllocationTest.mathKernels(KernelProvider.mathFor(vector)).entrySet()) {
            if (!KernelAllocationTest.settles(threads, e.getValue(), DEADLINE_NANOS)) {
                boxed.add(e.getKey() + " (" + KernelAllocationTest.perCall(threads, e.getValue()) + " bytes a call)");
            }
        }
        for (String b : boxed) {
            System.out.println("boxed: " + b);
        }
        System.out.println("done");
        System.exit(boxed.isEmpty() ? 0 : 1);
    }

    /** Each shape of each element type through the operations Adjoint's kernels use, {@code rounds} times. */
    static void pollute(int rounds) {
        List<VectorSpecies<Double>> ds = List.of(DoubleVector.SPECIES_64, DoubleVector.SPECIES_128, DoubleVector.SPECIES_256, DoubleVector.SPECIES_512);
        List<VectorSpecies<Float>> fs = List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512);
        List<VectorSpecies<Integer>> is = List.of(IntVector.SPECIES_64, IntVector.SPECIES_128, IntVector.SPECIES_256, IntVector.SPECIES_512);
        List<VectorSpecies<Long>> ls = List.of(LongVector.SPECIES_64, LongVector.SPECIES_128, LongVector.SPECIES_256, LongVector.SPECIES_512);
        double[] da = new double[64];
        float[] fa = new float[64];
        int[] ia = new int[64];
        long[] la = new long[64];
        Arrays.fill(da, 1.5);
        Arrays.fill(fa, 1.5f);
        Arrays.fill(ia, 3);
        Arrays.fill(la, 3);
        for (int r = 0; r < rounds; r++) {
            for (VectorSpecies<Double> s : ds) {
                DoubleVector v = DoubleVector.fromArray(s, da, 0);
                DoubleVector w = DoubleVector.broadcast(s, 2.0);
                DoubleVector x = v.add(w).sub(w).mul(w).div(w).max(w).min(w).neg().abs().fma(w, v).sqrt();
                x = x.blend(w, x.compare(VectorOperators.GT, w)).lanewise(VectorOperators.ADD, v).lanewise(VectorOperators.MUL, 2.0);
                x = x.add(1.0).mul(1.0).sub(0.5).max(0.0).min(9.0);
                x.intoArray(da, 8);
                sink += x.reduceLanes(VectorOperators.ADD) + x.reduceLanes(VectorOperators.MAX);
                sink += x.convert(VectorOperators.D2F, 0).reinterpretAsInts().lane(0);
                sink += x.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 1).lane(0);
                sink += x.compare(VectorOperators.LT, 0.0).trueCount();
            }
            for (VectorSpecies<Float> s : fs) {
                FloatVector v = FloatVector.fromArray(s, fa, 0);
                FloatVector w = FloatVector.broadcast(s, 2.0f);
                FloatVector x = v.add(w).sub(w).mul(w).div(w).max(w).min(w).neg().abs().fma(w, v).sqrt();
                x = x.blend(w, x.compare(VectorOperators.GT, w)).lanewise(VectorOperators.ADD, v).lanewise(VectorOperators.MUL, 2.0f);
                x = x.add(1.0f).mul(1.0f).sub(0.5f).max(0.0f).min(9.0f);
                x.intoArray(fa, 8);
                sink += x.reduceLanes(VectorOperators.ADD) + x.reduceLanes(VectorOperators.MAX);
                sink += x.convert(VectorOperators.F2D, 0).reinterpretAsLongs().lane(0);
                sink += ((DoubleVector) x.castShape(DoubleVector.SPECIES_256, 0)).lane(0);
                sink += x.reinterpretAsInts().lanewise(VectorOperators.AND, 7).lane(0);
                sink += x.compare(VectorOperators.LT, 0.0f).trueCount();
            }
            for (VectorSpecies<Integer> s : is) {
                IntVector v = IntVector.fromArray(s, ia, 0);
                IntVector w = IntVector.broadcast(s, 2);
                IntVector x = v.add(w).sub(w).mul(w).max(w).min(w).neg().abs().lanewise(VectorOperators.AND, w).lanewise(VectorOperators.LSHL, 1);
                x = x.blend(w, x.compare(VectorOperators.GT, w)).add(1);
                x.intoArray(ia, 8);
                sink += x.reduceLanes(VectorOperators.ADD) + x.reinterpretAsFloats().lane(0);
            }
            for (VectorSpecies<Long> s : ls) {
                LongVector v = LongVector.fromArray(s, la, 0);
                LongVector w = LongVector.broadcast(s, 2);
                LongVector x = v.add(w).sub(w).max(w).min(w).lanewise(VectorOperators.AND, w).lanewise(VectorOperators.LSHL, 1);
                x = x.blend(w, x.compare(VectorOperators.GT, w)).add(1);
                x.intoArray(la, 8);
                sink += x.reduceLanes(VectorOperators.ADD) + x.reinterpretAsDoubles().lane(0);
            }
        }
    }
}
