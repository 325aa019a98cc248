package dev.adjoint.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * {@link ElementwiseBenchmark}'s workloads timed in this thread's CPU time rather than wall time,
 * float64 and float32 taking turns call block by call block: on a machine shared with other jobs
 * a thread's CPU time counts only the time it ran, so the float32/float64 ratio survives a load
 * that makes JMH's wall-clock scores swing by tens of percent. (The workloads are single-threaded.)
 * Usage: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.adjoint.bench.ElementwiseCpuTime [rounds]}; prints the median CPU µs per call of each.
 */
public final class ElementwiseCpuTime {
    private ElementwiseCpuTime() {
    }

    /**
     * Runs the comparison.
     *
     * @param args optional number of rounds (default 40)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        String[] dtypes = {"float64", "float32"};
        ElementwiseBenchmark[] benches = new ElementwiseBenchmark[2];
        for (int d = 0; d < 2; d++) {
            benches[d] = new ElementwiseBenchmark();
            benches[d].dtype = dtypes[d];
            benches[d].setUp();
        }
        String[] names = {"biasRelu", "softmax"};
        double[][][] us = new double[2][2][rounds];
        int calls = 20;
        for (int round = -10; round < rounds; round++) { // the first ten warm up
            for (int w = 0; w < 2; w++) {
                for (int d = 0; d < 2; d++) {
                    long start = bean.getCurrentThreadCpuTime();
                    for (int c = 0; c < calls; c++) {
                        if (w == 0) {
                            benches[d].biasRelu();
                        } else {
                            benches[d].softmax();
                        }
                    }
                    if (round >= 0) {
                        us[w][d][round] = (bean.getCurrentThreadCpuTime() - start) / 1e3 / calls;
                    }
                }
            }
        }
        for (int w = 0; w < 2; w++) {
            double f64 = median(us[w][0]);
            double f32 = median(us[w][1]);
            System.out.printf("%-9s float64 %9.1f us  float32 %9.1f us  float32 speed-up %.2fx%n", names[w], f64, f32, f64 / f32);
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
