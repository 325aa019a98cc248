package dev.adjoint.spark;

import java.io.Serializable;

/**
 * One training example of a Spark data set: its input features and its target row, its class
 * label, or both.
 *
 * @param input the input features (every sample of a data set has the same number)
 * @param target the target row, or {@code null} when the data set has class labels only
 * @param label the class label, from 0, or -1 when the data set has targets only
 * @serial exclude
 */
public record Sample(double[] input, double[] target, int label) implements Serializable {

    /**
     * Checks that there is an input.
     *
     * @param input the input features
     * @param target the target row, or {@code null}
     * @param label the class label, or -1
     * @throws IllegalArgumentException if {@code input} is null
     */
    public Sample {
        if (input == null) {
            throw new IllegalArgumentException("Sample: input is null");
        }
    }

    /**
     * A labelled example (no target row).
     *
     * @param input the input features
     * @param label the class label, from 0
     * @return the sample
     */
    public static Sample labelled(double[] input, int label) {
        return new Sample(input, null, label);
    }

    /**
     * An example with a target row (no class label).
     *
     * @param input the input features
     * @param target the target row
     * @return the sample
     */
    public static Sample withTarget(double[] input, double[] target) {
        return new Sample(input, target, -1);
    }
}
