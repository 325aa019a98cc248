package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;

/** A float32 data set holds its inputs only as float32 and gives the float64 data set's batches rounded, through every conversion. */
class DatasetDtypeTest {

    /** Inputs of arbitrary doubles (most not float32 values) with labels, or with target rows. */
    private static Dataset random(SplittableRandom rng, boolean labelled) {
        int rows = 2 + rng.nextInt(40);
        int width = 1 + rng.nextInt(20);
        double[][] x = new double[rows][width];
        double[][] y = new double[rows][1 + rng.nextInt(3)];
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < width; j++) {
                x[i][j] = rng.nextDouble(-3, 3);
            }
            for (int j = 0; j < y[i].length; j++) {
                y[i][j] = rng.nextDouble(-1, 1);
            }
            labels[i] = rng.nextInt(10);
        }
        return labelled ? Dataset.of(x, labels) : Dataset.of(x, y);
    }

    private static long[] bits(Tensor t) {
        return Arrays.stream(t.toArray()).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    private static long[] roundedBits(Tensor t) {
        return Arrays.stream(t.toArray()).mapToLong(v -> Double.doubleToRawLongBits((float) v)).toArray();
    }

    /** {@code narrow}'s batches are {@code wide}'s rounded to float32, in float32; same labels and indices. */
    private static void assertRounded(Dataset wide, Dataset narrow) {
        assertEquals(DType.FLOAT64, wide.dtype());
        assertEquals(DType.FLOAT32, narrow.dtype());
        assertEquals(wide.size(), narrow.size());
        assertEquals(4L * narrow.size() * narrow.inputWidth(), narrow.inputBytes(), "a float32 data set holds floats only");
        Batch w = wide.all();
        Batch n = narrow.all();
        assertEquals(DType.FLOAT32, n.inputs().dtype());
        assertEquals(DType.FLOAT32, n.targets().dtype());
        assertArrayEquals(w.inputs().shape(), n.inputs().shape());
        assertArrayEquals(roundedBits(w.inputs()), bits(n.inputs()));
        assertArrayEquals(roundedBits(w.targets()), bits(n.targets()));
        assertArrayEquals(w.labels(), n.labels());
        assertArrayEquals(w.indices(), n.indices());
    }

    @Property(tries = 50)
    void aFloat32DataSetHoldsFloatsOnlyAndWidensExactlyBackToFloat64(@ForAll long seed, @ForAll boolean labelled) {
        Dataset data = random(new SplittableRandom(seed), labelled);
        assertEquals(8L * data.size() * data.inputWidth(), data.inputBytes());
        Dataset float32 = data.to(DType.FLOAT32);
        assertSame(float32, float32.to(DType.FLOAT32));
        assertRounded(data, float32);

        Dataset back = float32.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, back.dtype());
        assertEquals(8L * back.size() * back.inputWidth(), back.inputBytes());
        Batch b = back.all();
        assertEquals(DType.FLOAT64, b.inputs().dtype());
        assertArrayEquals(roundedBits(data.all().inputs()), bits(b.inputs()), "the float32 values, widened");
        assertArrayEquals(bits(float32.all().inputs()), bits(back.to(DType.FLOAT32).all().inputs()), "a round trip keeps the floats");
        assertEquals(data.classNames(), float32.classNames());
        assertEquals(data.hasLabels(), float32.hasLabels());
    }

    @Property(tries = 50)
    void splittingAFloat32DataSetGivesTheFloat64PartsRounded(@ForAll long seed, @ForAll boolean labelled,
            @ForAll @DoubleRange(min = 0.05, max = 0.95) double fraction) {
        SplittableRandom rng = new SplittableRandom(seed);
        Dataset data = random(rng, labelled);
        int first = (int) Math.round(fraction * data.size());
        if (first == 0 || first == data.size()) {
            return;
        }
        long splitSeed = rng.nextLong();
        Dataset[] wide = data.split(fraction, new SplittableRandom(splitSeed));
        Dataset[] narrow = data.to(DType.FLOAT32).split(fraction, new SplittableRandom(splitSeed));
        for (int p = 0; p < 2; p++) {
            assertRounded(wide[p], narrow[p]);
        }
    }

    @Property(tries = 50)
    void standardizingAFloat32DataSetKeepsFloat32AndItsValuesThroughFloat64(@ForAll long seed, @ForAll boolean labelled,
            @ForAll @DoubleRange(min = -2, max = 2) double mean, @ForAll @DoubleRange(min = 0.01, max = 5) double std) {
        Dataset float32 = random(new SplittableRandom(seed), labelled).to(DType.FLOAT32);
        Dataset standardized = float32.standardize(mean, std);
        assertEquals(DType.FLOAT32, standardized.dtype());
        assertEquals(4L * standardized.size() * standardized.inputWidth(), standardized.inputBytes());
        Tensor expected = float32.all().inputs().sub(mean).div(std);
        assertArrayEquals(bits(expected), bits(standardized.all().inputs()));

        Dataset back = standardized.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, back.dtype());
        assertArrayEquals(bits(expected), bits(back.all().inputs()), "the standardized float32 values, widened");
        for (Dataset part : standardized.split(0.5, new SplittableRandom(seed))) {
            assertEquals(DType.FLOAT32, part.dtype());
            assertEquals(4L * part.size() * part.inputWidth(), part.inputBytes());
        }
    }
}
