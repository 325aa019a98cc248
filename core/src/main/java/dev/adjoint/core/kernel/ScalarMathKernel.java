package dev.adjoint.core.kernel;

/** {@link MathKernel} in plain Java: {@link Math#exp} and the selections as the scalar definitions' ternaries, one element at a time. */
final class ScalarMathKernel implements MathKernel {
    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public void exp(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.exp(a[ao + i]);
        }
    }

    @Override
    public void erf(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = ErrorFunction.erf(a[ao + i]);
        }
    }

    @Override
    public void geluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.geluGrad(g[go + i], x[xo + i]);
        }
    }

    @Override
    public void gelu(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) ErrorFunction.gelu(a[ao + i]);
        }
    }

    @Override
    public void geluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) ErrorFunction.geluGrad(g[go + i], x[xo + i]);
        }
    }

    @Override
    public void log1p(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.log1p(a[ao + i]);
        }
    }

    @Override
    public void log1p(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Math.log1p(a[ao + i]);
        }
    }

    @Override
    public void siluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.siluGrad(g[go + i], x[xo + i]);
        }
    }

    @Override
    public void siluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            float s = (float) Elementwise.sigmoid(x[xo + i]);
            r[ro + i] = g[go + i] * (s * (1f + x[xo + i] * (1f - s)));
        }
    }

    @Override
    public void log(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.log(a[ao + i]);
        }
    }

    @Override
    public void softplus(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.softplus(a[ao + i]);
        }
    }

    @Override
    public void tanh(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Math.tanh(a[ao + i]);
        }
    }

    @Override
    public void sigmoid(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.sigmoid(a[ao + i]);
        }
    }

    @Override
    public void relu(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = x < 0 ? 0.0 : x;
        }
    }

    @Override
    public void reluGrad(double[] g, int go, int gs, double[] x, int xo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Elementwise.reluGrad(g[go + i * gs], x[xo + i]);
        }
    }

    @Override
    public void compare(double[] t, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double x = a[ao + i];
            double y = b[bo + i * sb];
            r[ro + i] = x < y ? t[0] : x > y ? t[1] : x == y ? t[2] : t[3];
        }
    }

    @Override
    public void compare(double[] t, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            float x = a[ao + i];
            float y = b[bo + i * sb];
            r[ro + i] = (float) (x < y ? t[0] : x > y ? t[1] : x == y ? t[2] : t[3]);
        }
    }

    @Override
    public void leakyRelu(double[] a, int ao, double s, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = x > 0 ? x : x * s;
        }
    }

    @Override
    public void leakyRelu(float[] a, int ao, float s, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            float x = a[ao + i];
            r[ro + i] = x > 0 ? x : x * s;
        }
    }

    @Override
    public void inside(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double x = a[ao + i];
            r[ro + i] = lo < x && x < hi ? 1.0 : 0.0;
        }
    }

    @Override
    public void clamp(double[] a, int ao, double lo, double hi, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            double v = a[ao + i];
            r[ro + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    @Override
    public void clamp(float[] a, int ao, float lo, float hi, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            float v = a[ao + i];
            r[ro + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    @Override
    public void where(double[] c, int co, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = c[co + i] != 0 ? a[ao + i] : b[bo + i];
        }
    }

    @Override
    public void where(float[] c, int co, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = c[co + i] != 0 ? a[ao + i] : b[bo + i];
        }
    }

    @Override
    public void widen(float[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = a[ao + i];
        }
    }

    @Override
    public void narrow(double[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) a[ao + i];
        }
    }

    @Override
    public double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(a[ao + i] - shift);
            r[ro + i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void exp(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Math.exp(a[ao + i]);
        }
    }

    @Override
    public void sigmoid(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Elementwise.sigmoid(a[ao + i]);
        }
    }

    @Override
    public void tanh(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Math.tanh(a[ao + i]);
        }
    }

    @Override
    public void log(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Math.log(a[ao + i]);
        }
    }

    @Override
    public void erf(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) ErrorFunction.erf(a[ao + i]);
        }
    }

    @Override
    public void softplus(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Elementwise.softplus(a[ao + i]);
        }
    }

    @Override
    public double expShifted(float[] a, int ao, float shift, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            // the difference of two floats in float64: exact unless their exponents are far apart,
            // and then off by at most half an ulp of a double
            r[ro + i] = (float) Math.exp((double) a[ao + i] - shift);
        }
        return sum(r, ro, n);
    }

    @Override
    public void expDifference(float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) Math.exp((double) a[ao + i] - b[bo + i]);
        }
    }

    @Override
    public double dot(double[] a, int ao, double[] b, int bo, int n) {
        return ReduceKernels.dotInLanes(a, ao, b, bo, n, false);
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        return ReduceKernels.dotInLanes(a, ao, b, bo, n, false);
    }

    @Override
    public double squaredDistance(double[] a, int ao, double[] b, int bo, int n) {
        return ReduceKernels.dotInLanes(a, ao, b, bo, n, true);
    }

    @Override
    public double squaredDistance(float[] a, int ao, float[] b, int bo, int n) {
        return ReduceKernels.dotInLanes(a, ao, b, bo, n, true);
    }

    @Override
    public void scaledDifference(double c, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (a[ao + i] - b[bo + i]) * c;
        }
    }

    @Override
    public void scaledDifference(double c, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) (((double) a[ao + i] - b[bo + i]) * c);
        }
    }

    @Override
    public void arithmetic(Elementwise.Binary op, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n) {
        switch (op) {
            case ADD -> {
                if (sb == 0) {
                    double v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i];
                }
            }
            case SUB -> {
                if (sb == 0) {
                    double v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i];
                }
            }
            case MUL -> {
                if (sb == 0) {
                    double v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i];
                }
            }
            case DIV -> {
                if (sb == 0) {
                    double v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i];
                }
            }
            default -> throw new IllegalArgumentException("arithmetic: " + op + " is not one of ADD, SUB, MUL, DIV");
        }
    }

    @Override
    public void arithmetic(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n) {
        switch (op) {
            case ADD -> {
                if (sb == 0) {
                    float v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i];
                }
            }
            case SUB -> {
                if (sb == 0) {
                    float v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i];
                }
            }
            case MUL -> {
                if (sb == 0) {
                    float v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i];
                }
            }
            case DIV -> {
                if (sb == 0) {
                    float v = b[bo];
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / v;
                } else {
                    for (int i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i];
                }
            }
            default -> throw new IllegalArgumentException("arithmetic: " + op + " is not one of ADD, SUB, MUL, DIV");
        }
    }

    /**
     * Four running maxima; the branches predict well, as a row's maximum changes a few times. A NaN
     * never wins a comparison, so NaNs are skipped, and a row of them gives -infinity (softmax's
     * row is NaN then whatever its maximum).
     */
    @Override
    public double max(double[] a, int p, int n) {
        double m0 = Double.NEGATIVE_INFINITY;
        double m1 = m0;
        double m2 = m0;
        double m3 = m0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            double x0 = a[p + j];
            double x1 = a[p + j + 1];
            double x2 = a[p + j + 2];
            double x3 = a[p + j + 3];
            m0 = x0 > m0 ? x0 : m0;
            m1 = x1 > m1 ? x1 : m1;
            m2 = x2 > m2 ? x2 : m2;
            m3 = x3 > m3 ? x3 : m3;
        }
        for (; j < n; j++) {
            double x = a[p + j];
            m0 = x > m0 ? x : m0;
        }
        m0 = m1 > m0 ? m1 : m0;
        m2 = m3 > m2 ? m3 : m2;
        return m2 > m0 ? m2 : m0;
    }

    @Override
    public float max(float[] a, int p, int n) {
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = m0;
        int j = 0;
        for (; j + 2 <= n; j += 2) {
            float x0 = a[p + j];
            float x1 = a[p + j + 1];
            m0 = x0 > m0 ? x0 : m0;
            m1 = x1 > m1 ? x1 : m1;
        }
        for (; j < n; j++) {
            float x = a[p + j];
            m0 = x > m0 ? x : m0;
        }
        return m1 > m0 ? m1 : m0;
    }

    @Override
    public void mulDifference(double[] y, int yo, double[] g, int go, double s, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = y[yo + i] * (g[go + i] - s);
        }
    }

    /** {@code (float) (y * (g - s))} in float64: float32's mulDifference where s is beyond float's range. */
    static void mulDifferenceWidened(float[] y, int yo, float[] g, int go, double s, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) (y[yo + i] * (g[go + i] - s));
        }
    }

    @Override
    public void mulDifference(float[] y, int yo, float[] g, int go, double s, float[] r, int ro, int n) {
        float hi = (float) s;
        if (Float.isInfinite(hi) && !Double.isInfinite(s)) {
            mulDifferenceWidened(y, yo, g, go, s, r, ro, n);
            return;
        }
        float lo = Float.isInfinite(hi) ? 0f : (float) (s - hi);
        for (int i = 0; i < n; i++) {
            r[ro + i] = y[yo + i] * ((g[go + i] - hi) - lo);
        }
    }

    @Override
    public void subtractScaled(double[] g, int go, double[] e, int eo, double s, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = g[go + i] - e[eo + i] * s;
        }
    }

    /** {@code (float) (g - e * s)} in float64: float32's subtractScaled where s is beyond float's range. */
    static void subtractScaledWidened(float[] g, int go, float[] e, int eo, double s, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = (float) (g[go + i] - e[eo + i] * s);
        }
    }

    /**
     * Whether float32's subtractScaled takes {@code (float) s} for s: 0, an infinity, NaN or a value
     * of float's normal range (a subnormal or an overflowing float would lose s's relative precision).
     */
    static boolean floatScale(double s, float hi) {
        return s == 0 || Double.isNaN(s) || Double.isInfinite(s) || Math.abs(s) >= Float.MIN_NORMAL && !Float.isInfinite(hi);
    }

    @Override
    public void subtractScaled(float[] g, int go, float[] e, int eo, double s, float[] r, int ro, int n) {
        float hi = (float) s;
        if (!floatScale(s, hi)) {
            subtractScaledWidened(g, go, e, eo, s, r, ro, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            r[ro + i] = g[go + i] - e[eo + i] * hi;
        }
    }

    /** None here: {@link MaxPoolLoops}'s scalar loop is the definition, and the caller runs it. */
    @Override
    public int maxPool2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow) {
        return 0;
    }

    /** None here: {@link WinogradTransforms}' scalar loop is the definition, and the caller runs it. */
    @Override
    public int winogradInput(float[] p, int s, int row, int count, float[] v, int at, int stride) {
        return 0;
    }

    /** None here, as for the input transform. */
    @Override
    public int winogradOutput(float[] m, int at, int stride, int count, float b, float[] out, int ld) {
        return 0;
    }

    /** None here, as for the input transform. */
    @Override
    public int winogradGradient(float[] p, int s, int count, float[] v, int at, int stride) {
        return 0;
    }

    /** None here, as for the input transform. */
    @Override
    public int winogradPairs(float[] x, int src, int w, float[] sub, int low, int high) {
        return 0;
    }

    /** None here, as for the input transform. */
    @Override
    public int winogradScatter(float[] out, int j0, int ld, float[] y, int dst, int ow, int tiles) {
        return 0;
    }

    @Override
    public void relu(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            float x = a[ao + i];
            r[ro + i] = x < 0 ? 0.0f : x;
        }
    }

    @Override
    public void extremum(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n, boolean min) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = min ? Math.min(a[ao + i], b[bo + i * sb]) : Math.max(a[ao + i], b[bo + i * sb]);
        }
    }

    @Override
    public void extremum(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n, boolean min) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = min ? Math.min(a[ao + i], b[bo + i * sb]) : Math.max(a[ao + i], b[bo + i * sb]);
        }
    }

    @Override
    public int firstExtreme(double[] a, int ao, int n, boolean min) {
        return AxisKernels.firstExtreme(a, ao, n, 1, min);
    }

    @Override
    public int firstExtreme(float[] a, int ao, int n, boolean min) {
        return AxisKernels.firstExtreme(a, ao, n, 1, min);
    }

    @Override
    public void abs(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = Float.intBitsToFloat(Float.floatToRawIntBits(a[ao + i]) & 0x7fffffff);
        }
    }

    @Override
    public void neg(float[] a, int ao, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = -a[ao + i];
        }
    }

    @Override
    public void reluGrad(float[] g, int go, int gs, float[] x, int xo, float[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] = x[xo + i] > 0 ? g[go + i * gs] : 0.0f;
        }
    }

    @Override
    public void addWidenedTo(float[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    @Override
    public void addTo(double[] a, int ao, double[] r, int ro, int n) {
        for (int i = 0; i < n; i++) {
            r[ro + i] += a[ao + i];
        }
    }

    @Override
    public void copyRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        copyEachRun(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void copyRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        copyEachRun(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        addEachRun(a, ao, as, r, ro, rs, runs, n);
    }

    @Override
    public void addRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        addEachRun(a, ao, as, r, ro, rs, runs, n);
    }

    /** {@link MathKernel#copyRuns} a run at a time; also the vector kernel's runs shorter than a vector. */
    static void copyEachRun(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        for (int i = 0; i < runs; i++) {
            System.arraycopy(a, ao + i * as, r, ro + i * rs, n);
        }
    }

    /** {@link #copyEachRun(double[], int, int, double[], int, int, int, int)} on floats. */
    static void copyEachRun(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        for (int i = 0; i < runs; i++) {
            System.arraycopy(a, ao + i * as, r, ro + i * rs, n);
        }
    }

    /** {@link MathKernel#addRuns} element by element; also the vector kernel's runs shorter than a vector. */
    static void addEachRun(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            for (int j = 0; j < n; j++) {
                r[d + j] += a[s + j];
            }
        }
    }

    /** {@link #addEachRun(double[], int, int, double[], int, int, int, int)} on floats. */
    static void addEachRun(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n) {
        for (int i = 0, s = ao, d = ro; i < runs; i++, s += as, d += rs) {
            for (int j = 0; j < n; j++) {
                r[d + j] += a[s + j];
            }
        }
    }

    @Override
    public double sum(double[] a, int ao, int n) {
        return ReduceKernels.sumInLanes(a, ao, n);
    }

    @Override
    public double sum(float[] a, int ao, int n) {
        return ReduceKernels.sumInLanes(a, ao, n);
    }

    private static final NormColumnKernel NORM_COLUMNS = new ScalarNormColumns();

    @Override
    public NormColumnKernel normColumns() {
        return NORM_COLUMNS;
    }
}
