package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Losses;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Cold start of the 1024² product: in a fresh JVM, the time of the first ten products
 * ({@link Tensor#matmul}, as {@code MatmulBenchmark.multiply} calls it) against ten at steady
 * state, after {@value #WARM_PRODUCTS} more. Each run starts {@code -Dforks=N} (default 5) fresh
 * JVMs per dtype with this JVM's options, and prints per fork the first ten, the steady ten and
 * their ratio in wall time, and the same ratio in the process's CPU time (compiler threads
 * included; other jobs on a shared machine move it less than wall time), then the median wall
 * ratio per dtype.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:ActiveProcessorCount=2 -cp bench/target/benchmarks.jar dev.adjoint.bench.ColdStart
 * java -XX:ActiveProcessorCount=2 -cp bench/target/benchmarks.jar dev.adjoint.bench.ColdStart     # scalar kernels
 * java -Dforks=3 -Ddtypes=float32 --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.adjoint.bench.ColdStart
 * </pre>
 *
 * Options given to this JVM ({@code -XX:+PrintCompilation}, {@code -Dadjoint.threads=1}, a CDS
 * archive) go to the forks too; {@code -Dverbose=true} prints each of the first ten products' time
 * and when the first starts. One fork alone: {@code ... dev.adjoint.bench.ColdStart fork float64}.
 * {@code -Dworkload=mlp} times training steps of {@code TrainingBenchmark}'s MLP instead of products.
 */
public final class ColdStart {
    /** Products between the first ten and the steady ten. */
    static final int WARM_PRODUCTS = 40;
    private static final int N = 1024;

    private ColdStart() {
    }

    /**
     * Runs the forks, or one fork's measurement when the first argument is {@code fork}.
     *
     * @param args {@code fork DTYPE} in a child JVM; nothing otherwise
     * @throws Exception if a fork cannot be started or fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("fork")) {
            measure(args[1]);
            return;
        }
        int forks = Integer.getInteger("forks", 5);
        for (String dtype : System.getProperty("dtypes", "float64,float32").split(",")) {
            double[] ratios = new double[forks];
            for (int f = 0; f < forks; f++) {
                String line = fork(dtype);
                System.out.println(dtype + " fork " + f + ": " + line);
                String[] words = line.trim().split("\\s+");
                ratios[f] = Double.parseDouble(words[words.length - 1]);
            }
            Arrays.sort(ratios);
            System.out.printf("%s: first ten / steady ten, median of %d forks %.2f (min %.2f, max %.2f)%n",
                    dtype, forks, ratios[forks / 2], ratios[0], ratios[forks - 1]);
        }
    }

    private static String fork(String dtype) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ColdStart.class.getName());
        command.add("fork");
        command.add(dtype);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring("RESULT ".length());
                } else {
                    System.out.println("  | " + line);
                }
            }
        }
        if (p.waitFor() != 0 || result == null) {
            throw new IllegalStateException("ColdStart: the " + dtype + " fork failed (exit " + p.exitValue() + ")");
        }
        return result;
    }

    /** CPU time of the whole process, compiler threads included: less moved by other jobs than wall time. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void measure(String dtype) {
        if (!dtype.equals("float64") && !dtype.equals("float32")) {
            throw new IllegalArgumentException("ColdStart: dtype must be float64 or float32, not " + dtype);
        }
        DType type = dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
        if ("mlp".equals(System.getProperty("workload", "matmul"))) {
            // TrainingBenchmark's MLP (784-512-512-10, batch 256, softmax cross-entropy, Adam), no step run yet
            TrainingBenchmark.Mlp s = new TrainingBenchmark.Mlp();
            TrainingBenchmark.build(s, type, false);
            time(() -> {
                s.adam.zeroGrad();
                Tensor loss = Losses.crossEntropy(s.net.forward(s.x), s.targets);
                loss.backward();
                s.adam.step();
                return loss.item();
            });
            return;
        }
        SplittableRandom random = new SplittableRandom(42);
        Tensor a = Tensor.of(random.doubles((long) N * N, -1, 1).toArray(), N, N).to(type);
        Tensor b = Tensor.of(random.doubles((long) N * N, -1, 1).toArray(), N, N).to(type);
        time(() -> a.matmul(b).get(0, 0));
    }

    /** Times the first ten runs of {@code work}, then ten after {@value #WARM_PRODUCTS} more, and prints the result line. */
    private static void time(DoubleSupplier work) {
        boolean verbose = Boolean.getBoolean("verbose");
        if (verbose) {
            System.out.println("first run starts at " + ManagementFactory.getRuntimeMXBean().getUptime() + " ms of uptime");
        }
        double[] first = new double[10];
        long sink = 0;
        long cpu0 = cpuNanos();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            sink += Double.doubleToRawLongBits(work.getAsDouble());
            first[i] = (System.nanoTime() - t0) / 1e6;
        }
        long cpuFirst = cpuNanos() - cpu0;
        if (verbose) {
            System.out.println("first ten, ms: " + Arrays.toString(Arrays.stream(first).map(x -> Math.round(x * 10) / 10.0).toArray()));
        }
        for (int i = 0; i < WARM_PRODUCTS; i++) {
            sink += Double.doubleToRawLongBits(work.getAsDouble());
        }
        double steady = 0;
        long cpu1 = cpuNanos();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            sink += Double.doubleToRawLongBits(work.getAsDouble());
            steady += (System.nanoTime() - t0) / 1e6;
        }
        long cpuSteady = cpuNanos() - cpu1;
        double cold = Arrays.stream(first).sum();
        System.out.printf("RESULT first ten %.1f ms (first %.1f)  steady ten %.1f ms  (sink %d)  cpu ratio %.2f  ratio %.2f%n",
                cold, first[0], steady, sink & 1, (double) cpuFirst / cpuSteady, cold / steady);
    }
}
