package dev.adjoint.nn.reliability;

import dev.adjoint.nn.Adam;
import dev.adjoint.nn.Checkpoint;
import dev.adjoint.nn.Dataset;
import dev.adjoint.nn.Dropout;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.LearningRateSchedule;
import dev.adjoint.nn.Linear;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.ReLU;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The child process of {@link ResumeAfterCrashTest}: trains a small network (Adam, shuffled
 * mini-batches, a step schedule, dropout) with a trainer that saves a checkpoint every
 * {@link #EVERY} steps, resuming from the checkpoint if one exists, and when the run is complete
 * saves the final parameters and prints {@code done}. The parent kills it with SIGKILL at random
 * moments.
 *
 * <p>Usage: {@code TrainingChildMain <checkpoint> <final parameters>}.
 */
public final class TrainingChildMain {
    static final int EVERY = 7;
    static final int EPOCHS = 12;
    static final int BATCH = 10;

    private TrainingChildMain() {
    }

    static Sequential model() {
        SplittableRandom rng = new SplittableRandom(5);
        return new Sequential(new Linear(4, 32, Init.heUniform(rng)), new ReLU(), new Dropout(0.2, new SplittableRandom(6)),
                new Linear(32, 3, Init.xavierUniform(rng)));
    }

    static Dataset data() {
        SplittableRandom rng = new SplittableRandom(7);
        double[][] x = new double[97][4];
        int[] y = new int[97];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < 4; k++) {
                x[i][k] = rng.nextGaussian();
            }
            y[i] = x[i][0] + x[i][1] > 0.5 ? 2 : x[i][2] > 0 ? 1 : 0;
        }
        return Dataset.of(x, y);
    }

    static Trainer trainer(Sequential model) {
        return new Trainer(model, new Adam(model.parameters(), 0.01), (logits, b) -> Losses.crossEntropy(logits, b.labels()))
                .schedule(LearningRateSchedule.step(3, 0.5)).doctor(null);
    }

    /** The unbroken run's final parameters, or a resumed one's: the same code path. */
    static Sequential run(Path checkpoint) throws Exception {
        Sequential model = model();
        Trainer trainer = trainer(model);
        if (checkpoint != null) {
            trainer.checkpoint(checkpoint, EVERY);
            if (Files.exists(checkpoint)) {
                trainer.resume(checkpoint);
            }
        }
        trainer.fit(data(), EPOCHS, BATCH, new SplittableRandom(8));
        return model;
    }

    /**
     * Entry point.
     *
     * @param args the checkpoint file and the file for the final parameters
     * @throws Exception if training fails
     */
    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        System.out.flush();
        Sequential model = run(Path.of(args[0]));
        Checkpoint.save(model, Path.of(args[1]));
        System.out.println("done");
        System.out.flush();
    }
}
