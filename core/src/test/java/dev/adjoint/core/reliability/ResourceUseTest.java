package dev.adjoint.core.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Printing and creating tensors cost what they show and hold: toString of a large tensor reads only
 * the elements it prints (never materialising a broadcast view), and rand/randn write their
 * samples once.
 */
class ResourceUseTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.SECONDS)
    void toStringOfFourMillionElementsIsSummarised() {
        assertEquals("tensor([0., 0., 0., ..., 0., 0., 0.], shape=[4000000])", Tensor.zeros(4_000_000).toString());
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.SECONDS)
    void toStringOfAHugeBroadcastViewReadsOnlyWhatItPrints() {
        // two billion elements: 16 GB if the view were copied
        Tensor view = Tensor.ones(1, 1).expand(40_000, 50_000);
        String s = view.toString();
        assertTrue(s.startsWith("tensor([[1., 1., 1., ..., 1., 1., 1.],\n        [1., 1., 1., ..., 1., 1., 1.],"), s);
        assertTrue(s.contains("        ...,\n        [1., 1., 1., ..., 1., 1., 1.],"), s);
        assertTrue(s.endsWith("[1., 1., 1., ..., 1., 1., 1.]], shape=[40000, 50000])"), s);
        assertEquals(7, s.split("\n").length, s);
    }

    @Test
    void summariesShowTheFirstAndLastThreeOfEachLongAxisAndFormatOnlyThose() {
        double[] data = new double[11 * 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        data[500] = 0.5; // not printed, so the summary stays integral
        String s = Tensor.of(data, 11, 100).toString();
        assertEquals("tensor([[   0.,    1.,    2., ...,   97.,   98.,   99.],\n"
                + "        [ 100.,  101.,  102., ...,  197.,  198.,  199.],\n"
                + "        [ 200.,  201.,  202., ...,  297.,  298.,  299.],\n"
                + "        ...,\n"
                + "        [ 800.,  801.,  802., ...,  897.,  898.,  899.],\n"
                + "        [ 900.,  901.,  902., ...,  997.,  998.,  999.],\n"
                + "        [1000., 1001., 1002., ..., 1097., 1098., 1099.]], shape=[11, 100])", s);
        // up to 1000 elements everything is printed
        assertEquals(1000, Tensor.zeros(1000).toString().split(",").length - 1);
    }

    @Test
    void randAndRandnWriteTheirSamplesOnce() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom rng = new SplittableRandom(1);
        int n = 1 << 20;
        for (int round = 0; round < 3; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            Tensor u = Tensor.rand(rng, n);
            long rand = threads.getCurrentThreadAllocatedBytes() - before;
            before = threads.getCurrentThreadAllocatedBytes();
            Tensor g = Tensor.randn(rng, n);
            long randn = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(n, u.size() + g.size() - n);
            // one array of n doubles, plus small change: a second copy would double it
            assertTrue(rand < 8L * n * 3 / 2, "rand(" + n + ") allocated " + rand + " bytes for " + 8L * n + " bytes of samples");
            assertTrue(randn < 8L * n * 3 / 2, "randn(" + n + ") allocated " + randn + " bytes for " + 8L * n + " bytes of samples");
        }
    }
}
