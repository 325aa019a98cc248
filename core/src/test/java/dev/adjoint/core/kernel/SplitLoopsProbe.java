package dev.adjoint.core.kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Back-to-back split loops and matrix products from several threads at once, as lingering pool
 * threads join them ({@link Parallel#LINGER_NANOS}): every index must run once, no loop on more
 * threads than it was split for, though it has more parts than that, and every product must give
 * the bits of the same product on one thread. Run by {@link ParallelKernelsTest} in its own JVM and, with {@code -Dadjoint.threads=8} (a
 * pool of seven threads, so that a loop of two or three parts could draw more), in a child JVM;
 * exits with 1 and the failures on standard output if anything is wrong.
 */
public final class SplitLoopsProbe {
    private SplitLoopsProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<String> failures = run(4, 300);
        failures.forEach(System.out::println);
        System.out.println(failures.isEmpty() ? "ok" : failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Runs {@code loops} loops on each of {@code callers} threads; the failures found. */
    static List<String> run(int callers, int loops) throws InterruptedException {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        // products split for three threads and for two (1.6 million multiply-adds), whose 97 rows
        // cut in whole grains make more parts than that (four, three): still at most that many threads
        int rows = 97;
        int cols = 64;
        int depth = 256;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        Operand a = new Operand(rng.doubles(rows * depth, -1, 1).toArray(), 0, depth, false);
        Operand b = new Operand(rng.doubles(depth * cols, -1, 1).toArray(), 0, cols, false);
        GemmKernel kernel = KernelProvider.kernel();
        double[] expected = new double[rows * cols];
        ParallelGemm.multiply(1, kernel, a, b, expected, 0, cols, rows, cols, depth);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int parts = 2 + c % 2;
            Thread t = new Thread(() -> {
                try {
                    Parallel.forceParts(parts);
                    for (int loop = 0; loop < loops; loop++) {
                        if (loop % 3 == 2) {
                            double[] product = new double[rows * cols];
                            Set<Thread> runners = ConcurrentHashMap.newKeySet();
                            GemmKernel recording = new GemmKernel() {
                                @Override
                                public String description() {
                                    return kernel.description();
                                }

                                @Override
                                public void multiply(Operand x, Operand y, double[] c, int cOff, int ldc, int pm, int pn, int pk) {
                                    runners.add(Thread.currentThread());
                                    kernel.multiply(x, y, c, cOff, ldc, pm, pn, pk);
                                }
                            };
                            ParallelGemm.multiply(parts, recording, a, b, product, 0, cols, rows, cols, depth);
                            if (!java.util.Arrays.equals(expected, product)) {
                                failures.add("loop " + loop + ": a product split for " + parts + " threads differs from one thread's");
                                return;
                            }
                            if (runners.size() > parts) {
                                failures.add("loop " + loop + ": " + runners.size() + " threads ran a product split for " + parts);
                                return;
                            }
                            continue;
                        }
                        // more parts than threads, alternately element loops and one-index parts
                        int n = loop % 2 == 0 ? Parallel.MIN_PARALLEL + loop * FloatBlocks.BLOCK : 64 + loop % 7;
                        int[] visits = new int[n];
                        Set<Thread> runners = ConcurrentHashMap.newKeySet();
                        Parallel.Range body = (from, to) -> {
                            runners.add(Thread.currentThread());
                            for (int i = from; i < to; i++) {
                                visits[i]++;
                            }
                            if (to - from == 1) {
                                Thread.onSpinWait(); // a part long enough for others to join
                            }
                        };
                        if (loop % 2 == 0) {
                            Parallel.forRange(n, FloatBlocks.BLOCK, body);
                        } else {
                            Parallel.forEachIndex(n, Parallel.MIN_PART, body);
                        }
                        for (int i = 0; i < n; i++) {
                            if (visits[i] != 1) {
                                failures.add("loop " + loop + ": index " + i + " ran " + visits[i] + " times");
                                return;
                            }
                        }
                        if (runners.size() > parts) {
                            failures.add("loop " + loop + ": " + runners.size() + " threads ran a loop split for " + parts);
                            return;
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e.toString());
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        return failures;
    }
}
