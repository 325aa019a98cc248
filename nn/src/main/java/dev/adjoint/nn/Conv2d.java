package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A 2-D convolution layer over {@code [N, C, H, W]} inputs, as PyTorch's {@code Conv2d}: weight
 * {@code [out, in, k, k]} and bias {@code [out]}, PyTorch's names and layouts (so
 * {@link SafeTensors} moves them unchanged). See {@link Tensor#conv2d(Tensor, Tensor, int, int)}.
 */
public final class Conv2d implements Layer {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final int stride;
    private final int padding;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * A convolution whose weight and bias are filled by {@code init} with fan-in
     * {@code inChannels * k * k} and fan-out {@code outChannels * k * k} (as PyTorch counts them).
     *
     * @param inChannels input channels, positive
     * @param outChannels output channels (filters), positive
     * @param kernelSize the square kernel's side, positive
     * @param stride the step between windows, positive
     * @param padding zeros added on every side, {@code >= 0}
     * @param init the initializer, e.g. {@code Init.heUniform(rng)} before a ReLU
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, Init init) {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: channels, kernel size and stride must be positive and padding >= 0, got in "
                    + inChannels + ", out " + outChannels + ", kernel " + kernelSize + ", stride " + stride + ", padding " + padding);
        }
        if (init == null) {
            throw new IllegalArgumentException("Conv2d: init is null");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        int area = kernelSize * kernelSize;
        this.weight = init.parameter(inChannels * area, outChannels * area, outChannels, inChannels, kernelSize, kernelSize);
        this.bias = init.bias(inChannels * area, outChannels * area, outChannels);
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.conv2d(weight, bias, stride, padding);
    }

    /**
     * The weight {@code [out, in, k, k]}.
     *
     * @return the weight
     */
    public Tensor weight() {
        return weight;
    }

    /**
     * The bias {@code [out]}.
     *
     * @return the bias
     */
    public Tensor bias() {
        return bias;
    }

    @Override
    public List<Tensor> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return Layers.weightAndBias(weight, bias);
    }

    /** @return the input channels */
    public int inChannels() {
        return inChannels;
    }

    /** @return the output channels (filters) */
    public int outChannels() {
        return outChannels;
    }

    /** @return the square kernel's side */
    public int kernelSize() {
        return kernelSize;
    }

    /** @return the step between windows */
    public int stride() {
        return stride;
    }

    /** @return the zeros added on every side */
    public int padding() {
        return padding;
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel " + kernelSize + ", stride " + stride + ", padding " + padding + ")";
    }
}
