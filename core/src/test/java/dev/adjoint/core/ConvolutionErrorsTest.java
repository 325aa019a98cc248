package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Malformed arguments to the convolution and pooling ops: each refusal names the op and the offending values. */
class ConvolutionErrorsTest {
    private static final int[] ONE = {1, 1};
    private static final int[] ZERO = {0, 0};

    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "\"" + message + "\" does not mention " + p);
        }
    }

    @Test
    void channelMismatchNamesBothShapesAndTheChannelCounts() {
        assertEquals("conv2d: input [2, 3, 8, 8] has 3 channels but weight [4, 5, 3, 3] expects 5 (groups 1)",
                message(() -> Tensor.zeros(2, 3, 8, 8).conv2d(Tensor.zeros(4, 5, 3, 3), null, 1, 0)));
        assertEquals("conv2d: input [1, 4, 5, 5] has 4 channels but weight [4, 1, 3, 3] expects 2 (groups 2)",
                message(() -> Tensor.zeros(1, 4, 5, 5).conv2d(Tensor.zeros(4, 1, 3, 3), null, ONE, ZERO, ONE, 2)));
        assertMentions(message(() -> Tensor.zeros(2, 3, 8).conv1d(Tensor.zeros(4, 2, 3), null, 1, 0)),
                "conv1d", "[2, 3, 8]", "[4, 2, 3]", "3 channels", "expects 2");
    }

    @Test
    void wrongRanksAreRefused() {
        assertMentions(message(() -> Tensor.zeros(3, 8, 8).conv2d(Tensor.zeros(4, 3, 3, 3), null, 1, 0)), "conv2d", "input", "[3, 8, 8]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8, 8).conv2d(Tensor.zeros(3, 3, 3), null, 1, 0)), "conv2d", "weight", "[3, 3, 3]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8, 8).conv1d(Tensor.zeros(4, 3, 3), null, 1, 0)), "conv1d", "[1, 3, 8, 8]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8).conv1d(Tensor.zeros(4, 3, 3, 3), null, 1, 0)), "conv1d", "[4, 3, 3, 3]");
        assertMentions(message(() -> Tensor.zeros(3, 8, 8).maxPool2d(2, 2, 0)), "maxPool2d", "[3, 8, 8]");
        assertMentions(message(() -> Tensor.zeros(8, 8).avgPool2d(2, 2, 0)), "avgPool2d", "[8, 8]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8, 8).conv2d(null, null, 1, 0)), "conv2d", "weight is null");
    }

    @Test
    void aBiasOfTheWrongShapeIsRefused() {
        assertMentions(message(() -> Tensor.zeros(1, 3, 8, 8).conv2d(Tensor.zeros(4, 3, 3, 3), Tensor.zeros(5), 1, 0)),
                "conv2d", "bias [5]", "[4]", "[4, 3, 3, 3]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8, 8).conv2d(Tensor.zeros(4, 3, 3, 3), Tensor.zeros(4, 1), 1, 0)),
                "bias [4, 1]");
        assertMentions(message(() -> Tensor.zeros(1, 3, 8).conv1d(Tensor.zeros(4, 3, 3), Tensor.zeros(3), 1, 0)), "conv1d", "bias [3]");
    }

    @Test
    void aKernelLargerThanThePaddedInputIsRefused() {
        assertMentions(message(() -> Tensor.zeros(1, 1, 4, 4).conv2d(Tensor.zeros(1, 1, 5, 5), null, 1, 0)),
                "conv2d", "[1, 1, 5, 5]", "[1, 1, 4, 4]", "spans 5", "only 4");
        assertMentions(message(() -> Tensor.zeros(1, 1, 4, 4).conv2d(Tensor.zeros(1, 1, 3, 3), null, ONE, ZERO, new int[] {2, 1}, 1)),
                "conv2d", "spans 5 (dilation 2)", "only 4");
        // padding makes room, as in PyTorch
        assertEquals(2, Tensor.zeros(1, 1, 4, 4).conv2d(Tensor.zeros(1, 1, 5, 5), null, 1, 1).dim(2));
        assertEquals("conv1d: kernel [1, 1, 5] spans 5 (dilation 1) but input [1, 1, 4] padded by 0 on each side has only 4",
                message(() -> Tensor.zeros(1, 1, 4).conv1d(Tensor.zeros(1, 1, 5), null, 1, 0)));
        assertMentions(message(() -> Tensor.zeros(1, 1, 2, 2).maxPool2d(3, 1, 0)), "maxPool2d", "kernel 3", "[1, 1, 2, 2]");
        assertMentions(message(() -> Tensor.zeros(1, 1, 1, 5).avgPool2d(3, 1, 0)), "avgPool2d", "kernel 3", "[1, 1, 1, 5]");
    }

    @Test
    void stridesDilationsAndPaddingOutOfRangeAreRefused() {
        Tensor x = Tensor.zeros(1, 2, 6, 6);
        Tensor w = Tensor.zeros(2, 2, 3, 3);
        assertMentions(message(() -> x.conv2d(w, null, 0, 0)), "conv2d", "stride", "[0, 0]");
        assertMentions(message(() -> x.conv2d(w, null, 1, -1)), "conv2d", "padding", "[-1, -1]");
        assertMentions(message(() -> x.conv2d(w, null, ONE, ZERO, new int[] {1, 0}, 1)), "conv2d", "dilation", "[1, 0]");
        assertMentions(message(() -> x.conv2d(w, null, new int[] {1}, ZERO, ONE, 1)), "conv2d", "stride", "2 values");
        assertMentions(message(() -> Tensor.zeros(1, 2, 6).conv1d(Tensor.zeros(2, 2, 3), null, 0, 0)), "conv1d", "stride 0");
        assertMentions(message(() -> x.maxPool2d(0, 1, 0)), "maxPool2d", "kernel 0");
        assertMentions(message(() -> x.avgPool2d(2, 0, 0)), "avgPool2d", "stride 0");
        // PyTorch: "pad should be at most half of kernel size"
        assertMentions(message(() -> x.maxPool2d(3, 1, 2)), "maxPool2d", "padding 2", "kernel 3");
        assertMentions(message(() -> x.avgPool2d(2, 1, -1)), "avgPool2d", "padding -1");
    }

    @Test
    void groupsMustDivideBothChannelCounts() {
        assertMentions(message(() -> Tensor.zeros(1, 3, 6, 6).conv2d(Tensor.zeros(4, 1, 3, 3), null, ONE, ZERO, ONE, 2)),
                "conv2d", "groups 2", "3 channels", "[1, 3, 6, 6]");
        assertMentions(message(() -> Tensor.zeros(1, 4, 6, 6).conv2d(Tensor.zeros(3, 2, 3, 3), null, ONE, ZERO, ONE, 2)),
                "conv2d", "groups 2", "3 output channels", "[3, 2, 3, 3]");
        assertMentions(message(() -> Tensor.zeros(1, 4, 6, 6).conv2d(Tensor.zeros(4, 2, 3, 3), null, ONE, ZERO, ONE, 0)),
                "conv2d", "groups", "0");
    }
}
