package dev.adjoint.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A/B test of two builds of the core jar on the matmul workloads, in one JVM: each build's
 * {@code Gemm} is loaded by a class loader of its own, and the two take turns call by call on the
 * same operands. A drifting machine then slows both alike, which separate JMH forks cannot promise,
 * so this resolves smaller differences than alternating forks do.
 *
 * <pre>
 * cp core/target/adjoint-core-*.jar /tmp/before.jar        # then change the code and rebuild
 * mvn -B -ntp -pl bench -am package -DskipTests
 * java --add-modules jdk.incubator.vector -XX:ActiveProcessorCount=2 -cp bench/target/benchmarks.jar \
 *     dev.adjoint.bench.PairedGemm /tmp/before.jar core/target/adjoint-core-0.1.0-SNAPSHOT.jar [workload ...]
 * </pre>
 *
 * <p>Prints, per workload and build, the fastest, 10th-percentile and median call, and the second
 * build's times as a fraction of the first's. {@code -Dseconds=S} sets the measuring time per
 * workload (default 3; a warm-up of a fifth of that comes first); {@code -Ddtype=float32} compares
 * the float32 products.
 */
public final class PairedGemm {
    /** {@code -Ddtype=float32} compares the float32 products ({@code Gemm.multiply} on float arrays). */
    private static final boolean FLOAT32 = "float32".equals(System.getProperty("dtype", "float64"));

    private PairedGemm() {
    }

    /**
     * Runs the comparison.
     *
     * @param args two core jars (or class directories), then workload ids (default: the four big shapes)
     * @throws Throwable if a jar cannot be loaded or a product fails
     */
    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: PairedGemm BEFORE.jar AFTER.jar [workload ...]");
            System.exit(2);
        }
        MethodHandle[] builds = {load(Path.of(args[0])), load(Path.of(args[1]))};
        List<Workload> workloads = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            workloads.add(Workload.byId(args[i]));
        }
        if (workloads.isEmpty()) {
            workloads.addAll(List.of(Workload.MATMUL_1024, Workload.MLP1_FORWARD, Workload.MLP1_GRAD_INPUT,
                    Workload.MLP1_GRAD_WEIGHT));
        }
        double seconds = Double.parseDouble(System.getProperty("seconds", "3"));
        for (Workload w : workloads) {
            run(builds, w, seconds / 5);
            long[][] times = run(builds, w, seconds);
            report(w, times, args);
        }
    }

    /** Gemm.multiply of the build in {@code jar}, loaded apart from every other copy of Adjoint. */
    private static MethodHandle load(Path jar) throws ReflectiveOperationException, java.io.IOException {
        if (!Files.exists(jar)) {
            throw new java.io.FileNotFoundException("PairedGemm: no such jar or directory: " + jar);
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> gemm = Class.forName("dev.adjoint.core.kernel.Gemm", true, loader);
        Class<?> array = FLOAT32 ? float[].class : double[].class;
        return MethodHandles.publicLookup().findStatic(gemm, "multiply", MethodType.methodType(void.class,
                array, int.class, boolean.class, array, int.class, boolean.class,
                array, int.class, int.class, int.class, int.class));
    }

    /** Both builds in turn, call by call, for about {@code seconds}; nanoseconds per call. */
    private static long[][] run(MethodHandle[] builds, Workload w, double seconds) throws Throwable {
        SplittableRandom random = new SplittableRandom(42);
        double[] a = random.doubles((long) w.m * w.k, -1, 1).toArray();
        double[] b = random.doubles((long) w.k * w.n, -1, 1).toArray();
        double[] c = new double[w.m * w.n];
        float[] af = FLOAT32 ? toFloats(a) : null;
        float[] bf = FLOAT32 ? toFloats(b) : null;
        float[] cf = FLOAT32 ? new float[c.length] : null;
        long[][] times = new long[builds.length][1024];
        int calls = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || calls < 5) {
            if (calls == times[0].length) {
                for (int v = 0; v < builds.length; v++) {
                    times[v] = Arrays.copyOf(times[v], 2 * calls);
                }
            }
            for (int v = 0; v < builds.length; v++) {
                long t0 = System.nanoTime();
                if (FLOAT32) {
                    builds[v].invokeExact(af, 0, w.transA, bf, 0, w.transB, cf, 0, w.m, w.n, w.k);
                } else {
                    builds[v].invokeExact(a, 0, w.transA, b, 0, w.transB, c, 0, w.m, w.n, w.k);
                }
                times[v][calls] = System.nanoTime() - t0;
            }
            calls++;
        }
        for (int v = 0; v < builds.length; v++) {
            times[v] = Arrays.copyOf(times[v], calls);
            Arrays.sort(times[v]);
        }
        return times;
    }

    private static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        dev.adjoint.core.DType.narrow(x, 0, f, 0, x.length);
        return f;
    }

    private static void report(Workload w, long[][] times, String[] names) {
        double flops = 2.0 * w.m * w.n * w.k;
        System.out.printf("%s (%d calls each)%n", w.id, times[0].length);
        for (int v = 0; v < times.length; v++) {
            long[] t = times[v];
            System.out.printf("  %-50s fastest %9.1f us (%6.1f GF/s)  p10 %9.1f us  median %9.1f us%n", names[v],
                    t[0] / 1e3, flops / t[0], t[t.length / 10] / 1e3, t[t.length / 2] / 1e3);
        }
        long[] before = times[0];
        long[] after = times[1];
        System.out.printf("  after / before: fastest %.3f  p10 %.3f  median %.3f%n", (double) after[0] / before[0],
                (double) after[after.length / 10] / before[before.length / 10],
                (double) after[after.length / 2] / before[before.length / 2]);
    }
}
