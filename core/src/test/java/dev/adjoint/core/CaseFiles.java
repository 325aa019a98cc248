package dev.adjoint.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reading the recorded PyTorch case files ({@code pytorch-cases.txt}, {@code special-values.txt}):
 * a line is words; a shape is written {@code [2 3]} (possibly spread over several words) and is
 * followed by numbers. A case runs from a line starting {@code case } to a line {@code end}.
 */
public final class CaseFiles {
    private CaseFiles() {
    }

    /**
     * The cases of a case file on the test class path, each as its lines.
     *
     * @param resource the file, e.g. {@code "/pytorch-cases.txt"}
     * @return the cases
     * @throws IOException if the file cannot be read
     */
    public static List<List<String>> readCases(String resource) throws IOException {
        List<List<String>> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                CaseFiles.class.getResourceAsStream(resource), resource), StandardCharsets.UTF_8))) {
            List<String> current = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("case ")) {
                    current = new ArrayList<>();
                }
                if (current != null) {
                    current.add(line);
                }
                if (line.equals("end")) {
                    cases.add(current);
                    current = null;
                }
            }
        }
        return cases;
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

    /**
     * Compares Adjoint's numbers with PyTorch's recorded ones to 1e-9 relative (1e-12 absolute);
     * NaN matches NaN.
     *
     * @param what what is compared, for the message
     * @param actual Adjoint's values
     * @param expected PyTorch's values
     * @return the first disagreement, or null if they agree
     */
    public static String compare(String what, double[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return what + ": " + actual.length + " elements, PyTorch " + expected.length;
        }
        for (int i = 0; i < actual.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            if (!(diff <= 1e-12 + 1e-9 * Math.abs(expected[i])) && !(Double.isNaN(actual[i]) && Double.isNaN(expected[i]))) {
                return what + "[" + i + "]: Adjoint " + actual[i] + ", PyTorch " + expected[i];
            }
        }
        return null;
    }
}
