package dev.adjoint.core.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Context;
import dev.adjoint.core.CustomOp;
import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An in-place update concurrent with a recorded forward never lets the forward's half-updated
 * reads reach a result or a backward pass: the buffer's version is odd while an update is in
 * progress (a sequence lock), and the op or its backward is refused with "modified". Two updates
 * of one tensor at once are refused, not interleaved.
 */
class TornUpdateTest {

    private static final int SIZE = 20_000;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aForwardConcurrentWithAnUpdateEitherSawOneWholeStepOrIsRefused() throws Exception {
        Tensor w = Tensor.zeros(SIZE).requiresGrad(true);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int step = 1; !stop.get(); step++) {
                    double k = step;
                    w.modify(d -> Arrays.fill(d, k)); // step k: every element is k
                    long pause = System.nanoTime() + random.nextInt(40_000);
                    while (System.nanoTime() < pause) {
                        Thread.onSpinWait();
                    }
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "torn-update-writer");
        writer.start();
        int succeeded = 0;
        int refused = 0;
        int torn = 0;
        String firstTorn = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long hardDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try {
            while (System.nanoTime() < hardDeadline && (System.nanoTime() < deadline || succeeded < 20 || refused < 20)) {
                double[] seen = null;
                try {
                    Tensor square = w.mul(w); // saves w for its backward
                    seen = square.toArray();
                    w.zeroGrad();
                    square.sum().backward();
                    succeeded++;
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("modified"), e.getMessage());
                    refused++;
                    continue;
                }
                double first = seen[0];
                for (double v : seen) {
                    if (v != first) {
                        torn++;
                        if (firstTorn == null) {
                            firstTorn = "a successful backward through w * w holding both " + first + " and " + v;
                        }
                        break;
                    }
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertEquals(null, writerFailure.get(), "the only writer is never refused");
        assertEquals(0, torn, torn + " of " + succeeded + " backward passes went through a half-updated buffer: " + firstTorn);
        assertTrue(succeeded > 0, "no forward and backward fit between two updates (" + refused + " refused)");
        assertTrue(refused > 0, "no forward overlapped an update (" + succeeded + " succeeded)");
    }

    @Test
    void aRecordedOpOnATensorBeingModifiedIsRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        w.modify(d -> {
            d[0] = 5;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.mul(2.0));
            assertTrue(e.getMessage().contains("being modified in place"), e.getMessage());
        });
        assertArrayEquals(new double[] {5, 1, 1}, w.toArray());
        assertEquals(1, w.version());
    }

    @Test
    void anUpdateDuringTheForwardRefusesTheOpEvenIfTheInputIsNotSaved() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        // stands in for another thread's update landing between the forward's reads
        CustomOp updatesMidway = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                double first = in[0].toArray()[0];
                in[0].modify(d -> Arrays.fill(d, 7));
                double[] out = in[0].toArray();
                out[0] = first;
                return Tensor.of(out, 3);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                return new Tensor[] {gradOutput};
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> updatesMidway.apply(w));
        assertTrue(e.getMessage().contains("modified in place while this op's forward read it"), e.getMessage());
    }

    @Test
    void aTensorSavedWhileBeingModifiedRefusesTheBackward() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor w = Tensor.ones(2);
        // saves a tensor it reaches other than through its inputs
        CustomOp savesW = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                ctx.save(w);
                return in[0].mul(w);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor gradOutput) {
                return new Tensor[] {gradOutput.mul(ctx.saved(0))};
            }
        };
        Tensor[] y = new Tensor[1];
        w.modify(d -> y[0] = savesW.apply(x).sum());
        IllegalStateException e = assertThrows(IllegalStateException.class, y[0]::backward);
        assertTrue(e.getMessage().contains("being modified in place when it was saved"), e.getMessage());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void twoConcurrentUpdatesOfOneTensorAreRefusedNotInterleaved() throws Exception {
        Tensor w = Tensor.zeros(4);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread first = new Thread(() -> {
            try {
                w.modify(d -> {
                    Arrays.fill(d, 1);
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "first-updater");
        first.start();
        inside.await();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.modify(d -> Arrays.fill(d, 2)));
        assertTrue(e.getMessage().contains("modify") && e.getMessage().contains("already being modified"), e.getMessage());
        assertTrue(e.getMessage().contains("[4]"), e.getMessage());
        release.countDown();
        first.join();
        assertEquals(null, failure.get());
        assertArrayEquals(new double[] {1, 1, 1, 1}, w.toArray());
        assertEquals(1, w.version(), "only the update that ran is counted");
        w.modify(d -> Arrays.fill(d, 3));
        assertEquals(2, w.version());
    }

    @Test
    void anUpdateThatModifiesItsOwnTensorAgainIsRefused() {
        Tensor w = Tensor.zeros(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.modify(d -> w.modify(e2 -> e2[0] = 1)));
        assertTrue(e.getMessage().contains("already being modified"), e.getMessage());
        assertEquals(1, w.version());
    }

    @Test
    void anUpdateThatThrowsStillCountsAndLeavesTheTensorUsable() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor y = w.mul(w).sum();
        assertThrows(ArithmeticException.class, () -> w.modify(d -> {
            d[0] = 9;
            throw new ArithmeticException("half way");
        }));
        assertEquals(1, w.version());
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
        w.mul(w).sum().backward();
        assertArrayEquals(new double[] {18, 2}, w.grad().toArray());
    }
}
