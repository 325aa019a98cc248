package dev.adjoint.core;

import java.util.Arrays;

/**
 * Reading the recorded PyTorch case files ({@code pytorch-cases.txt}, {@code special-values.txt}):
 * a line is words; a shape is written {@code [2 3]} (possibly spread over several words) and is
 * followed by numbers.
 */
public final class CaseWords {
    private CaseWords() {
    }

    /**
     * How many words the shape starting at {@code from} spans.
     *
     * @param w the line's words
     * @param from where the shape starts
     * @return its word count
     */
    public static int shapeWords(String[] w, int from) {
        int i = from;
        while (!w[i].endsWith("]")) {
            i++;
        }
        return i - from + 1;
    }

    /**
     * The shape starting at word {@code from}.
     *
     * @param w the line's words
     * @param from where the shape starts
     * @return the dimensions
     */
    public static int[] shape(String[] w, int from) {
        String joined = String.join(" ", Arrays.copyOfRange(w, from, from + shapeWords(w, from)));
        String inner = joined.substring(1, joined.length() - 1).trim();
        return inner.isEmpty() ? new int[0] : Arrays.stream(inner.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    /**
     * The numbers from word {@code from} to the end of the line.
     *
     * @param w the line's words
     * @param from the first number's position
     * @return the numbers
     */
    public static double[] numbers(String[] w, int from) {
        double[] out = new double[w.length - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(w[from + i]);
        }
        return out;
    }
}
