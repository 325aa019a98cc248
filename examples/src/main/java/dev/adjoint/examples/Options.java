package dev.adjoint.examples;

import java.nio.file.Path;

/**
 * The options of the examples that train and draw: {@code --out DIR} (where the pictures go) and
 * one count option such as {@code --steps N} or {@code --epochs N}.
 *
 * @param out the output directory
 * @param count the value of the count option
 */
record Options(Path out, int count) {
    static final String DEFAULT_OUT = "adjoint-output";
    static final int MAX_COUNT = 1_000_000;

    /**
     * Parses {@code args}.
     *
     * @param args the example's arguments
     * @param countOption the name of the count option, e.g. {@code --steps}
     * @param defaultCount its value when absent
     * @return the options
     * @throws Main.UsageException on an unknown option, a missing value or a count that is not in
     *     {@code [1, 1000000]}
     */
    static Options parse(String[] args, String countOption, int defaultCount) throws Main.UsageException {
        Path out = Path.of(DEFAULT_OUT);
        int count = defaultCount;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (!option.equals("--out") && !option.equals(countOption)) {
                throw new Main.UsageException("unknown option '" + option + "' (expected --out DIR or " + countOption + " N)");
            }
            if (i + 1 == args.length) {
                throw new Main.UsageException(option + " needs a value");
            }
            String value = args[++i];
            if (option.equals("--out")) {
                out = Path.of(value);
            } else {
                count = count(countOption, value);
            }
        }
        return new Options(out, count);
    }

    static int count(String option, String value) throws Main.UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MAX_COUNT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Falls through to the same message as an out-of-range number.
        }
        throw new Main.UsageException(option + " needs a whole number from 1 to " + MAX_COUNT + ", got '" + value + "'");
    }
}
