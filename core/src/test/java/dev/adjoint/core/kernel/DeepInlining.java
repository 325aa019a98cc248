package dev.adjoint.core.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The child JVM of {@link DeepInliningTest}: runs the whole-array sums that {@link Parallel}
 * splits over threads ({@link ReduceKernels#sumTo} to a scalar, {@link ReduceKernels#sumSquaredDifference}),
 * in both dtypes, each for {@link #WARM_NANOS} so that C2 compiles their callers with the kernels
 * inlined, then checks that a call allocates at most {@link #BOUND} bytes on the calling thread
 * (the parts that pool threads run are not counted). Prints each path's bytes a call, a
 * {@code boxed:} line for each path that does not come under the bound, and exits with 1 if there
 * is one, 0 if none, 2 where this JVM cannot tell (no C2, no vector kernel, no per-thread
 * allocation counts). About 20 seconds.
 */
final class DeepInlining {
    /** Elements per call: sixteen of {@link Parallel#sum}'s blocks. */
    private static final int N = 16 * Parallel.SUM_BLOCK;
    /**
     * Bytes a call may allocate: one an element, well above what the split loop's objects and the
     * kernels' lanes take, far below boxed vectors (tens of bytes an element).
     */
    static final long BOUND = N;
    private static final long WARM_NANOS = 4_000_000_000L;
    private static final long DEADLINE_NANOS = 10_000_000_000L;
    private static double sink;

    private DeepInlining() {
    }

    public static void main(String[] args) {
        com.sun.management.ThreadMXBean threads = BoxedPaths.allocationCountsOrExit();
        SplittableRandom rng = new SplittableRandom(3);
        double[] a = new double[N];
        double[] b = new double[N];
        float[] fa = new float[N];
        float[] fb = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = rng.nextDouble(-1, 1);
            b[i] = rng.nextDouble(-1, 1);
            fa[i] = (float) a[i];
            fb[i] = (float) b[i];
        }
        NDArray x = NDArray.wrap(a, new int[] {N});
        NDArray y = NDArray.wrap(b, new int[] {N});
        NDArray fx = NDArray.wrap(fa, new int[] {N});
        NDArray fy = NDArray.wrap(fb, new int[] {N});
        Map<String, Runnable> paths = new LinkedHashMap<>();
        int[] scalar = new int[0];
        // through sumTo, as a tensor's sum() calls it: too long to be inlined, it roots its compile
        paths.put("sumTo float64", () -> sink += ReduceKernels.sumTo(x, scalar).item());
        paths.put("sumTo float32", () -> sink += ReduceKernels.sumTo(fx, scalar).item());
        paths.put("sumSquaredDifference float64", () -> sink += ReduceKernels.sumSquaredDifference(x, y));
        paths.put("sumSquaredDifference float32", () -> sink += ReduceKernels.sumSquaredDifference(fx, fy));
        // each path hot on its own, long enough for its callers' compiles, as one op in a benchmark is
        List<String> boxed = new ArrayList<>();
        for (Map.Entry<String, Runnable> e : paths.entrySet()) {
            long start = System.nanoTime();
            while (System.nanoTime() - start < WARM_NANOS) {
                e.getValue().run();
            }
            boolean settled = settles(threads, e.getValue());
            String line = e.getKey() + " (" + KernelAllocationTest.perCall(threads, e.getValue()) + " bytes a call)";
            System.out.println(line);
            if (!settled) {
                boxed.add(line);
            }
        }
        for (String s : boxed) {
            System.out.println("boxed: " + s);
        }
        System.out.println("done " + (sink != 0));
        System.exit(boxed.isEmpty() ? 0 : 1);
    }

    /** Whether a call comes to allocate at most {@link #BOUND} bytes within the deadline. */
    private static boolean settles(com.sun.management.ThreadMXBean threads, Runnable path) {
        long start = System.nanoTime();
        do {
            if (KernelAllocationTest.perCall(threads, path) <= BOUND) {
                return true;
            }
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        return false;
    }
}
