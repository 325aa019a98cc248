package dev.adjoint.core.kernel;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Once compiled, the math kernels' loops allocate nothing per element. On the Vector API a vector that
 * C2 leaves boxed (one carried from turn to turn past a branch, one stored in an array of
 * objects, one passed to a call C2 did not inline) is a new object every turn, and the loop runs
 * several times slower for the life of the JVM. Each kernel runs on a 4,096-element input (one
 * lane out of exp's range, so the loops' out-of-range branches are in the profile) until a call
 * allocates at most {@link #BOUND} bytes: a few small per-call objects pass, a boxed vector per
 * turn (over 1,000 turns) does not. Interpreted and C1-compiled vector code allocates too, so the
 * test waits for C2, up to {@link #DEADLINE_NANOS}; a kernel still allocating then fails it. A
 * kernel's simplest loop ({@code addTo}) goes first: where even it never settles, this JVM does
 * not compile the Vector API with C2 (-Xint, {@code -XX:TieredStopAtLevel=1}, another JIT), and
 * that kernel is skipped rather than failed.
 */
class KernelAllocationTest {
    private static final int N = 4096;
    static final long BOUND = 1024;
    private static final long DEADLINE_NANOS = 60_000_000_000L;
    private static final long CONTROL_DEADLINE_NANOS = 30_000_000_000L;

    @Test
    void compiledKernelsAllocateNothingPerElement() {
        com.sun.management.ThreadMXBean threads = threads();
        java.util.List<String> skipped = new java.util.ArrayList<>();
        for (MathKernel k : MathKernelTest.kernels()) {
            Map<String, Runnable> kernels = mathKernels(k);
            if (!settles(threads, kernels.get("addTo"), CONTROL_DEADLINE_NANOS)) {
                skipped.add(k.description());
                continue;
            }
            for (Map.Entry<String, Runnable> e : kernels.entrySet()) {
                assertSettlesWithoutAllocating(threads, k.description() + ": " + e.getKey(), e.getValue(), DEADLINE_NANOS);
            }
        }
        assumeTrue(skipped.isEmpty(), "not compiled by C2 in this JVM, so not checked: " + skipped);
    }

    /**
     * The probe itself: a loop that allocates every turn fails it ({@link BoxingLoop} stores each
     * turn's values in an array of objects, which C2 cannot scalar-replace).
     */
    @Test
    void aKernelThatBoxesEveryTurnFails() {
        com.sun.management.ThreadMXBean threads = threads();
        Runnable boxing = BoxingLoop.forElements(N);
        AssertionError error = null;
        try {
            assertSettlesWithoutAllocating(threads, "boxing", boxing, 2_000_000_000L);
        } catch (AssertionError expected) {
            error = expected;
        }
        if (error == null) {
            fail("a loop allocating an object per turn passed the allocation probe");
        }
    }

    private static com.sun.management.ThreadMXBean threads() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counts in this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "no per-thread allocation counts in this JVM");
        return threads;
    }

    private static void assertSettlesWithoutAllocating(com.sun.management.ThreadMXBean threads, String name, Runnable kernel,
                                                      long deadlineNanos) {
        long start = System.nanoTime();
        if (!settles(threads, kernel, deadlineNanos)) {
            fail(name + " still allocates " + perCall(threads, kernel) + " bytes per call of " + N + " elements after "
                    + (System.nanoTime() - start) / 1_000_000 + " ms: a vector left boxed in its loop?");
        }
    }

    /** Whether a call of {@code kernel} comes to allocate at most {@link #BOUND} bytes within the deadline. */
    static boolean settles(com.sun.management.ThreadMXBean threads, Runnable kernel, long deadlineNanos) {
        long start = System.nanoTime();
        do {
            if (perCall(threads, kernel) <= BOUND) {
                return true;
            }
        } while (System.nanoTime() - start < deadlineNanos);
        return false;
    }

    /** Bytes allocated per call, over 20 calls. */
    static long perCall(com.sun.management.ThreadMXBean threads, Runnable kernel) {
        int calls = 20;
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            kernel.run();
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / calls;
    }

    static Map<String, Runnable> mathKernels(MathKernel k) {
        SplittableRandom rng = new SplittableRandom(5);
        double[] a = new double[N];
        double[] b = new double[N];
        double[] r = new double[N];
        double[] where = new double[N];
        float[] fa = new float[N];
        float[] fb = new float[N];
        float[] fr = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = rng.nextDouble(-30, 30);
            b[i] = rng.nextDouble(-3, 3);
            fa[i] = (float) a[i];
            fb[i] = (float) b[i];
        }
        a[5] = 800; // past exp's polynomial range: the loops take their scalar branch once per call
        double[] sink = new double[1];
        Map<String, Runnable> m = new LinkedHashMap<>();
        m.put("exp", () -> k.exp(a, 0, r, 0, N));
        m.put("expShifted", () -> sink[0] += k.expShifted(a, 0, 1.5, r, 0, N));
        m.put("exp float32", () -> k.exp(fa, 0, fr, 0, N));
        m.put("expShifted float32", () -> sink[0] += k.expShifted(fa, 0, 1.5f, fr, 0, N));
        m.put("max float32", () -> sink[0] += k.max(fa, 0, N));
        m.put("sigmoid float32", () -> k.sigmoid(fa, 0, fr, 0, N));
        m.put("tanh float32", () -> k.tanh(fa, 0, fr, 0, N));
        float[] positive = new float[N];
        for (int i = 0; i < N; i++) {
            positive[i] = Math.abs(fa[i]) + 1e-3f;
        }
        positive[7] = -1f; // the scalar branch once per call, as exp's out-of-range value
        m.put("log float32", () -> k.log(positive, 0, fr, 0, N));
        m.put("log1p float32", () -> k.log1p(positive, 0, fr, 0, N));
        m.put("softplus float32", () -> k.softplus(fa, 0, fr, 0, N));
        float[] erfArguments = fb.clone();
        erfArguments[11] = 20f; // past the vector path's range: the scalar branch once per call
        m.put("erf float32", () -> k.erf(erfArguments, 0, fr, 0, N));
        m.put("gelu float32", () -> k.gelu(erfArguments, 0, fr, 0, N));
        m.put("geluGrad float32", () -> k.geluGrad(fa, 0, erfArguments, 0, fr, 0, N));
        double[] positiveDoubles = new double[N];
        for (int i = 0; i < N; i++) {
            positiveDoubles[i] = Math.abs(a[i]) + 1e-3;
        }
        positiveDoubles[9] = -1; // the scalar branch once per call
        m.put("log", () -> k.log(positiveDoubles, 0, r, 0, N));
        m.put("log1p", () -> k.log1p(positiveDoubles, 0, r, 0, N));
        m.put("softplus", () -> k.softplus(a, 0, r, 0, N));
        double[] erfDoubles = b.clone();
        erfDoubles[13] = 20; // past the vector path's range: the scalar branch once per call
        m.put("erf", () -> k.erf(erfDoubles, 0, r, 0, N));
        m.put("geluGrad", () -> k.geluGrad(a, 0, erfDoubles, 0, r, 0, N));
        m.put("siluGrad", () -> k.siluGrad(b, 0, a, 0, r, 0, N));
        m.put("siluGrad float32", () -> k.siluGrad(fb, 0, fa, 0, fr, 0, N));
        m.put("tanh", () -> k.tanh(a, 0, r, 0, N));
        m.put("sigmoid", () -> k.sigmoid(a, 0, r, 0, N));
        m.put("relu", () -> k.relu(a, 0, r, 0, N));
        m.put("relu float32", () -> k.relu(fa, 0, fr, 0, N));
        m.put("reluGrad", () -> k.reluGrad(b, 0, 1, a, 0, r, 0, N));
        m.put("reluGrad of one gradient", () -> k.reluGrad(b, 0, 0, a, 0, r, 0, N));
        m.put("reluGrad float32", () -> k.reluGrad(fb, 0, 1, fa, 0, fr, 0, N));
        m.put("abs float32", () -> k.abs(fa, 0, fr, 0, N));
        m.put("extremum", () -> k.extremum(a, 0, b, 0, 1, r, 0, N, false));
        m.put("extremum min of one value", () -> k.extremum(a, 0, b, 0, 0, r, 0, N, true));
        m.put("extremum float32", () -> k.extremum(fa, 0, fb, 0, 1, fr, 0, N, false));
        m.put("extremum float32 min of one value", () -> k.extremum(fa, 0, fb, 0, 0, fr, 0, N, true));
        m.put("firstExtreme", () -> sink[0] += k.firstExtreme(a, 0, N, false));
        m.put("firstExtreme min", () -> sink[0] += k.firstExtreme(a, 0, N, true));
        m.put("firstExtreme float32", () -> sink[0] += k.firstExtreme(fa, 0, N, false));
        m.put("firstExtreme float32 min", () -> sink[0] += k.firstExtreme(fa, 0, N, true));
        m.put("neg float32", () -> k.neg(fa, 0, fr, 0, N));
        double[] answers = {-1, 1, 0.5, 0};
        m.put("compare", () -> k.compare(answers, a, 0, b, 0, 1, r, 0, N));
        m.put("compare to one value", () -> k.compare(answers, a, 0, b, 0, 0, r, 0, N));
        m.put("compare float32", () -> k.compare(answers, fa, 0, fb, 0, 1, fr, 0, N));
        m.put("compare float32 to one value", () -> k.compare(answers, fa, 0, fb, 0, 0, fr, 0, N));
        m.put("leakyRelu", () -> k.leakyRelu(a, 0, 0.01, r, 0, N));
        m.put("leakyRelu float32", () -> k.leakyRelu(fa, 0, 0.01f, fr, 0, N));
        m.put("inside", () -> k.inside(a, 0, -0.5, 0.5, r, 0, N));
        m.put("clamp", () -> k.clamp(a, 0, -0.5, 0.5, r, 0, N));
        m.put("clamp float32", () -> k.clamp(fa, 0, -0.5f, 0.5f, fr, 0, N));
        m.put("where", () -> k.where(b, 0, a, 0, positiveDoubles, 0, r, 0, N));
        m.put("where float32", () -> k.where(fb, 0, fa, 0, positive, 0, fr, 0, N));
        m.put("widen", () -> k.widen(fa, 0, r, 0, N));
        m.put("narrow", () -> k.narrow(a, 0, fr, 0, N));
        m.put("dot", () -> sink[0] += k.dot(a, 0, b, 0, N));
        m.put("dot float32", () -> sink[0] += k.dot(fa, 0, fb, 0, N));
        m.put("expDifference", () -> k.expDifference(fa, 0, fb, 0, fr, 0, N));
        m.put("squaredDistance", () -> sink[0] += k.squaredDistance(a, 0, b, 0, N));
        m.put("squaredDistance float32", () -> sink[0] += k.squaredDistance(fa, 0, fb, 0, N));
        m.put("scaledDifference", () -> k.scaledDifference(0.5, a, 0, b, 0, r, 0, N));
        m.put("scaledDifference float32", () -> k.scaledDifference(0.5, fa, 0, fb, 0, fr, 0, N));
        m.put("max", () -> sink[0] += k.max(a, 0, N));
        m.put("sum", () -> sink[0] += k.sum(a, 0, N));
        m.put("sum float32", () -> sink[0] += k.sum(fa, 0, N));
        m.put("mulDifference", () -> k.mulDifference(a, 0, b, 0, 0.25, r, 0, N));
        m.put("mulDifference float32", () -> k.mulDifference(fa, 0, fb, 0, 0.25, fr, 0, N));
        m.put("subtractScaled", () -> k.subtractScaled(a, 0, b, 0, 0.25, r, 0, N));
        m.put("subtractScaled float32", () -> k.subtractScaled(fa, 0, fb, 0, 0.25, fr, 0, N));
        m.put("addWidenedTo", () -> k.addWidenedTo(fa, 0, r, 0, N));
        m.put("addTo", () -> k.addTo(a, 0, r, 0, N));
        m.put("copyRuns", () -> k.copyRuns(a, 0, 40, r, 0, 37, N / 40, 37));
        m.put("copyRuns float32", () -> k.copyRuns(fa, 0, 40, fr, 0, 37, N / 40, 37));
        m.put("addRuns", () -> k.addRuns(a, 0, 40, r, 0, 37, N / 40, 37));
        m.put("addRuns float32", () -> k.addRuns(fa, 0, 40, fr, 0, 37, N / 40, 37));
        // rows of 64 floats, two input rows per output row: N / 128 output rows fill the input
        m.put("maxPool2x2", () -> k.maxPool2x2(fa, 0, fr, 0, where, 0, 64, N / 128, 32));
        // FloatWinograd's: rows of 240 tiles (224 of them transformed) 16 points apart, parity planes 1000 apart
        m.put("winogradInput", () -> k.winogradInput(fa, 1000, 20, 224, fr, 0, 240));
        m.put("winogradGradient", () -> k.winogradGradient(fa, 1000, 224, fr, 0, 240));
        m.put("winogradOutput", () -> k.winogradOutput(fa, 0, 240, 224, 0.5f, fr, 240));
        m.put("winogradPairs", () -> k.winogradPairs(fa, 0, 4000, fr, 0, 2048));
        m.put("winogradScatter", () -> k.winogradScatter(fa, 0, 1024, fr, 0, 1000, 496));
        normColumns(k.normColumns(), a, b, r, fa, fb, fr, m);
        for (Elementwise.Binary op : new Elementwise.Binary[] {Elementwise.Binary.ADD, Elementwise.Binary.SUB,
            Elementwise.Binary.MUL, Elementwise.Binary.DIV}) {
            m.put(op + "", () -> k.arithmetic(op, a, 0, b, 0, 1, r, 0, N));
            m.put(op + " of one value", () -> k.arithmetic(op, a, 0, b, 0, 0, r, 0, N));
            m.put(op + " float32", () -> k.arithmetic(op, fa, 0, fb, 0, 1, fr, 0, N));
            m.put(op + " float32 of one value", () -> k.arithmetic(op, fa, 0, fb, 0, 0, fr, 0, N));
        }
        return m;
    }

    /**
     * Batch normalization's column loops on strips of 44 rows: 93 columns of doubles and 90 of floats
     * (every path: blocks of vectors, single vectors, the scalar columns after them).
     */
    private static void normColumns(NormColumnKernel c, double[] a, double[] b, double[] r, float[] fa, float[] fb, float[] fr,
            Map<String, Runnable> m) {
        int rows = 44;
        double[] mean = new double[128];
        double[] rstd = new double[128];
        double[] s = new double[128];
        double[] t = new double[128];
        double[] w = new double[128];
        float[] wf = new float[128];
        java.util.Arrays.fill(rstd, 0.5);
        java.util.Arrays.fill(w, 1.5);
        java.util.Arrays.fill(wf, 1.5f);
        m.put("normColumns sums", () -> c.sums(a, 0, 93, rows, null, s, 93));
        m.put("normColumns squares", () -> c.sums(a, 0, 93, rows, mean, s, 93));
        m.put("normColumns normalize", () -> c.normalize(a, 0, 93, rows, mean, rstd, w, t, r, 0, 93));
        m.put("normColumns gradientSums", () -> c.gradientSums(b, 0, a, 0, 93, rows, mean, rstd, s, t, 93));
        m.put("normColumns gradient", () -> c.gradient(b, 0, a, 0, 93, rows, mean, rstd, s, t, w, r, 0, 93));
        m.put("normColumns sums float32", () -> c.sums(fa, 0, 90, rows, null, s, 90));
        m.put("normColumns squares float32", () -> c.sums(fa, 0, 90, rows, mean, s, 90));
        m.put("normColumns normalize float32", () -> c.normalize(fa, 0, 90, rows, mean, rstd, wf, wf, fr, 0, 90));
        m.put("normColumns gradientSums float32", () -> c.gradientSums(fb, 0, fa, 0, 90, rows, mean, rstd, s, t, 90));
        m.put("normColumns gradient float32", () -> c.gradient(fb, 0, fa, 0, 90, rows, mean, rstd, s, t, wf, fr, 0, 90));
    }

    /** A loop that boxes every turn's value: what the probe must catch. */
    private static final class BoxingLoop {
        private BoxingLoop() {
        }

        static Runnable forElements(int n) {
            double[] a = new double[n];
            Object[] last = new Object[1];
            return () -> {
                for (int i = 0; i < n; i += 4) {
                    last[0] = new double[] {a[i], a[i + 1], a[i + 2], a[i + 3]};
                }
            };
        }
    }
}
