package dev.adjoint.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds hidden units that are exact copies of each other: same incoming weights and bias, same
 * outgoing weights. Such units compute the same value and receive the same gradient on every
 * step, for any data, so gradient descent can never make them differ.
 */
final class Symmetry {
    private Symmetry() {
    }

    static List<Finding> find(List<Layer> layers) {
        List<Finding> findings = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            if (!(layers.get(i) instanceof Linear layer)) {
                continue;
            }
            int next = nextLinear(layers, i);
            if (next < 0) {
                continue;
            }
            Linear following = (Linear) layers.get(next);
            List<List<Integer>> groups = identicalUnits(layer, following);
            for (List<Integer> group : groups) {
                findings.add(new Finding(Finding.Kind.SYMMETRY, Doctor.describe(i, layer) + ": hidden units " + group
                        + " have identical incoming weights and bias and identical outgoing weights into "
                        + Doctor.describe(next, following) + ", so every step gives them identical gradients and they stay "
                        + "copies of each other forever, whatever the data (symmetry is never broken): initialise with random "
                        + "values, e.g. new Linear(" + layer.inFeatures() + ", " + layer.outFeatures()
                        + ", Init.xavierUniform(rng))"));
            }
        }
        return findings;
    }

    /** The next Linear layer reached through elementwise activations only, or -1. */
    private static int nextLinear(List<Layer> layers, int from) {
        for (int j = from + 1; j < layers.size(); j++) {
            Layer l = layers.get(j);
            if (l instanceof Linear) {
                return j;
            }
            if (!(l instanceof Sigmoid || l instanceof Tanh || l instanceof ReLU || l instanceof LeakyReLU)) {
                return -1;
            }
        }
        return -1;
    }

    private static List<List<Integer>> identicalUnits(Linear layer, Linear following) {
        int in = layer.inFeatures();
        int units = layer.outFeatures();
        int out = following.outFeatures();
        if (following.inFeatures() != units) {
            return List.of();
        }
        double[] w = layer.weight().toArray();
        double[] b = layer.bias().toArray();
        double[] v = following.weight().toArray();
        double[][] signature = new double[units][];
        for (int u = 0; u < units; u++) {
            double[] s = new double[in + 1 + out];
            for (int k = 0; k < in; k++) {
                s[k] = w[k * units + u];
            }
            s[in] = b[u];
            System.arraycopy(v, u * out, s, in + 1, out);
            signature[u] = s;
        }
        List<List<Integer>> groups = new ArrayList<>();
        boolean[] grouped = new boolean[units];
        for (int u = 0; u < units; u++) {
            if (grouped[u]) {
                continue;
            }
            List<Integer> group = new ArrayList<>(List.of(u));
            for (int t = u + 1; t < units; t++) {
                if (!grouped[t] && Arrays.equals(signature[u], signature[t])) {
                    group.add(t);
                    grouped[t] = true;
                }
            }
            if (group.size() > 1) {
                groups.add(group);
            }
        }
        return groups;
    }
}
