package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example of the README's "Neural networks (nn)" section, kept compiling and working. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeXorExample() throws IOException {
        Path checkpoint = dir.resolve("xor.ckpt");
        // --- as in README.md (with the checkpoint path in a temporary directory)
        Dataset xor = Dataset.of(
                new double[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}},
                new double[][] {{0}, {1}, {1}, {0}});
        Sequential model = MLP.of(new int[] {2, 8, 1}, Tanh::new, Init.xavierUniform(new SplittableRandom(42)));
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.05),
                (prediction, batch) -> Losses.binaryCrossEntropyWithLogits(prediction, batch.targets()));
        double[] losses = trainer.fit(xor, 500);
        System.out.println(model.forward(xor.all().inputs()));
        Checkpoint.save(model, checkpoint);
        // ---
        assertEquals(500, losses.length);
        double[] logits = model.forward(xor.all().inputs()).toArray();
        assertTrue(logits[0] < 0 && logits[1] > 0 && logits[2] > 0 && logits[3] < 0);
        assertTrue(Files.size(checkpoint) > 0);
    }
}
