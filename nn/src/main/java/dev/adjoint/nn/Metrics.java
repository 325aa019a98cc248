package dev.adjoint.nn;

import dev.adjoint.core.Tensor;
import java.util.Arrays;

/**
 * Classification metrics over a batch of scores ({@code [n, classes]} logits or probabilities): the
 * predicted class of a row is its highest score, the first one at ties, as PyTorch's
 * {@code argmax}; a row holding NaN predicts the NaN's class (NaN counts as the highest, as in
 * PyTorch), so a broken model shows as wrong predictions rather than as a silent default.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * The share of rows whose highest score is at the true class.
     *
     * @param logits scores, shape {@code [n, classes]}
     * @param labels the true class of each row, {@code n} of them, each in {@code [0, classes)}
     * @return the accuracy, in [0, 1]
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public static double accuracy(Tensor logits, int[] labels) {
        int[] predicted = predictions("accuracy", logits, labels);
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / predicted.length;
    }

    /**
     * Counts of (true class, predicted class) pairs.
     *
     * @param logits scores, shape {@code [n, classes]}
     * @param labels the true class of each row
     * @param classes the number of classes, which must equal the scores' second dimension
     * @return {@code matrix[trueClass][predictedClass]}, {@code classes x classes}
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public static int[][] confusionMatrix(Tensor logits, int[] labels, int classes) {
        int[] predicted = predictions("confusionMatrix", logits, labels);
        if (classes != logits.dim(1)) {
            throw new IllegalArgumentException("Metrics.confusionMatrix: " + classes + " classes, but the scores have shape "
                    + Arrays.toString(logits.shape()));
        }
        int[][] m = new int[classes][classes];
        for (int i = 0; i < predicted.length; i++) {
            m[labels[i]][predicted[i]]++;
        }
        return m;
    }

    private static int[] predictions(String what, Tensor logits, int[] labels) {
        if (logits == null || labels == null) {
            throw new IllegalArgumentException("Metrics." + what + ": " + (logits == null ? "logits" : "labels") + " is null");
        }
        int[] s = logits.shape();
        if (s.length != 2 || s[1] == 0 || s[0] == 0) {
            throw new IllegalArgumentException("Metrics." + what + ": scores must have shape [n, classes] with n, classes > 0, got "
                    + Arrays.toString(s));
        }
        if (labels.length != s[0]) {
            throw new IllegalArgumentException("Metrics." + what + ": " + labels.length + " labels for scores of shape " + Arrays.toString(s));
        }
        double[] v = logits.toArray();
        int[] predicted = new int[s[0]];
        for (int i = 0; i < s[0]; i++) {
            if (labels[i] < 0 || labels[i] >= s[1]) {
                throw new IllegalArgumentException("Metrics." + what + ": label " + labels[i] + " of row " + i + " is not one of the "
                        + s[1] + " classes");
            }
            int best = 0;
            for (int c = 1; c < s[1]; c++) {
                double x = v[i * s[1] + c];
                double b = v[i * s[1] + best];
                if (!Double.isNaN(b) && (x > b || Double.isNaN(x))) {
                    best = c;
                }
            }
            predicted[i] = best;
        }
        return predicted;
    }
}
