package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Malformed arguments of the indexing, shape and reduction ops: each message names what was wrong. */
class IndexingErrorsTest {

    private static void fails(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message \"" + e.getMessage() + "\" lacks \"" + p + "\"");
        }
    }

    private static Tensor t(int... shape) {
        return Tensor.zeros(shape);
    }

    @Test
    void indexOutOfRangeNamesTheIndexTheAxisAndItsSize() {
        fails(() -> t(2, 3).gather(1, Tensor.of(new double[] {5}, 1, 1)), "gather: index 5 out of range for axis 1 of size 3");
        fails(() -> t(2, 3).gather(1, Tensor.of(new double[] {-1}, 1, 1)), "gather: index -1 out of range for axis 1 of size 3");
        fails(() -> t(2, 3).scatterAdd(0, Tensor.of(new double[] {2}, 1, 1), t(1, 1)),
                "scatterAdd: index 2 out of range for axis 0 of size 2");
        fails(() -> t(4, 3).indexSelect(-1, 0, 3), "indexSelect: index 3 out of range for axis -1 of size 3");
        fails(() -> t(4, 3).indexSelect(0, -1), "indexSelect: index -1 out of range for axis 0 of size 4");
    }

    @Test
    void aFractionalIndexNamesTheValue() {
        fails(() -> t(2, 3).gather(1, Tensor.of(new double[] {1.5}, 1, 1)), "gather: index 1.5 is not a whole number");
        fails(() -> t(2, 3).gather(1, Tensor.of(new double[] {Double.NaN}, 1, 1)), "gather: index NaN is not a whole number");
        fails(() -> t(2, 3).scatterAdd(1, Tensor.of(new double[] {Double.POSITIVE_INFINITY}, 1, 1), t(1, 1)),
                "scatterAdd: index Infinity is not a whole number");
    }

    @Test
    void gatherIndexRankMismatchNamesBothShapes() {
        fails(() -> t(2, 3).gather(1, Tensor.of(new double[] {0, 1}, 2)), "gather", "[2]", "[2, 3]", "rank");
        fails(() -> t(2, 3).gather(1, Tensor.zeros(3, 1)), "gather", "[3, 1]", "[2, 3]", "axis 0");
        fails(() -> t(2, 3).gather(2, Tensor.zeros(1, 1)), "gather", "axis 2");
        fails(() -> t(2, 3).gather(0, null), "gather: index is null");
        fails(() -> t(2, 3).scatterAdd(0, Tensor.zeros(2, 3), t(1, 3)), "scatterAdd", "[2, 3]", "[1, 3]", "source");
        fails(() -> t(2, 3).scatterAdd(0, Tensor.zeros(1, 1), t(3)), "scatterAdd", "source", "[3]", "[2, 3]");
    }

    @Test
    void stackOfMismatchedShapesNamesBoth() {
        fails(() -> Tensor.stack(List.of(t(3, 2), t(3, 2), t(2, 3)), 0), "stack: tensor 2 has shape [2, 3] but tensor 0 has [3, 2]");
        fails(() -> Tensor.stack(List.of(), 0), "stack", "at least one");
        fails(() -> Tensor.stack(List.of(t(2), t(2)), 2), "stack", "axis 2");
    }

    @Test
    void permuteWithARepeatedOrMissingAxisNamesThem() {
        fails(() -> t(2, 3, 4).permute(0, 0, 1), "permute", "[0, 0, 1]", "repeat axis [0]", "miss axis [2]");
        fails(() -> t(2, 3, 4).permute(0, -1, 2), "permute", "repeat axis [2]", "miss axis [1]");
        fails(() -> t(2, 3).permute(0), "permute", "[0]", "[2, 3]");
        fails(() -> t(2, 3).permute(0, 2), "permute", "axis 2");
    }

    @Test
    void axesOutOfRangeAndEmptyReductions() {
        fails(() -> t(2, 3).unsqueeze(3), "unsqueeze", "axis 3");
        fails(() -> t(2, 3).squeeze(2), "squeeze", "axis 2");
        fails(() -> t(2, 3).flatten(-3), "flatten", "axis -3");
        fails(() -> t(0).max(), "max", "[0]", "empty");
        fails(() -> t(2, 0).min(), "min", "empty");
        fails(() -> t(2, 0).argmax(1, false), "argmax", "empty");
        fails(() -> t(2, 0).var(1, false), "var", "empty");
        fails(() -> t(0).logSumExp(), "logSumExp", "empty");
        fails(() -> t(2, 3).cumsum(2), "cumsum", "axis 2");
    }
}
