package dev.adjoint.core.kernel;

/**
 * Elementwise functions over contiguous runs of doubles that gain from SIMD (and one float32
 * loop that is not elementwise, 2x2 max pooling): {@code exp} and the functions built on it,
 * {@code log}, {@code log1p} and {@code softplus}, erf and gelu's backward (the same bits in both
 * kernels), relu's backward and the other selections (comparisons, sign, leaky relu, clamp and its
 * mask, where: scalar code can only select with a branch, which mispredicts on random data, or bit tricks),
 * and the float/double conversions through which float32 arrays reach the float64 loops ({@link
 * FloatBlocks}); and, on floats in float32 arithmetic, the functions {@link Float32Arithmetic}
 * covers and softmax's row loops; and batch normalization's loops down the columns of [N, C]
 * ({@link #normColumns()}, a {@link NormColumnKernel}). {@link
 * KernelProvider} picks the implementation with the matmul kernel:
 * {@link VectorMathKernel} on the Vector API, {@link ScalarMathKernel} otherwise. Callers use it for
 * runs of at least {@link #MIN_LENGTH} elements only, so tiny graphs never load it.
 *
 * <p>The two implementations agree to within a few units in the last place (the vector kernel's
 * polynomials are not bit for bit {@link Math}'s functions); relu, its backward, the selections, the four
 * arithmetic operations, softmax's backward loops, addTo, sum, max pooling and the batch-norm column loops give
 * the same bits in both, and
 * max the same value (a zero's sign aside).
 *
 * <p>NOTE: the arithmetic loops are written out per operation, dtype and kernel: a lanewise
 * operation is intrinsified only on a constant operator, and the float and double vector classes
 * share no loop.
 * Each is deterministic: the same inputs give the same bits, compiled or interpreted.
 */
interface MathKernel {
    /** Runs shorter than this stay on the scalar loops: too short to pay for the vector setup. */
    int MIN_LENGTH = 64;

    /** A short description for the log line. */
    String description();

