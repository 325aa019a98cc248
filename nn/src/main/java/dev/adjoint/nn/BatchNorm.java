package dev.adjoint.nn;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batch normalization over the channel axis (axis 1), as PyTorch's {@code BatchNorm1d} and
 * {@code BatchNorm2d} with their defaults (eps 1e-5, momentum 0.1, affine, running statistics
 * tracked). In training mode each channel is normalized with the batch's mean and biased variance,
 * and the running mean and the running unbiased variance move toward them by {@code momentum}; in
 * evaluation mode ({@code train(false)}) the running statistics are used instead.
 *
 * <p>Parameters {@code weight} (ones) and {@code bias} (zeros), buffers {@code running_mean}
 * (zeros), {@code running_var} (ones) and {@code num_batches_tracked}, all PyTorch's names.
 */
public abstract sealed class BatchNorm implements Layer permits BatchNorm1d, BatchNorm2d {
    private static final double EPS = 1e-5;
    private static final double MOMENTUM = 0.1;
    private final String name;
    private final int channels;
    private final int[] ranks;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor batchesTracked = Tensor.zeros();
    private boolean training = true;

    BatchNorm(String name, int channels, int... ranks) {
        if (channels <= 0) {
            throw new IllegalArgumentException(name + ": the number of channels must be positive, got " + channels);
        }
        this.name = name;
        this.channels = channels;
        this.ranks = ranks;
        this.weight = Tensor.ones(channels).requiresGrad(true);
        this.bias = Tensor.zeros(channels).requiresGrad(true);
        this.runningMean = Tensor.zeros(channels);
        this.runningVar = Tensor.ones(channels);
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        if (Arrays.stream(ranks).noneMatch(r -> r == s.length) || s[1] != channels) {
            throw new IllegalArgumentException(name + ": expected input of rank " + Arrays.toString(ranks).replaceAll("[\\[\\]]", "")
                    .replace(", ", " or ") + " with " + channels + " channels in axis 1, got shape " + Arrays.toString(s));
        }
        if (training) {
            if ((long) x.size() / channels < 2) {
                throw new IllegalArgumentException(name + ": expected more than one value per channel in training mode, got input shape "
                        + Arrays.toString(s));
            }
            Tensor y = x.batchNorm(runningMean, runningVar, weight, bias, true, MOMENTUM, EPS);
            batchesTracked.modify(b -> b[0] += 1);
            return y;
        }
        return x.batchNorm(runningMean, runningVar, weight, bias, false, MOMENTUM, EPS);
    }

    /**
     * Converts the weight, bias and running statistics to {@code dtype}. The count of training
     * batches stays float64 (PyTorch keeps it as an int64): in float32 it would stop counting at
     * 2^24 batches.
     *
     * @param dtype the new dtype
     * @return this layer
     */
    @Override
    public BatchNorm to(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException(name + ".to: dtype is null");
        }
        for (Tensor t : new Tensor[] {weight, bias, runningMean, runningVar}) {
            t.setDtype(dtype);
        }
        return this;
    }

    @Override
    public List<Tensor> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return Layers.weightAndBias(weight, bias);
    }

    /**
     * The running statistics and the count of training batches, by PyTorch's names.
     *
     * @return {@code running_mean}, {@code running_var}, {@code num_batches_tracked}
     */
    @Override
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("running_mean", runningMean);
        named.put("running_var", runningVar);
        named.put("num_batches_tracked", batchesTracked);
        return Collections.unmodifiableMap(named);
    }

    @Override
    public void train(boolean training) {
        this.training = training;
    }

    /**
     * Whether the layer is in training mode.
     *
     * @return whether the layer normalizes with batch statistics
     */
    public boolean isTraining() {
        return training;
    }

    /**
     * The running mean, a copy.
     *
     * @return the running mean per channel
     */
    public double[] runningMean() {
        return runningMean.toArray();
    }

    /**
     * The running (unbiased) variance, a copy.
     *
     * @return the running variance per channel
     */
    public double[] runningVar() {
        return runningVar.toArray();
    }

    @Override
    public String toString() {
        return name + "(" + channels + ")";
    }
}
