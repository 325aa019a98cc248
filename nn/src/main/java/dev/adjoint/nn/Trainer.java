package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * A small training loop: for each mini-batch, {@code zeroGrad}, forward, loss, backward, a check of
 * the gradients, optional gradient clipping, {@code step}; returns the loss of every step. Each
 * step runs in a {@link MemoryScope}, so its large arrays serve the next step
 * ({@link #recycleMemory(boolean)}).
 *
 * <pre>{@code
 * Trainer trainer = new Trainer(model, new Adam(model.parameters(), 0.01),
 *         (prediction, batch) -> Losses.crossEntropy(prediction, batch.labels()));
 * double[] history = trainer.fit(data, 20, 32, new SplittableRandom(1));
 * }</pre>
 *
 * <p>On a terminal ({@code System.console() != null}) it keeps one progress line on
 * {@code System.err} up to date (step, loss, steps per second), a few times a second; elsewhere
 * (tests, CI logs, pipes) it is quiet unless {@link #progress(PrintStream)} says otherwise.
 * {@link Listener}s see the start (before the first step: the place for diagnostics that inspect
 * the model and a first batch), every step and the end.
 *
 * <p>Training stops before damage: a step whose loss is NaN or infinite, or whose loss is finite but
 * whose gradient holds NaN or infinity (found in the one pass that computes the global gradient
 * norm, which clipping uses too), is refused before {@code optimizer.step()} with a
 * {@link TrainingStoppedException} that names the step and carries the losses of the steps before
 * it; the parameters and the optimizer's state stay as the previous step left them.
 *
 * <p>Dtypes: a float32 model ({@code model.to(DType.FLOAT32)}) trains on float32 batches, which
 * {@link Dataset#to(DType)} makes; the trainer refuses a batch whose inputs' dtype differs from the
 * parameters' with an {@link IllegalArgumentException} saying which call converts it (it never
 * converts silently: a float64 data set fed to a float32 model is usually a mistake that costs a
 * conversion per step).
 *
 * <p>The trainer keeps no loss tensor beyond its step (only {@code item()} values), so each step's
 * graph and activations can be collected as soon as the step ends. Loss functions and listeners
 * should do the same: a kept loss tensor keeps its whole graph alive, and is refused once its step's memory scope has closed.
 */
public final class Trainer {

    /** Computes the scalar loss of a prediction for a batch. */
    @FunctionalInterface
    public interface LossFunction {
        /**
         * @param prediction the model's output for {@code batch.inputs()}
         * @param batch the batch, with its targets or labels
         * @return a scalar loss
         */
        Tensor loss(Tensor prediction, Batch batch);
    }

    /** Callbacks around training; every method does nothing by default. */
    public interface Listener {
        /**
         * Called once per {@code fit}, before the first step.
         *
         * @param trainer the trainer (its model, optimizer and loss function)
         * @param firstBatch the batch the first step will use
         */
        default void onStart(Trainer trainer, Batch firstBatch) {
        }

        /**
         * Called after every step.
         *
         * @param step the step, from 0
         * @param loss the loss of that step (computed before the update)
         */
        default void onStep(int step, double loss) {
        }

        /**
         * Called once at the end of {@code fit}.
         *
         * @param history the loss of every step
         */
        default void onEnd(double[] history) {
        }
    }

    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    private final Layer model;
    private final Optimizer optimizer;
    private final LossFunction lossFunction;
    private final List<Listener> listeners = new ArrayList<>();
    private LearningRateSchedule schedule;
    private double clipNorm;
    private boolean recycle = true;
    private PrintStream progress;
    private PrintStream doctor = System.err;
    private List<Finding> findings = List.of();
    private double[] gradientScratch = new double[0];
    private double[] gradientNorms = new double[0];
    private Path checkpointFile;
    private int checkpointEvery;
    /** The run to continue, loaded by {@link #resume}: its position, or null. */
    private Map<String, double[]> resumed;

    /**
     * @param model the model to train
     * @param optimizer an optimizer over (usually) {@code model.parameters()}
     * @param lossFunction the loss of a prediction for a batch
     */
    public Trainer(Layer model, Optimizer optimizer, LossFunction lossFunction) {
        if (model == null || optimizer == null || lossFunction == null) {
            throw new IllegalArgumentException("Trainer: " + (model == null ? "model" : optimizer == null ? "optimizer"
                    : "loss function") + " is null");
        }
        this.model = model;
        this.optimizer = optimizer;
        this.lossFunction = lossFunction;
        // NOTE: on JDK 22+ System.console() is non-null even when redirected (Console.isTerminal()
        // tells them apart there); on the Java 17 this targets, null means "not a terminal".
        this.progress = System.console() != null ? System.err : null;
    }

    /**
     * Saves the run every {@code everySteps} steps and after the last one: the model, the
     * optimizer's state and the trainer's position (step, learning-rate base, losses so far), in one
     * checkpoint file replaced atomically. {@link #resume} continues such a run exactly.
     *
     * @param file the checkpoint file; its directory must exist
     * @param everySteps how often to save, in steps, positive
     * @return this trainer
     */
    public Trainer checkpoint(Path file, int everySteps) {
        if (file == null || everySteps <= 0) {
            throw new IllegalArgumentException("Trainer.checkpoint: " + (file == null ? "file is null"
                    : "everySteps must be positive, got " + everySteps));
        }
        this.checkpointFile = file;
        this.checkpointEvery = everySteps;
        return this;
    }

    /**
     * Loads a run saved by {@link #checkpoint} into this trainer's model and optimizer; the next
     * {@link #fit(Dataset, int, int, RandomGenerator)} continues it where it stopped, mid-epoch
     * included, and ends with bitwise the parameters and losses of an unbroken run. Call that
     * {@code fit} as the saved run was called: the same data, epochs and batch size, and a shuffling
     * generator seeded the same (the trainer replays its draws for the steps already done). A
     * {@link Dropout} layer (in a {@link Sequential}) is replayed too: build the model afresh with
     * an equally seeded generator, and the resumed run draws the saved run's masks.
     *
     * @param file the checkpoint file
     * @return this trainer
     * @throws IOException if the file cannot be read, does not fit the model and optimizer, or holds
     *     no trainer position; nothing is changed then
     */
    public Trainer resume(Path file) throws IOException {
        Map<String, double[]> position = Checkpoint.loadWithExtras(model, optimizer, file);
        double[] step = position.get("step");
        if (step == null || step.length != 4 || position.get("history") == null) {
            throw new IOException("Checkpoint " + file + ": holds no trainer position (saved by Checkpoint.save, not by a Trainer)");
        }
        Map<String, Dropout> dropouts = dropouts(model);
        for (Map.Entry<String, Dropout> d : dropouts.entrySet()) {
            double[] count = position.get("draws." + d.getKey());
            if (count == null || count.length != 1) {
                throw new IOException("Checkpoint " + file + ": holds no draw count for the Dropout layer " + d.getKey());
            }
            d.getValue().replayTo((long) count[0]);
        }
        this.resumed = position;
        return this;
    }

    /** The model's Dropout layers by position path ("1", "0.3"), whose generators a resume replays. */
    private static Map<String, Dropout> dropouts(Layer model) {
        Map<String, Dropout> out = new LinkedHashMap<>();
        Layers.forEachLeaf(model, "", (path, layer) -> {
            if (layer instanceof Dropout d) {
                out.put(path.isEmpty() ? "0" : path, d);
            }
        });
        return out;
    }

    /**
     * The model.
     *
     * @return the model
     */
    public Layer model() {
        return model;
    }

    /**
     * The optimizer.
     *
     * @return the optimizer
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The loss function.
     *
     * @return the loss function
     */
    public LossFunction lossFunction() {
        return lossFunction;
    }

    /**
     * Sets the optimizer's learning rate at the start of each epoch from {@code schedule}, with the
     * rate the optimizer had when {@code fit} began as the base rate.
     *
     * @param schedule the schedule, or {@code null} for none
     * @return this trainer
     */
    public Trainer schedule(LearningRateSchedule schedule) {
        this.schedule = schedule;
        return this;
    }

    /**
     * Clips the gradients to a global L2 norm of at most {@code maxNorm} before each step
     * ({@link GradientClipping#clipByGlobalNorm}); 0 switches clipping off.
     *
     * @param maxNorm the largest norm, positive and finite, or 0
     * @return this trainer
     */
    public Trainer clipGradNorm(double maxNorm) {
        if (!(maxNorm >= 0 && maxNorm < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("Trainer: maxNorm must be a finite number >= 0, got " + maxNorm);
        }
        this.clipNorm = maxNorm;
        return this;
    }

    /**
     * Where to print the progress line, overriding the terminal detection; {@code null} for quiet.
     *
     * @param out the stream, or null
     * @return this trainer
     */
    public Trainer progress(PrintStream out) {
        this.progress = out;
        return this;
    }

    /**
     * Whether each step runs in a {@link MemoryScope} (on by default): the step's activations and
     * intermediate gradients go back for the next step's ops when it ends, which makes steps on
     * large tensors faster. A loss function that keeps a tensor it computed (a prediction for a
     * metric, say) past its step then finds it refused with an {@link IllegalStateException} that
     * names {@code MemoryScope}; turn recycling off for such a loss, or read what it needs (a
     * {@code double}, a copy from {@code toArray()}) within the step.
     *
     * @param on whether to run each step in a memory scope
     * @return this trainer
     */
    public Trainer recycleMemory(boolean on) {
        this.recycle = on;
        return this;
    }

    /**
     * Where the {@link Doctor}'s findings go: before the first step of each {@code fit}, the trainer
     * examines the model on the first batch (in eval mode, leaving parameters, gradients and any
     * dropout randomness untouched) and prints one line per finding. {@code System.err} by default;
     * {@code null} switches the examination off. A healthy network prints nothing; one with frozen
     * parameters or a layer under {@code noGrad} gets a {@link Finding.Kind#NOT_EXAMINED} line saying
     * what the examination could not cover.
     *
     * @param out the stream, or null
     * @return this trainer
     */
    public Trainer doctor(PrintStream out) {
        this.doctor = out;
        return this;
    }

    /**
     * What the doctor found before the first step of the last {@code fit} (empty if it found nothing
     * or was switched off).
     *
     * @return the findings
     */
    public List<Finding> findings() {
        return findings;
    }

    /**
     * Adds a listener.
     *
     * @param listener the listener
     * @return this trainer
     */
    public Trainer listener(Listener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("Trainer: listener is null");
        }
        listeners.add(listener);
        return this;
    }

    /**
     * Full-batch training: {@code steps} steps on the whole data set (one step per epoch).
     *
     * @param data the data set
     * @param steps the number of steps, at least 0
     * @return the loss of every step
     * @throws TrainingStoppedException if a step's loss or gradient is NaN or infinite (nothing of
     *     that step is applied; the exception carries the losses of the steps before it)
     */
    public double[] fit(Dataset data, int steps) {
        if (data == null) {
            throw new IllegalArgumentException("Trainer: data set is null");
        }
        return fit(data, steps, data.size(), null);
    }

    /**
     * Mini-batch training for {@code epochs} passes over {@code data}, with the model in training
     * mode ({@code model.train(true)}).
     *
     * @param data the data set
     * @param epochs the number of epochs, at least 0
     * @param batchSize the batch size, positive
     * @param shuffle the source of each epoch's shuffle, or {@code null} to keep the order
     * @return the loss of every step (there are {@code epochs * ceil(size / batchSize)} steps)
     * @throws TrainingStoppedException (an {@link ArithmeticException}) if a step's loss or
     *     gradient is NaN or infinite: that step applies nothing, and the exception names it and
     *     carries the losses of the steps before it ({@link TrainingStoppedException#history()})
     */
    public double[] fit(Dataset data, int epochs, int batchSize, RandomGenerator shuffle) {
        if (data == null) {
            throw new IllegalArgumentException("Trainer: data set is null");
        }
        requireDtype("the data set's batches are", data.dtype());
        if (epochs < 0) {
            throw new IllegalArgumentException("Trainer: epochs must be >= 0, got " + epochs);
        }
        Batcher batcher = new Batcher(data.size(), batchSize, shuffle);
        int perEpoch = batcher.batchesPerEpoch();
        long steps = (long) epochs * perEpoch;
        if (steps > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Trainer: " + epochs + " epochs of " + perEpoch + " batches are " + steps
                    + " steps, more than a loss history can hold");
        }
        int total = (int) steps;
        double[] history = new double[total];
        double baseRate = optimizer.learningRate();
        int start = 0;
        if (resumed != null) {
            double[] position = resumed.get("step");
            double[] done = resumed.get("history");
            resumed = null;
            if (position[1] != total || position[2] != perEpoch || position[0] != done.length || done.length > total) {
                throw new IllegalStateException("Trainer: the resumed run had " + (long) position[1] + " steps of " + (long) position[2]
                        + " batches per epoch; this fit has " + total + " of " + perEpoch + " (call fit as the saved run was called)");
            }
            start = done.length;
            baseRate = position[3];
            System.arraycopy(done, 0, history, 0, start);
        }
        model.train(true);
        Progress line = progress == null ? null : new Progress(progress, total);
        int step = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[][] order = batcher.nextEpoch(); // drawn for skipped epochs too: the generator replays the saved run
            if (step + order.length <= start) {
                step += order.length;
                continue;
            }
            if (schedule != null) {
                schedule.apply(optimizer, baseRate, epoch);
            }
            for (int[] indices : order) {
                if (step < start) {
                    step++;
                    continue;
                }
                Batch batch = data.batch(indices);
                if (step == 0) {
                    examine(data);
                    for (Listener l : listeners) {
                        l.onStart(this, batch);
                    }
                }
                double loss;
                try {
                    loss = step(batch, step, "step " + step + " (epoch " + epoch + ")", history);
                } catch (TrainingStoppedException e) {
                    if (line != null) {
                        line.update(step, step == 0 ? e.loss() : history[step - 1], true);
                    }
                    throw e;
                }
                history[step] = loss;
                for (Listener l : listeners) {
                    l.onStep(step, loss);
                }
                step++;
                if (checkpointFile != null && (step % checkpointEvery == 0 || step == total)) {
                    save(step, total, perEpoch, baseRate, history);
                }
                if (line != null) {
                    line.update(step, loss, false);
                }
            }
        }
        if (line != null && total > 0) {
            line.update(step, history[total - 1], true);
        }
        for (Listener l : listeners) {
            l.onEnd(history);
        }
        return history;
    }

    private void save(int step, int total, int perEpoch, double baseRate, double[] history) {
        Map<String, double[]> position = new LinkedHashMap<>();
        position.put("step", new double[] {step, total, perEpoch, baseRate});
        position.put("history", Arrays.copyOf(history, step));
        dropouts(model).forEach((path, d) -> position.put("draws." + path, new double[] {d.draws()}));
        try {
            Checkpoint.save(model, optimizer, position, checkpointFile);
        } catch (IOException e) {
            throw new UncheckedIOException("Trainer: saving the checkpoint at step " + step + " failed: " + e.getMessage(), e);
        }
    }

    /** The most examples the doctor looks at before training: enough for its statistics, cheap to run. */
    static final int DOCTOR_SAMPLES = 256;

    /**
     * Runs the doctor on up to {@link #DOCTOR_SAMPLES} examples spread evenly over the data set (not
     * just the first batch: a unit silent on a handful of examples is not dead).
     */
    private void examine(Dataset data) {
        findings = List.of();
        if (doctor == null) {
            return;
        }
        int m = Math.min(DOCTOR_SAMPLES, data.size());
        int[] rows = new int[m];
        for (int i = 0; i < m; i++) {
            rows[i] = (int) ((long) i * data.size() / m);
        }
        model.train(false);
        try {
            findings = Doctor.examine(model, data.batch(rows).inputs());
        } finally {
            model.train(true);
        }
        for (Finding f : findings) {
            doctor.println("Doctor: " + f);
        }
    }

    /**
     * One optimization step on one batch: zeroGrad, forward, loss, backward, a check of the
     * gradients, optional clipping, step.
     *
     * @param batch the batch
     * @return the loss before the update
     * @throws TrainingStoppedException (an {@link ArithmeticException}) if the loss or a gradient
     *     is NaN or infinite (then nothing is updated); it reports step 0 and an empty history
     */
    public double step(Batch batch) {
        if (batch == null) {
            throw new IllegalArgumentException("Trainer: batch is null");
        }
        return step(batch, 0, "this step", new double[0]);
    }

    /** Refuses data whose dtype is not the parameters', saying which call converts it. */
    private void requireDtype(String what, DType dtype) {
        List<Tensor> params = optimizer.parameters();
        if (!params.isEmpty() && dtype != params.get(0).dtype()) {
            DType model = params.get(0).dtype();
            throw new IllegalArgumentException("Trainer: " + what + " " + dtype + " but the model's parameters are " + model
                    + "; convert the data with dataset.to(DType." + model.name() + ") (or the model with model.to(DType."
                    + dtype.name() + "))");
        }
    }

    /**
     * @param history the losses of the steps before this one (its first {@code step} elements)
     */
    private double step(Batch batch, int step, String where, double[] history) {
        if (batch == null) {
            throw new IllegalArgumentException("Trainer: batch is null");
        }
        requireDtype("the batch's inputs are", batch.inputs().dtype());
        optimizer.zeroGrad();
        if (!recycle) {
            return update(batch, step, where, history);
        }
        try (MemoryScope scope = MemoryScope.open()) {
            return update(batch, step, where, history);
        }
    }

    /** The step after {@code zeroGrad}: forward, loss, backward, checks, clipping, the update. */
    private double update(Batch batch, int step, String where, double[] history) {
        Tensor loss = lossFunction.loss(model.forward(batch.inputs()), batch);
        if (loss == null || loss.size() != 1) {
            throw new IllegalStateException("Trainer: the loss function must return a scalar, got "
                    + (loss == null ? "null" : "shape " + Arrays.toString(loss.shape())));
        }
        double value = loss.item();
        if (!Double.isFinite(value)) {
            throw new TrainingStoppedException("Trainer: loss is " + value + " at " + where + "; parameters left as they were."
                    + " Try a smaller learning rate, gradient clipping, or Autograd.detectAnomaly() to find the op",
                    step, value, Arrays.copyOf(history, step));
        }
        loss.backward();
        List<Tensor> parameters = optimizer.parameters();
        double norm = GradientClipping.globalNorm(parameters, gradientScratch(parameters), gradientNorms(parameters));
        if (!Double.isFinite(norm)) {
            throw new TrainingStoppedException("Trainer: the gradient norm is " + norm + " at " + where + " although the loss "
                    + value + " is finite: " + GradientClipping.firstNonFinite(parameters) + "; parameters left as they were."
                    + " Run the step under Autograd.detectAnomaly() to find the op (a derivative at the edge of its domain,"
                    + " such as sqrt or log at 0, is the usual cause)", step, value, Arrays.copyOf(history, step));
        }
        if (clipNorm > 0) {
            GradientClipping.scale(parameters, clipNorm, norm);
        }
        optimizer.step();
        return value;
    }

    private double[] gradientScratch(List<Tensor> parameters) {
        if (gradientScratch.length == 0) {
            int largest = 0;
            for (Tensor p : parameters) {
                largest = Math.max(largest, p.size());
            }
            gradientScratch = new double[largest];
        }
        return gradientScratch;
    }

    private double[] gradientNorms(List<Tensor> parameters) {
        if (gradientNorms.length < parameters.size()) {
            gradientNorms = new double[parameters.size()];
        }
        return gradientNorms;
    }

    /** The progress line: rewritten in place with a carriage return, at most a few times a second. */
    private static final class Progress {
        private final PrintStream out;
        private final int total;
        private final long start = System.nanoTime();
        private long last = start;

        Progress(PrintStream out, int total) {
            this.out = out;
            this.total = total;
        }

        void update(int done, double loss, boolean end) {
            long now = System.nanoTime();
            if (!end && now - last < PROGRESS_INTERVAL_NANOS) {
                return;
            }
            last = now;
            double seconds = Math.max(1e-9, (now - start) / 1e9);
            out.print(String.format(Locale.ROOT, "\rstep %d/%d  loss %.6g  %.1f steps/s    ", done, total, loss, done / seconds));
            if (end) {
                out.println();
            }
            out.flush();
        }
    }
}