    /** {@code r[ro + i] = exp(a[ao + i])} for i in [0, n). */
    void exp(double[] a, int ao, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = log(a[ao + i])}: {@link Math#log} in the scalar kernel, {@link VectorLog} in
     * the vector kernel (within one ulp of {@link StrictMath#log}); r may be a at the same offset, no
     * other overlap.
     */
    void log(double[] a, int ao, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = log1p(a[ao + i])}: {@link Math#log1p} in the scalar kernel, {@link VectorLog}
     * in the vector kernel (within one ulp of {@link StrictMath#log1p}); r may be a at the same
     * offset, no other overlap.
     */
    void log1p(double[] a, int ao, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = log1p(a[ao + i])} on floats in float32 arithmetic (the vector kernel's {@link
     * VectorFloatLog}; the scalar kernel rounds {@link Math#log1p}): within one ulp of the correctly
     * rounded result; r may be a at the same offset, no other overlap.
     */
    void log1p(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = max(x, 0) + log1p(exp(-|x|))} for x = a[ao + i]: {@link
     * Elementwise#softplus} in the scalar kernel, {@link VectorLog} in the vector kernel (within two
     * ulps of {@link Elementwise#softplus}); r may be a at the same offset, no other overlap.
     */
    void softplus(double[] a, int ao, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = erf(a[ao + i])}: {@link ErrorFunction#erf} to the bit in both kernels (the
     * vector kernel's {@link VectorErf} runs its operations lane by lane); r may be a at the same
     * offset, no other overlap.
     */
    void erf(double[] a, int ao, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = Elementwise.geluGrad(g[go + i], x[xo + i])}, gelu's backward: the same
     * bits in both kernels (the vector kernel runs erf and the exponential on vectors, block by
     * block); r may be g or x at the same offset, no other overlap.
     */
    void geluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = gelu(a[ao + i]) = x Phi(x)} on floats in float32 arithmetic (the vector
     * kernel's {@link VectorFloatGelu}; the scalar kernel rounds {@code x} {@link
     * ErrorFunction#normalCdf}{@code (x)}); r may be a at the same offset, no other overlap.
     */
    void gelu(float[] a, int ao, float[] r, int ro, int n);

    /**
     * gelu's backward {@code r[ro + i] = g (Phi(x) + x phi(x))} on floats, x = x[xo + i], g = g[go +
     * i], as {@link #gelu(float[], int, float[], int, int)}; r may be g or x at the same offset.
     */
    void geluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = Elementwise.siluGrad(g[go + i], x[xo + i])}, silu's backward: the same bits
     * in both kernels (the vector kernel runs the sigmoid on vectors, block by block); r may be g or
     * x at the same offset, no other overlap.
     */
    void siluGrad(double[] g, int go, double[] x, int xo, double[] r, int ro, int n);

    /**
     * silu's backward {@code r[ro + i] = g s (1 + x (1 - s))}, s = sigmoid(x), on floats in float32
     * arithmetic (the sigmoid as {@link #sigmoid(float[], int, float[], int, int)}); r may be g or x
     * at the same offset.
     */
    void siluGrad(float[] g, int go, float[] x, int xo, float[] r, int ro, int n);

    /** {@code r[ro + i] = tanh(a[ao + i])}; r may be a at the same offset (the float32 blocks convert in place), no other overlap. */
    void tanh(double[] a, int ao, double[] r, int ro, int n);

    /** {@code r[ro + i] = 1 / (1 + exp(-a[ao + i]))}, computed without overflow; r may be a at the same offset, no other overlap. */
    void sigmoid(double[] a, int ao, double[] r, int ro, int n);

    /** {@code r[ro + i] = x < 0 ? +0 : x} for x = a[ao + i]: NaN and -0 pass through (exact in both kernels). */
    void relu(double[] a, int ao, double[] r, int ro, int n);

    /** {@code r[ro + i] = x[xo + i] > 0 ? g[go + i * gs] : +0}; {@code gs} is 1, or 0 for a broadcast g. */
    void reluGrad(double[] g, int go, int gs, double[] x, int xo, double[] r, int ro, int n);

    /** {@link #relu(double[], int, double[], int, int)} on floats: the float64 result rounded, exactly (a selection). */
    void relu(float[] a, int ao, float[] r, int ro, int n);

    /** {@link #reluGrad(double[], int, int, double[], int, double[], int, int)} on floats: a selection, exact. */
    void reluGrad(float[] g, int go, int gs, float[] x, int xo, float[] r, int ro, int n);

    /**
     * The position k in [0, n) of the first maximum ({@code min} false) or minimum of
     * {@code a[ao + k]}, n at least 1: a NaN beats every number and the first NaN wins, and of equal
     * values the first wins. The same position in both kernels.
     */
    int firstExtreme(double[] a, int ao, int n, boolean min);

    /** {@link #firstExtreme(double[], int, int, boolean)} of floats. */
    int firstExtreme(float[] a, int ao, int n, boolean min);

    /**
     * {@code r[ro + i] = Math.max(x, y)} ({@code Math.min} if {@code min}) for x = a[ao + i] and y =
     * b[bo + i sb] (b contiguous, {@code sb} 1, or one value, {@code sb} 0): exact, NaN and the
     * order of signed zeros as {@link Math#max(double, double)}.
     */
    void extremum(double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n, boolean min);

    /** {@link #extremum(double[], int, double[], int, int, double[], int, int, boolean)} of floats. */
    void extremum(float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n, boolean min);

    /**
     * {@code r[ro + i] = |a[ao + i]|} on floats: the sign bit cleared, exact (a NaN's too, where
     * JDK 17's {@link Math#abs(float)} may keep it), the same bits in both kernels at any length.
     */
    void abs(float[] a, int ao, float[] r, int ro, int n);

    /** {@code r[ro + i] = -a[ao + i]} on floats: the sign flipped, exact. */
    void neg(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = x < y ? t[0] : x > y ? t[1] : x == y ? t[2] : t[3]} for x = a[ao + i] and y =
     * b[bo + i sb] (b contiguous, {@code sb} 1, or one value, {@code sb} 0): a comparison's answer
     * where x is below, above, equal to (-0 equals +0) or unordered with y (NaN), exact in both kernels. The
     * comparisons, sign, maximum's gradient share and leaky relu's slope are such tables
     * ({@link BinaryLoops#answers}).
     */
    void compare(double[] t, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n);

    /** {@link #compare(double[], double[], int, double[], int, int, double[], int, int)} on floats, the answers rounded to float: exact. */
    void compare(double[] t, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n);

    /** {@code r[ro + i] = x > 0 ? x : x s} for x = a[ao + i]: leaky relu, exact in both kernels (one product). */
    void leakyRelu(double[] a, int ao, double s, double[] r, int ro, int n);

    /** {@link #leakyRelu(double[], int, double, double[], int, int)} on floats, slope s: exact. */
    void leakyRelu(float[] a, int ao, float s, float[] r, int ro, int n);

    /** {@code r[ro + i] = lo < x && x < hi ? 1 : 0} for x = a[ao + i] (0 at NaN): clamp's gradient mask, exact. */
    void inside(double[] a, int ao, double lo, double hi, double[] r, int ro, int n);

    /** {@code r[ro + i] = x < lo ? lo : x > hi ? hi : x} for x = a[ao + i] (NaN passes through): exact in both kernels. */
    void clamp(double[] a, int ao, double lo, double hi, double[] r, int ro, int n);

    /** {@link #clamp(double[], int, double, double, double[], int, int)} on floats, with float bounds: exact. */
    void clamp(float[] a, int ao, float lo, float hi, float[] r, int ro, int n);

    /** {@code r[ro + i] = c[co + i] != 0 ? a[ao + i] : b[bo + i]} (NaN counts as true): a selection, exact in both kernels. */
    void where(double[] c, int co, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n);

    /** {@link #where(double[], int, double[], int, double[], int, double[], int, int)} on floats: a selection, exact. */
    void where(float[] c, int co, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n);

    /**
     * 2x2 max pooling, stride 2, no padding, of one float32 plane of width {@code w}: each window's
     * maximum into {@code y[yo..]} and its position into {@code where[wo..]}, for the first rows of
     * {@code oh} rows of {@code ow} windows, bit for bit {@link MaxPoolLoops}'s scalar loop.
     *
     * @return how many of the first rows it wrote: 0 when this kernel has no loop for rows of
     *     {@code ow} windows (the scalar kernel never has one), and fewer than {@code oh} where the
     *     last rows must stay scalar; it may leave garbage in the later rows (never past the plane's
     *     results), and the caller runs the scalar loop on them
     */
    int maxPool2x2(float[] x, int xo, float[] y, int yo, double[] where, int wo, int w, int oh, int ow);

    /**
     * {@link WinogradTransforms#inputTransform(float[], int, int, int, int, float[], int, int)} of the
     * first tiles of [0, count), bit for bit.
     *
     * @return how many of the first tiles it transformed (0 in the scalar kernel); the caller runs the
     *     scalar loop on the rest
     */
    int winogradInput(float[] p, int s, int row, int count, float[] v, int at, int stride);

    /**
     * {@link WinogradTransforms#outputTransform(float[], int, int, int, int, float, float[], int)} of the
     * first tiles of [0, count), bit for bit.
     *
     * @return how many of the first tiles it transformed (0 in the scalar kernel)
     */
    int winogradOutput(float[] m, int at, int stride, int count, float b, float[] out, int ld);

    /**
     * {@link WinogradTransforms#gradientTransform(float[], int, int, int, float[], int, int)} of tiles
     * [0, count), bit for bit, in whole vectors: the last one reads and writes past count
     * ({@link WinogradTransforms#PAD}).
     *
     * @return how many tiles it transformed: count, or 0 (the scalar kernel)
     */
    int winogradGradient(float[] p, int s, int count, float[] v, int at, int stride);

    /**
     * The pairs of {@link WinogradTransforms#planes}: for the {@code w} floats of an input row from
     * {@code src}, {@code sub[low + m] = x[src + 2 m]} and {@code sub[high + m] = x[src + 2 m + 1]},
     * and zeros in at least the two floats after each run; it may write up to
     * {@link WinogradTransforms#SLACK} floats past either run, zeros only.
     *
     * @return the pairs it copied: all {@code (w + 1) / 2} of them, or 0 (the scalar kernel, or too
     *     near the end of x)
     */
    int winogradPairs(float[] x, int src, int w, float[] sub, int low, int high);

    /**
     * Both output rows of one row of {@code tiles} tiles of {@link FloatWinograd#convolve}, as its
     * scalar scatter writes them, where the caller lets it write garbage past the second row's end,
     * up to {@code 2 ow} floats from each row's start: the rows of the next tile row, which the caller
     * writes afterwards.
     *
     * @return {@code tiles} if it wrote them, 0 if it wrote nothing (the scalar kernel, or rows too
     *     short for its vectors within that room)
     */
    int winogradScatter(float[] out, int j0, int ld, float[] y, int dst, int ow, int tiles);

    /** {@code r[ro + i] = a[ao + i]} for i in [0, n): float to double, exact. */
    void widen(float[] a, int ao, double[] r, int ro, int n);

    /** {@code r[ro + i] = (float) a[ao + i]} for i in [0, n): double to float, rounded to nearest as the cast. */
    void narrow(double[] a, int ao, float[] r, int ro, int n);

    /** {@code r[ro + i] = exp(a[ao + i] - shift)}, returning the sum of what it wrote. */
    double expShifted(double[] a, int ao, double shift, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = exp(a[ao + i])} on floats, in float32 arithmetic: within one ulp of the
     * correctly rounded result in both kernels (the vector kernel's float polynomial, {@link
     * VectorFloatExp}; the scalar kernel's {@link Math#exp} rounded), which agree within one ulp.
     * Not the float64 result rounded, as other float32 loops are.
     */
    void exp(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@link #sigmoid(double[], int, double[], int, int)} of floats in float32 arithmetic (the vector
     * kernel's {@link VectorFloatExp}; the scalar kernel rounds the float64 function): within two ulps
     * of the correctly rounded result; r may be a at the same offset, no other overlap.
     */
    void sigmoid(float[] a, int ao, float[] r, int ro, int n);

    /** {@link #tanh(double[], int, double[], int, int)} of floats, as {@link #sigmoid(float[], int, float[], int, int)}. */
    void tanh(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = log(a[ao + i])} on floats in float32 arithmetic (the vector kernel's {@link
     * VectorFloatLog}; the scalar kernel rounds {@link Math#log}): within one ulp of the correctly
     * rounded result; r may be a at the same offset, no other overlap.
     */
    void log(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = max(x, 0) + log1p(exp(-|x|))} for x = a[ao + i], on floats in float32
     * arithmetic, as {@link #sigmoid(float[], int, float[], int, int)}: within two ulps.
     */
    void softplus(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = erf(a[ao + i])} on floats in float32 arithmetic (the vector kernel's {@link
     * VectorFloatErf}; the scalar kernel rounds {@link ErrorFunction#erf}): within one ulp.
     */
    void erf(float[] a, int ao, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = exp(a[ao + i] - shift)} as {@link #exp(float[], int, float[], int, int)},
     * within one ulp of the exponential of the exact difference (the vector kernel carries the
     * float difference's rounding error into the exponential; the scalar kernel takes the
     * difference in float64), returning {@link
     * #sum(float[], int, int)} of what it wrote: softmax's exponentials of a float32 row.
     */
    double expShifted(float[] a, int ao, float shift, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = exp(a[ao + i] - b[bo + i])}: {@link #expShifted(float[], int, float, float[],
     * int, int)} with a shift per element (softmax's exponentials of float32 columns, each column its
     * own maximum), within one ulp of the exponential of the exact difference. r must not overlap a
     * or b.
     */
    void expDifference(float[] a, int ao, float[] b, int bo, float[] r, int ro, int n);

    /**
     * The sum of {@code a[ao + i] * b[bo + i]}, i in [0, n), as {@link ReduceKernels#dotInLanes}
     * defines it (sixteen running sums): the same bits in both kernels.
     */
    double dot(double[] a, int ao, double[] b, int bo, int n);

    /**
     * {@link #dot(double[], int, double[], int, int)} of floats, each widened exactly: the same bits
     * as on widened copies, in both kernels (a NaN's sign and payload aside, which Java leaves open).
     */
    double dot(float[] a, int ao, float[] b, int bo, int n);

    /**
     * The sum of {@code (a[ao + i] - b[bo + i])^2}, i in [0, n): {@link #dot} of the differences with
     * themselves, each difference and square rounded as that Java expression (no fused
     * multiply-add), added into the same sixteen running sums: the bits of a difference pass, a
     * square pass and {@link #sum(double[], int, int)}, in both kernels.
     */
    double squaredDistance(double[] a, int ao, double[] b, int bo, int n);

    /**
     * {@link #squaredDistance(double[], int, double[], int, int)} of floats, each widened exactly
     * first: the same bits as on widened copies, in both kernels.
     */
    double squaredDistance(float[] a, int ao, float[] b, int bo, int n);

    /**
     * {@code r[ro + i] = (a[ao + i] - b[bo + i]) * c} for i in [0, n), two roundings as that Java
     * expression: the gradient of a squared distance, the same bits in both kernels. {@code r} may be
     * {@code a} or {@code b} at the same offset.
     */
    void scaledDifference(double c, double[] a, int ao, double[] b, int bo, double[] r, int ro, int n);

    /**
     * {@code r[ro + i] = (float) (((double) a[ao + i] - b[bo + i]) * c)} for i in [0, n): the float64
     * expression on the widened floats, rounded once to float (three roundings in all), the same
     * bits in both kernels. {@code r} must not overlap {@code a} or {@code b}.
     */
    void scaledDifference(double c, float[] a, int ao, float[] b, int bo, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = a[ao + i] (op) b[bo + i sb]} for i in [0, n), op one of {@code ADD},
     * {@code SUB}, {@code MUL}, {@code DIV}; {@code sb} is 1, or 0 for a broadcast b. One IEEE
     * operation per element: the same bits in both kernels. {@code r} may be {@code a} at
     * the same offset (each element is read before it is written): col2im adds into its result
     * this way.
     *
     * @throws IllegalArgumentException for any other function
     */
    void arithmetic(Elementwise.Binary op, double[] a, int ao, double[] b, int bo, int sb, double[] r, int ro, int n);

    /** {@link #arithmetic(Elementwise.Binary, double[], int, double[], int, int, double[], int, int)} on floats. */
    void arithmetic(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, int sb, float[] r, int ro, int n);

    /**
     * The largest of {@code a[ao + i]}, i in [0, n), NaNs skipped (-infinity when all are NaN or n
     * is 0): the same value in both kernels, though a 0 may come out as either sign when the row
     * holds both.
     */
    double max(double[] a, int ao, int n);

    /** {@link #max(double[], int, int)} of floats: the same value in both kernels (a zero's sign aside). */
    float max(float[] a, int ao, int n);

    /**
     * {@code r[ro + i] = y[yo + i] * (g[go + i] - s)} for i in [0, n): softmax's backward, two
     * roundings as that Java expression (no fused multiply-add): the same bits in both kernels.
     */
    void mulDifference(double[] y, int yo, double[] g, int go, double s, double[] r, int ro, int n);

    /**
     * {@link #mulDifference(double[], int, double[], int, double, double[], int, int)} of floats, in
     * float32 arithmetic: {@code y * ((g - hi) - lo)} with {@code hi = (float) s} and {@code lo =
     * (float) (s - hi)}, three roundings as that Java expression (so g - s keeps its precision
     * where g is close to s; lo is 0 where s is infinite, and a finite s beyond float's range takes
     * the float64 expression, rounded); within two ulps of the float64 result rounded, not its
     * bits, and the same bits in both kernels. r must not overlap y or g.
     */
    void mulDifference(float[] y, int yo, float[] g, int go, double s, float[] r, int ro, int n);

    /**
     * {@code r[ro + i] = g[go + i] - e[eo + i] * s} for i in [0, n): log-softmax's backward, two
     * roundings as that Java expression (no fused multiply-add); e may be r at the same offset.
     */
    void subtractScaled(double[] g, int go, double[] e, int eo, double s, double[] r, int ro, int n);

    /**
     * {@link #subtractScaled(double[], int, double[], int, double, double[], int, int)} of floats, in
     * float32 arithmetic: {@code g - e * (float) s}, two roundings as that Java expression (an s
     * other than 0 outside float's normal range takes the float64 expression, rounded). Within
     * one and a half ulps of {@code |e s|} plus half an ulp of the result from the exact value, not
     * the float64 result's bits; the same bits in both kernels. e may be r at the same offset; no
     * other overlap.
     */
    void subtractScaled(float[] g, int go, float[] e, int eo, double s, float[] r, int ro, int n);

    /** {@code r[ro + i] += a[ao + i]}, each float widened exactly, for i in [0, n): the same bits in both kernels. */
    void addWidenedTo(float[] a, int ao, double[] r, int ro, int n);

    /** {@code r[ro + i] += a[ao + i]} for i in [0, n) (exact in both kernels). */
    void addTo(double[] a, int ao, double[] r, int ro, int n);

    /**
     * Copies {@code runs} runs of {@code n} elements, run i from {@code a[ao + i as ..]} to
     * {@code r[ro + i rs ..]}; {@code a} and {@code r} are distinct arrays. The vector kernel copies a
     * run of at least a vector as whole vectors, the last one ending at the run's end, with no call
     * per run: for runs of a few vectors (a convolution's output rows), where a call per run
     * ({@link System#arraycopy}) costs as much as the copy.
     */
    void copyRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n);

    /** {@link #copyRuns(double[], int, int, double[], int, int, int, int)} on floats. */
    void copyRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n);

    /**
     * {@code r[ro + i rs + j] += a[ao + i as + j]} for run i in [0, runs), j in [0, n): each element
     * one addition, as that Java expression (the same bits in both kernels); {@code a} and {@code r}
     * are distinct arrays and the runs of {@code r} do not overlap. The vector kernel adds a run of at
     * least a vector as whole vectors, the last one ending at the run's end (its sums taken before
     * the vector before it is stored, so the lanes they share get the same value twice).
     */
    void addRuns(double[] a, int ao, int as, double[] r, int ro, int rs, int runs, int n);

    /** {@link #addRuns(double[], int, int, double[], int, int, int, int)} on floats. */
    void addRuns(float[] a, int ao, int as, float[] r, int ro, int rs, int runs, int n);

    /**
     * The sum of {@code a[ao + i]}, i in [0, n), in {@link ReduceKernels#SUM_LANES} running sums
     * combined as {@link ReduceKernels#sumInLanes} does: the same bits in both kernels.
     */
    double sum(double[] a, int ao, int n);

    /** {@link #sum(double[], int, int)} of floats, each widened exactly: the same bits in both kernels. */
    double sum(float[] a, int ao, int n);

    /** Batch normalization's loops over [N, C], down the columns in place: the same bits in both kernels. */
    NormColumnKernel normColumns();
}
