package dev.adjoint.core;

import dev.adjoint.core.kernel.Elementwise.Binary;
import dev.adjoint.core.kernel.Buffers;
import dev.adjoint.core.kernel.NDArray;
import dev.adjoint.core.kernel.Shapes;
import dev.adjoint.core.ops.Access;
import dev.adjoint.core.ops.Activations;
import dev.adjoint.core.ops.Arithmetic;
import dev.adjoint.core.ops.Comparison;
import dev.adjoint.core.ops.Conversion;
import dev.adjoint.core.ops.Convolution;
import dev.adjoint.core.ops.CrossEntropy;
import dev.adjoint.core.ops.Exponentials;
import dev.adjoint.core.ops.Extremes;
import dev.adjoint.core.ops.Gathering;
import dev.adjoint.core.ops.Indexing;
import dev.adjoint.core.ops.MatMul;
import dev.adjoint.core.ops.BatchNormalization;
import dev.adjoint.core.ops.Normalization;
import dev.adjoint.core.ops.Pooling;
import dev.adjoint.core.ops.Reductions;
import dev.adjoint.core.ops.ShapeOps;
import dev.adjoint.core.ops.Statistics;
import dev.adjoint.core.ops.Trigonometry;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * An n-dimensional array of float64 (the default) or float32 values ({@link #dtype()}, row-major,
 * any rank including 0) that can take part in reverse-mode differentiation. An op never mixes the
 * two dtypes: convert with {@link #to(DType)}, which is differentiable.
 *
 * <p>A tensor is a value plus, when it was produced by a recorded op, the graph node that produced
 * it, plus (for leaves that {@link #requiresGrad(boolean) require grad}) the gradient accumulated by
 * {@link #backward()}. Values are immutable except through {@link #modify}, the one in-place
 * update, which bumps a version counter so a graph that saved the old value refuses to
 * back-propagate through it. Elementwise ops broadcast like NumPy; bad shapes fail fast with an
 * {@link IllegalArgumentException} that names the op and the shapes.
 *
 * <p>A shape has at most {@code Integer.MAX_VALUE - 8} elements (2,147,483,639), the longest
 * {@code double[]} every JVM can allocate. Every op that makes a shape (the factories, reshape,
 * expand and broadcasting, matmul, concat, sumTo) counts its elements in {@code long} and refuses a
 * larger one. Broadcast views are held to the same limit although they allocate nothing: a view's
 * gradient has its shape, and reading it whole materialises it.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
 * Tensor y = x.mul(x).sum();      // y = sum x^2
 * y.backward();
 * x.grad();                       // [2, 4, 6]
 * }</pre>
 */
public final class Tensor {
    /** Replaced only by {@link #setDtype}, which is not for use while other threads hold the tensor. */
    private NDArray value;
    /**
     * The lease of the memory under {@link #value} when a {@link MemoryScope} lent it; null when the
     * memory is this tensor's for good. Once released, reads are refused.
     */
    private final Buffers.Lease lease;
    private Node node;
    private boolean requiresGrad;
    /**
     * The gradient backward passes accumulate into this tensor, or null until the first one does
     * ({@link #accumulator()}): made then, not here, because most tensors (a step's eager
     * intermediates) never receive a gradient and should cost nothing for it. Written once, under
     * this tensor's lock; volatile because {@link #grad()} and {@link #zeroGrad()} read it without
     * a lock, so a reader that sees the object sees it fully made.
     */
    private volatile AccumulatedGradient gradient;
    /**
     * A leaf's gradient hooks (an interior tensor's live on its node); null when it has none. A
     * plain field, read once per backward pass that reaches this leaf: see {@link TensorHooks}.
     */
    private TensorHooks hooks;
    /**
     * The tangent this tensor carries in one forward-mode pass, with that pass's level; written once,
     * by the thread that made the tensor, and ignored by any other pass ({@link ForwardMode}).
     */
    ForwardMode.Dual dual;

    static {
        // first: ops may run while the rest of this class initializes
        Access.install(new Access.Bridge() {
            @Override
            public NDArray value(Tensor t) {
                return t.live(null);
            }

            @Override
            public Tensor wrap(NDArray v) {
                if (StepTrace.recording != 0) {
                    StepTrace.checkWrap();
                }
                return new Tensor(v);
            }

            @Override
            public Tensor constant(CustomOp op, Tensor[] inputs) {
                return StepTrace.constant(op, inputs);
            }

            @Override
            public Tensor apply(CustomOp op, Tensor[] inputs) {
                return Autograd.apply(op, inputs, true);
            }

            @Override
            public boolean unrecorded() {
                Autograd.ThreadState s = Autograd.state();
                return s.noGrad != 0 && (s.forwardLevel == 0 || s.tangentRule != 0);
            }
        });
    }

    private Tensor(NDArray value) {
        this.value = value;
        // the check first, inline: most tensors are made with no scope open anywhere
        this.lease = Buffers.regionsOpen() ? Buffers.leaseOf(value) : null;
    }

    // ---------------------------------------------------------------- creation

    /**
     * A tensor holding a copy of {@code data}, read row-major into {@code shape}.
     *
     * @param data the elements
     * @param shape the dimensions ({@code new int[0]} for a scalar; with none at all the call is
     *     {@link #of(double[])}, a vector)
     * @return a new leaf
     * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
     */
    public static Tensor of(double[] data, int... shape) {
        return TensorFactories.of(data, shape);
    }

    /**
     * The given rows of a row-major table, as a {@code [rows.length, width]} tensor, copied once in
     * the order given (repeats allowed): how a data loader builds a batch from its examples without
     * an intermediate array. {@code Tensor.ofRows(data, w, rows)} equals
     * {@code Tensor.of(data, data.length / w, w).indexSelect(0, rows)}.
     *
     * @param data the table, {@code data.length / width} rows one after another
     * @param width the length of a row, positive, dividing {@code data.length}
     * @param rows row numbers, each in {@code [0, data.length / width)}
     * @return a new leaf
     * @throws IllegalArgumentException if data or rows is null, width is not positive or does not
     *     divide the table, a row is out of range (the message names it), or the result would
     *     exceed a Java array
     */
    public static Tensor ofRows(double[] data, int width, int... rows) {
        return TensorFactories.ofRows(data, width, rows);
    }

    /**
     * As {@link #ofRows(double[], int, int...)}, a float32 tensor from a float table.
     *
     * @param data the table, {@code data.length / width} rows one after another
     * @param width the length of a row, positive, dividing {@code data.length}
     * @param rows row numbers, each in {@code [0, data.length / width)}
     * @return a new float32 leaf
     * @throws IllegalArgumentException as {@link #ofRows(double[], int, int...)}
     */
    public static Tensor ofRows(float[] data, int width, int... rows) {
        return TensorFactories.ofRows(data, width, rows);
    }

    /**
     * A float32 tensor holding a copy of {@code data}, read row-major into {@code shape}.
     *
     * @param data the elements
     * @param shape the dimensions ({@code new int[0]} for a scalar; with none at all the call is
     *     {@link #of(float[])}, a vector)
     * @return a new float32 leaf
     * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
     */
    public static Tensor of(float[] data, int... shape) {
        return TensorFactories.of(data, shape);
    }

    /**
     * A float32 vector holding a copy of {@code data}: shape {@code [data.length]}.
     *
     * @param data the elements
     * @return a new 1-D float32 leaf
     * @throws IllegalArgumentException if {@code data} is null
     */
    public static Tensor of(float[] data) {
        return TensorFactories.of(data);
    }

    /**
     * A tensor of zeros of the given dtype.
     *
     * @param dtype the element type
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor zeros(DType dtype, int... shape) {
        return TensorFactories.zeros(dtype, shape);
    }

    /**
     * A tensor of ones of the given dtype.
     *
     * @param dtype the element type
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor ones(DType dtype, int... shape) {
        return TensorFactories.ones(dtype, shape);
    }

    /**
     * A tensor of the given dtype with every element {@code value} (rounded to nearest for float32).
     *
     * @param dtype the element type
     * @param value the fill
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor full(DType dtype, double value, int... shape) {
        return TensorFactories.full(dtype, value, shape);
    }

    /**
     * Uniform samples in [0, 1) of the given dtype (float32 draws {@code nextFloat}, so that no sample
     * rounds up to 1).
     *
     * @param dtype the element type
     * @param rng the source of randomness
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor rand(DType dtype, RandomGenerator rng, int... shape) {
        return TensorFactories.rand(dtype, rng, shape);
    }

    /**
     * Standard normal samples of the given dtype (float64 samples rounded for float32, so a float32
     * tensor draws the same stream as a float64 one).
     *
     * @param dtype the element type
     * @param rng the source of randomness
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor randn(DType dtype, RandomGenerator rng, int... shape) {
        return TensorFactories.randn(dtype, rng, shape);
    }


    /** A new leaf over a value, sharing it (no copy). */
    static Tensor over(NDArray value) {
        return new Tensor(value);
    }

    /**
     * A rank-0 tensor.
     *
     * @param value the value
     * @return a new leaf
     */
    public static Tensor scalar(double value) {
        return TensorFactories.scalar(value);
    }

    /**
     * A tensor of zeros.
     *
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor zeros(int... shape) {
        return TensorFactories.zeros(shape);
    }

    /**
     * A tensor of ones.
     *
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor ones(int... shape) {
        return TensorFactories.ones(shape);
    }

    /**
     * A tensor with every element {@code value}.
     *
     * @param value the fill
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor full(double value, int... shape) {
        return TensorFactories.full(value, shape);
    }

    /**
     * Uniform samples in [0, 1).
     *
     * @param rng the source of randomness
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor rand(RandomGenerator rng, int... shape) {
        return TensorFactories.rand(rng, shape);
    }

    /**
     * Standard normal samples.
     *
     * @param rng the source of randomness
     * @param shape the dimensions
     * @return a new leaf
     */
    public static Tensor randn(RandomGenerator rng, int... shape) {
        return TensorFactories.randn(rng, shape);
    }

    /**
     * A vector holding a copy of {@code data}: shape {@code [data.length]}.
     *
     * @param data the elements
     * @return a new 1-D leaf
     * @throws IllegalArgumentException if {@code data} is null
     */
    public static Tensor of(double[] data) {
        return TensorFactories.of(data);
    }

    /**
     * A matrix holding a copy of {@code rows}: shape {@code [rows.length, rows[0].length]}, or
     * {@code [0, 0]} for no rows.
     *
     * @param rows the rows, all of the same length
     * @return a new 2-D leaf
     * @throws IllegalArgumentException if {@code rows} or a row is null, or the rows differ in length
     */
    public static Tensor of(double[][] rows) {
        return TensorFactories.of(rows);
    }

    /**
     * The values {@code start + i step} that lie in [start, end) (or (end, start] for a negative
     * step), as {@code torch.arange}: {@code ceil((end - start) / step)} of them, so
     * {@code arange(0, 1, 0.1)} has 10.
     *
     * @param start the first value
     * @param end the bound, not included
     * @param step the spacing, non-zero and pointing from start towards end (or start equal to end)
     * @return a new 1-D leaf
     * @throws IllegalArgumentException if an argument is not finite, the step is 0 or points away
     *     from end, or the length exceeds the element limit
     */
    public static Tensor arange(double start, double end, double step) {
        return TensorFactories.arange(start, end, step);
    }

    /**
     * {@code count} evenly spaced values from start to end inclusive, as {@code torch.linspace}:
     * both ends exact (the first half counts up from start, the rest down from end),
     * {@code [start]} for a count of 1, empty for 0.
     *
     * @param start the first value
     * @param end the last value
     * @param count how many values, at least 0
     * @return a new 1-D leaf
     * @throws IllegalArgumentException if count is negative or exceeds the element limit
     */
    public static Tensor linspace(double start, double end, int count) {
        return TensorFactories.linspace(start, end, count);
    }

    /**
     * The n-by-n identity matrix.
     *
     * @param n the number of rows and columns, at least 0
     * @return a new [n, n] leaf
     * @throws IllegalArgumentException if n is negative or n^2 exceeds the element limit
     */
    public static Tensor eye(int n) {
        return TensorFactories.eye(n);
    }


    // ---------------------------------------------------------------- inspection

    /**
     * The dimensions; a copy.
     *
     * @return the shape
     */
    public int[] shape() {
        return value.shape();
    }

    /**
     * The length of one axis, without copying the shape.
     *
     * @param axis the axis; negative counts from the end
     * @return its length
     * @throws IllegalArgumentException if the axis is out of range
     */
    public int dim(int axis) {
        return value.dim(Shapes.axis("dim", axis, value.rank()));
    }

    /**
     * The number of dimensions.
     *
     * @return the rank
     */
    public int rank() {
        return value.rank();
    }

    /**
     * The number of elements.
     *
     * @return the size
     */
    public int size() {
        return value.size();
    }

    /**
     * The element type.
     *
     * @return {@link DType#FLOAT64} unless the tensor was made float32
     */
    public DType dtype() {
        return value.isFloat32() ? DType.FLOAT32 : DType.FLOAT64;
    }

    /**
     * This tensor in another dtype: itself when it has that dtype already, else a converted copy
     * (float32 to float64 is exact, float64 to float32 rounds to nearest). Differentiable: the
     * gradient comes back in this tensor's dtype.
     *
     * @param dtype the target dtype
     * @return the converted tensor
     */
    public Tensor to(DType dtype) {
        return Conversion.to(this, dtype);
    }

    /**
     * Converts this leaf in place to another dtype (PyTorch's {@code param.data = param.data.to(dtype)}):
     * how {@code Layer.to} converts a model's parameters and buffers while the layers keep their
     * tensors. A gradient it holds is converted too. The version counter moves on, so a graph that
     * saved this tensor before refuses to back-propagate. Do not call it while another thread uses
     * the tensor.
     *
     * @param dtype the new dtype
     * @return this tensor
     * @throws IllegalStateException if this tensor was produced by a recorded op
     */
    public Tensor setDtype(DType dtype) {
        checkRecordingChange("setDtype");
        TensorFactories.requireDtype("setDtype", dtype);
        if (node != null) {
            throw new IllegalStateException("setDtype: only a leaf can change its dtype in place; this tensor was produced by "
                    + node.op.name() + " (use to(dtype) for a converted copy)");
        }
        if (dtype() == dtype) {
            return this;
        }
        synchronized (this) {
            NDArray old = live("setDtype");
            NDArray converted = TensorFactories.in(dtype, old);
            converted.continueVersionFrom(old);
            value = converted;
            AccumulatedGradient a = gradient;
            if (a != null) {
                a.convert(dtype);
            }
        }
        return this;
    }

    /**
     * The elements in row-major order rounded to float (exact for a float32 tensor); a copy.
     *
     * @return the elements
     */
    public float[] toFloatArray() {
        checkRecordingRead("toFloatArray()");
        return live("toFloatArray").toFloatArray();
    }

    /**
     * Refuses a read of this tensor's value that a step being recorded on this thread could not
     * repeat ({@link RecordedStep}); one field test while nobody records.
     */
    private void checkRecordingRead(String what) {
        if (StepTrace.recording != 0) {
            StepTrace.checkRead(this, what);
        }
    }

    /** Refuses a change to a tensor while a step is being recorded on this thread. */
    private static void checkRecordingChange(String what) {
        if (StepTrace.recording != 0) {
            StepTrace.checkChange(what);
        }
    }

    /** The value behind this tensor, shared. */
    NDArray value() {
        return live(null);
    }

    /**
     * The value, refused once the memory under it has gone back with its {@link MemoryScope}.
     *
     * @param what the public method reading it, or null for an op's read
     */
    NDArray live(String what) {
        if (released()) {
            throw MemoryScope.released(this, what);
        }
        return value;
    }

    /** Whether the memory under this tensor has gone back with its {@link MemoryScope}. */
    boolean released() {
        Buffers.Lease l = lease;
        return l != null && l.released();
    }

    /**
     * The value without {@link #live}'s check, for its shape, dtype and version (which a released
     * tensor keeps): the engine's bookkeeping reads these on every op.
     */
    NDArray array() {
        return value;
    }

    /** This tensor's lease on memory a {@link MemoryScope} lent, or null. */
    Buffers.Lease lease() {
        return lease;
    }

    /**
     * The single element of a one-element tensor.
     *
     * @return the element
     * @throws IllegalStateException if the tensor has more or fewer than one element
     */
    public double item() {
        checkRecordingRead("item()");
        if (value.size() != 1) {
            throw new IllegalStateException("item: tensor of shape " + Arrays.toString(shape()) + " has " + size()
                    + " elements, not 1");
        }
        return live("item").item();
    }

    /**
     * One element.
     *
     * @param index one index per dimension
     * @return the element
     * @throws IllegalArgumentException if the index has the wrong length or is out of bounds
     */
    public double get(int... index) {
        checkRecordingRead("get");
        int[] s = value.shapeView();
        if (index == null || index.length != s.length) {
            throw new IllegalArgumentException("get: index " + Arrays.toString(index) + " does not match shape " + Arrays.toString(s)
                    + " (needs " + s.length + " indices)");
        }
        for (int i = 0; i < s.length; i++) {
            if (index[i] < 0 || index[i] >= s[i]) {
                throw new IllegalArgumentException("get: index " + Arrays.toString(index) + " is out of bounds for shape "
                        + Arrays.toString(s) + " at axis " + i);
            }
        }
        return live("get").get(index);
    }

    /**
     * The elements in row-major order; a copy.
     *
     * @return the elements
     */
    public double[] toArray() {
        checkRecordingRead("toArray()");
        return live("toArray").toArray();
    }

    /**
     * Copies the elements in row-major order into {@code dst}, without allocating.
     *
     * @param dst an array of at least {@link #size()} elements
     */
    public void copyTo(double[] dst) {
        checkRecordingRead("copyTo");
        if (dst == null || dst.length < size()) {
            throw new IllegalArgumentException("copyTo: destination of length " + (dst == null ? "null" : dst.length)
                    + " is smaller than the tensor's " + size() + " elements");
        }
        live("copyTo").copyTo(dst);
    }

    /**
     * Copies the elements in row-major order into {@code dst}, rounded to float (exact for a
     * float32 tensor), without allocating.
     *
     * @param dst an array of at least {@link #size()} elements
     */
    public void copyTo(float[] dst) {
        checkRecordingRead("copyTo");
        if (dst == null || dst.length < size()) {
            throw new IllegalArgumentException("copyTo: destination of length " + (dst == null ? "null" : dst.length)
                    + " is smaller than the tensor's " + size() + " elements");
        }
        live("copyTo").copyTo(dst);
    }

    // ---------------------------------------------------------------- autograd state

    /**
     * Marks this leaf as a variable whose gradient {@link #backward()} computes.
     *
     * @param on whether to require grad
     * @return this tensor
     * @throws IllegalStateException if this tensor was produced by a recorded op (use {@link #detach()})
     */
    public Tensor requiresGrad(boolean on) {
        checkRecordingChange("requiresGrad(boolean)");
        if (node != null) {
            throw new IllegalStateException("requiresGrad: only a leaf can change requiresGrad; this tensor was produced by "
                    + node.op.name() + " (use detach() to get a leaf)");
        }
        requiresGrad = on;
        return this;
    }

    /**
     * Whether gradients flow to this tensor: a marked leaf, or the result of a recorded op.
     *
     * @return the flag
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * The name of the op that produced this tensor ({@code "matmul"}, {@code "sigmoid"}, ...), as
     * PyTorch's {@code grad_fn}.
     *
     * @return the name, or {@code null} for a leaf
     */
    public String gradFnName() {
        return node == null ? null : node.op.name();
    }

    /**
     * Whether this tensor was not produced by a recorded op.
     *
     * @return the flag
     */
    public boolean isLeaf() {
        return node == null;
    }

    /**
     * The gradient accumulated by {@link #backward()} into this leaf: {@code null} until a backward
     * pass reaches it. Only leaves keep gradients, and interior tensors that asked to with
     * {@link #retainGrad()}.
     *
     * @return the gradient, of this tensor's shape, or null
     */
    public Tensor grad() {
        checkRecordingRead("grad()");
        AccumulatedGradient a = gradient;
        return a == null ? null : a.grad();
    }

    /**
     * Makes this interior tensor keep, in {@link #grad()}, the gradient that reaches it in each
     * {@link #backward()} (accumulated across calls like a leaf's, after this tensor's hooks have
     * run), as PyTorch's {@code retain_grad}. A leaf keeps its gradient anyway, so for a leaf this
     * does nothing. {@link Autograd#grad} passes touch no {@code grad()}, retained or not.
     *
     * @return this tensor
     * @throws IllegalStateException if this tensor does not require grad
     */
    public Tensor retainGrad() {
        checkRecordingChange("retainGrad()");
        if (!requiresGrad) {
            throw new IllegalStateException("retainGrad: the tensor of shape " + Arrays.toString(shape())
                    + " does not require grad, so no gradient reaches it");
        }
        if (node != null) {
            updateHooks(h -> TensorHooks.retaining(h, this));
        }
        return this;
    }

    /**
     * Registers a hook that sees this tensor's gradient in every backward pass ({@link #backward()}
     * and {@link Autograd#grad}) and may replace it, as PyTorch's {@code register_hook}. For an
     * interior tensor the hook receives the gradient flowing into it, summed over all its uses,
     * before it propagates further back; for a leaf, the gradient of this pass before it is
     * accumulated into {@link #grad()} (or returned by {@code Autograd.grad}). Hooks run in the
     * order registered, each on the previous one's result; a hook that returns {@code null} keeps
     * the gradient as it is. While the pass records ({@code createGraph}), the gradient is part of
     * the graph and so is what the hook computes from it.
     *
     * <p>Hooks are user code run by the engine: they may run on any thread that runs a backward
     * pass through this tensor, and on several at once, so they must be thread-safe. Registering
     * and removing hooks is safe while passes run on other threads: such a pass runs either the
     * hooks from before the change or those after it, never a mix; register a hook before you
     * hand the graph to the threads that run backward through it (starting a thread or submitting
     * a task does), so that they see it. A backward pass through a tensor with hooks does not
     * recycle its intermediate gradients' memory, so a hook may keep the gradients it sees.
     *
     * @param hook a function from the gradient to the gradient to use instead (same shape and dtype), or
     *     to null
     * @return the registration, whose {@link Registration#remove()} unregisters the hook
     * @throws IllegalArgumentException if {@code hook} is null
     * @throws IllegalStateException if this tensor does not require grad; and, from the backward
     *     pass, if the hook returns a gradient of another shape or dtype (the message names this
     *     tensor's shape, the op that produced it and both shapes or dtypes)
     */
    public Registration registerHook(java.util.function.UnaryOperator<Tensor> hook) {
        checkRecordingChange("registerHook");
        if (hook == null) {
            throw new IllegalArgumentException("registerHook: hook is null");
        }
        if (!requiresGrad) {
            throw new IllegalStateException("registerHook: the tensor of shape " + Arrays.toString(shape())
                    + " does not require grad, so no gradient reaches it");
        }
        Registration[] added = new Registration[1];
        updateHooks(h -> TensorHooks.with(h, this, hook, added));
        return added[0];
    }

    /** Replaces this tensor's hooks (on the node for an interior tensor) under its lock. */
    synchronized void updateHooks(java.util.function.UnaryOperator<TensorHooks> change) {
        if (node != null) {
            node.hooks = change.apply(node.hooks);
        } else {
            hooks = change.apply(hooks);
        }
    }

    /** A leaf's hooks, null for none (an interior tensor's are on its node). */
    TensorHooks hooks() {
        return hooks;
    }

    /**
     * Resets the accumulated gradient to zeros, if there is one. The buffer is kept and reused: the
     * next backward pass writes its gradient into it (no separate pass filling zeros; the op that
     * computes it may write it there directly, with no copy: {@link CustomOp#readsOnlyItsArguments()}),
     * and {@link #grad()} reads zeros until then. A reference to the old gradient tensor taken
     * before the reset keeps its values until one of those happens: the next backward pass may
     * write into the buffer while it runs (reads of the old tensor meanwhile may see partial values;
     * an op recorded on it is refused), and one that fails part way may leave other values there,
     * while {@code grad()} still reads zeros. A backward pass that another thread
     * runs into this tensor at the same time adds its whole contribution either before the reset
     * or after it.
     */
    public void zeroGrad() {
        checkRecordingChange("zeroGrad()");
        AccumulatedGradient a = gradient;
        if (a != null) {
            a.zero();
        }
    }

    /** This tensor's accumulated gradient, or null when no backward pass has accumulated into it yet; makes nothing. */
    AccumulatedGradient accumulatedGradient() {
        return gradient;
    }

    /** This tensor's accumulated gradient, made on the first call: for a pass about to accumulate into it. */
    AccumulatedGradient accumulator() {
        AccumulatedGradient a = gradient;
        return a != null ? a : firstAccumulator();
    }

    private synchronized AccumulatedGradient firstAccumulator() {
        if (gradient == null) {
            gradient = new AccumulatedGradient();
        }
        return gradient;
    }

    /**
     * Back-propagates from this scalar, accumulating {@code d this / d leaf} into every leaf that
     * requires grad.
     *
     * @throws IllegalStateException if this tensor is not a scalar or does not require grad
     */
    public void backward() {
        if (size() != 1) {
            throw new IllegalStateException("backward: output has shape " + Arrays.toString(shape())
                    + "; only a scalar output can seed its own gradient, so pass gradOutput: backward(gradOutput)");
        }
        Engine.backward(this, new Tensor(NDArray.fullLike(1.0, live("backward"))), false, null);
    }

    /**
     * Back-propagates {@code gradOutput} (the gradient of some loss with respect to this tensor).
     *
     * @param gradOutput a tensor of this tensor's shape
     */
    public void backward(Tensor gradOutput) {
        Engine.backward(this, gradOutput, false, null);
    }

    /**
     * A leaf sharing this tensor's value, cut from the graph.
     *
     * @return the detached tensor
     */
    public Tensor detach() {
        if (StepTrace.recording != 0) {
            Tensor recorded = StepTrace.detached(this);
            if (recorded != null) {
                return recorded;
            }
        }
        return new Tensor(live("detach"));
    }

    /**
     * Updates the values in place: {@code update} receives the row-major buffer (exactly
     * {@link #size()} long) and overwrites it; for a float32 tensor it receives a float64 copy, which
     * is rounded back afterwards ({@link #modifyFloats} avoids the copy). This is how optimizers change parameters. The version
     * counter is bumped, so a graph that saved this tensor before the update refuses to
     * back-propagate ({@link IllegalStateException}, "modified") instead of using stale values.
     *
     * <p>Parameters must not be updated while a forward pass on another thread reads them; this is
     * enforced for recorded ops. The buffer's version is odd from before {@code update}'s first
     * write until after its last (a sequence lock), so a recorded op whose forward started while
     * the update was in progress, or overlapped it, throws {@link IllegalStateException} ("modified")
     * instead of returning a result computed from a half-updated buffer, and a graph whose forward
     * read this tensor before the update refuses to back-propagate. A second {@code modify} of the
     * same tensor while one is in progress is refused the same way, never interleaved. What is not
     * checked: reads that are not a recorded op's forward ({@link #toArray()}, {@link #item()}, ops
     * run under {@link Autograd#noGrad()} or on inputs none of which requires grad), which may see
     * the buffer half-updated, and a backward formula's reads of a saved tensor, which are checked
     * against the version only before they start.
     *
     * @param update code that overwrites the buffer; it must not keep a reference to it
     * @return this tensor
     * @throws IllegalStateException if this tensor is an intermediate result of a recorded op, or a
     *     view, or is already being modified (by another thread, or by {@code update} itself)
     */
    public Tensor modify(Consumer<double[]> update) {
        checkModifiable("modify", update);
        live("modify").modify(update);
        return this;
    }

    /**
     * Updates a float32 tensor's values in place, as {@link #modify} does (same version counter, same
     * refusals), handing {@code update} the float32 buffer itself. ({@link #modify} works on float32
     * tensors too, through a widened copy that is rounded back.)
     *
     * @param update code that overwrites the buffer; it must not keep a reference to it
     * @return this tensor
     * @throws IllegalStateException as {@link #modify}, or if this tensor is float64
     */
    public Tensor modifyFloats(Consumer<float[]> update) {
        checkModifiable("modifyFloats", update);
        live("modifyFloats").modifyFloats(update);
        return this;
    }

    private void checkModifiable(String what, Object update) {
        checkRecordingChange(what);
        if (node != null) {
            throw new IllegalStateException(what + ": cannot modify an intermediate result of " + node.op.name()
                    + " in place; only leaves can be updated");
        }
        if (update == null) {
            throw new IllegalArgumentException(what + ": update is null");
        }
    }

    /**
     * How often this tensor's buffer was modified in place (updates completed, modulo 2^32; one in
     * progress is not counted). The graph's own check uses a 64-bit counter that never wraps.
     *
     * @return the version
     */
    public int version() {
        return (int) (value.version() >>> 1);
    }

    Node node() {
        return node;
    }

    void attach(Node n) {
        n.checkInputsUnchanged();
        node = n;
        requiresGrad = true;
    }

    // ---------------------------------------------------------------- elementwise

    /**
     * Elementwise sum, broadcasting.
     *
     * @param other the addend
     * @return this + other
     */
    public Tensor add(Tensor other) {
        return Arithmetic.add(this, other);
    }

    /**
     * Adds a constant.
     *
     * @param c the constant
     * @return this + c
     */
    public Tensor add(double c) {
        return Arithmetic.add(this, c);
    }

    /**
     * Elementwise difference, broadcasting.
     *
     * @param other the subtrahend
     * @return this - other
     */
    public Tensor sub(Tensor other) {
        return Arithmetic.sub(this, other);
    }

    /**
     * Subtracts a constant.
     *
     * @param c the constant
     * @return this - c
     */
    public Tensor sub(double c) {
        // x - c is exactly x + (-c) in IEEE arithmetic
        return Arithmetic.add(this, -c);
    }

    /**
     * Elementwise product, broadcasting.
     *
     * @param other the factor
     * @return this * other
     */
    public Tensor mul(Tensor other) {
        return Arithmetic.mul(this, other);
    }

    /**
     * Multiplies by a constant.
     *
     * @param c the constant
     * @return this * c
     */
    public Tensor mul(double c) {
        return Arithmetic.mul(this, c);
    }

    /**
     * Elementwise quotient, broadcasting.
     *
     * @param other the divisor
     * @return this / other
     */
    public Tensor div(Tensor other) {
        return Arithmetic.div(this, other);
    }

    /**
     * Divides by a constant.
     *
     * @param c the constant
     * @return this / c
     */
    public Tensor div(double c) {
        return Arithmetic.div(this, c);
    }

    /**
     * Returns -this.
     *
     * @return -this
     */
    public Tensor neg() {
        return Arithmetic.neg(this);
    }

    /**
     * Elementwise power with a constant exponent.
     *
     * @param exponent p
     * @return this^p
     */
    public Tensor pow(double exponent) {
        return Exponentials.pow(this, exponent);
    }

    /**
     * Returns log(1 + this), elementwise, accurate near 0: within 1 ulp of {@link StrictMath#log1p}
     * (64 or more elements run on vectors: log of 1 + x plus that sum's rounding error over it); a
     * float32 tensor of 64 or more elements computes in float32 arithmetic, within 1 ulp.
     *
     * @return log(1 + this), elementwise, accurate near 0
     */
    public Tensor log1p() {
        return Exponentials.log1p(this);
    }

    /**
     * Returns log(1 + e^this), elementwise, computed without overflow; its derivative is the sigmoid.
     * 64 or more elements run on a vector polynomial with the Vector API, within 2 ulps (float32 in
     * float32 arithmetic).
     *
     * @return log(1 + e^this), elementwise, computed without overflow; its derivative is the sigmoid
     */
    public Tensor softplus() {
        return Activations.softplus(this);
    }

    /**
     * Limits every element to [min, max]: {@code x < min ? min : x > max ? max : x}, exact (the
     * identity inside the range, whatever the bounds' magnitude), NaN passing through, as PyTorch's
     * {@code clamp}. The gradient is 1 strictly inside, 0 outside and at the bounds.
     *
     * @param min the lower bound
     * @param max the upper bound, at least min
     * @return the clamped tensor
     * @throws IllegalArgumentException if min exceeds max or either is NaN
     */
    public Tensor clamp(double min, double max) {
        return Activations.clamp(this, min, max);
    }

    /**
     * Returns e^this, elementwise. A float32 tensor of 64 or more elements computes in float32
     * arithmetic, within 1 ulp of the correctly rounded result.
     *
     * @return e^this, elementwise
     */
    public Tensor exp() {
        return Exponentials.exp(this);
    }

    /**
     * Returns the natural logarithm, elementwise: within 1 ulp of the correctly rounded result for 64
     * or more elements (a vector polynomial with the Vector API; float32 in float32 arithmetic),
     * {@link Math#log} for fewer.
     *
     * @return the natural logarithm, elementwise
     */
    public Tensor log() {
        return Exponentials.log(this);
    }

    /**
     * Returns the square root, elementwise.
     *
     * @return the square root, elementwise
     */
    public Tensor sqrt() {
        return Exponentials.sqrt(this);
    }

    /**
     * Returns |this|, elementwise (gradient 0 at 0).
     *
     * @return |this|, elementwise (gradient 0 at 0)
     */
    public Tensor abs() {
        return Activations.abs(this);
    }

    /**
     * Returns sin, elementwise.
     *
     * @return sin, elementwise
     */
    public Tensor sin() {
        return Trigonometry.sin(this);
    }

    /**
     * Returns cos, elementwise.
     *
     * @return cos, elementwise
     */
    public Tensor cos() {
        return Trigonometry.cos(this);
    }

    /**
     * Returns tanh, elementwise. A float32 tensor of 64 or more elements computes in float32
     * arithmetic, within 2 ulps of the correctly rounded result.
     *
     * @return tanh, elementwise
     */
    public Tensor tanh() {
        return Trigonometry.tanh(this);
    }

    /**
     * Returns the logistic function 1 / (1 + e^-x), elementwise. A float32 tensor of 64 or more
     * elements computes in float32 arithmetic, within 2 ulps of the correctly rounded result.
     *
     * @return the logistic function 1 / (1 + e^-x), elementwise
     */
    public Tensor sigmoid() {
        return Activations.sigmoid(this);
    }

    /**
     * Returns max(x, 0), elementwise (gradient 0 at 0).
     *
     * @return max(x, 0), elementwise (gradient 0 at 0)
     */
    public Tensor relu() {
        return Activations.relu(this);
    }

    /**
     * Elementwise {@code this > other}, broadcasting: 1 where it holds, 0 elsewhere (NaN
     * compares false). The result never requires grad.
     *
     * @param other the right operand
     * @return a mask of 0s and 1s
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor gt(Tensor other) {
        return Comparison.compare("gt", Binary.GT, this, other);
    }

    /**
     * Elementwise {@code this > c}: 1 where it holds, 0 elsewhere (NaN compares false). The
     * result never requires grad.
     *
     * @param c the constant
     * @return a mask of 0s and 1s
     */
    public Tensor gt(double c) {
        return Comparison.compare(Binary.GT, this, c);
    }

    /**
     * Elementwise {@code this >= other}, broadcasting: 1 where it holds, 0 elsewhere (NaN
     * compares false). The result never requires grad.
     *
     * @param other the right operand
     * @return a mask of 0s and 1s
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor ge(Tensor other) {
        return Comparison.compare("ge", Binary.GE, this, other);
    }

    /**
     * Elementwise {@code this >= c}: 1 where it holds, 0 elsewhere (NaN compares false). The
     * result never requires grad.
     *
     * @param c the constant
     * @return a mask of 0s and 1s
     */
    public Tensor ge(double c) {
        return Comparison.compare(Binary.GE, this, c);
    }

    /**
     * Elementwise {@code this < other}, broadcasting: 1 where it holds, 0 elsewhere (NaN
     * compares false). The result never requires grad.
     *
     * @param other the right operand
     * @return a mask of 0s and 1s
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor lt(Tensor other) {
        return Comparison.compare("lt", Binary.LT, this, other);
    }

    /**
     * Elementwise {@code this < c}: 1 where it holds, 0 elsewhere (NaN compares false). The
     * result never requires grad.
     *
     * @param c the constant
     * @return a mask of 0s and 1s
     */
    public Tensor lt(double c) {
        return Comparison.compare(Binary.LT, this, c);
    }

    /**
     * Elementwise {@code this <= other}, broadcasting: 1 where it holds, 0 elsewhere (NaN
     * compares false). The result never requires grad.
     *
     * @param other the right operand
     * @return a mask of 0s and 1s
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor le(Tensor other) {
        return Comparison.compare("le", Binary.LE, this, other);
    }

    /**
     * Elementwise {@code this <= c}: 1 where it holds, 0 elsewhere (NaN compares false). The
     * result never requires grad.
     *
     * @param c the constant
     * @return a mask of 0s and 1s
     */
    public Tensor le(double c) {
        return Comparison.compare(Binary.LE, this, c);
    }

    /**
     * Elementwise {@code this == other}, broadcasting: 1 where it holds, 0 elsewhere (NaN
     * compares false). The result never requires grad.
     *
     * @param other the right operand
     * @return a mask of 0s and 1s
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor eq(Tensor other) {
        return Comparison.compare("eq", Binary.EQ, this, other);
    }

    /**
     * Elementwise {@code this == c}: 1 where it holds, 0 elsewhere (NaN compares false). The
     * result never requires grad.
     *
     * @param c the constant
     * @return a mask of 0s and 1s
     */
    public Tensor eq(double c) {
        return Comparison.compare(Binary.EQ, this, c);
    }

    /**
     * Picks {@code a} where {@code condition} is non-zero (NaN included) and {@code b} elsewhere, as
     * {@code torch.where}; the three shapes broadcast together. The gradient flows to the picked
     * operand (summed back over broadcast axes); the condition never receives one.
     *
     * @param condition the mask, such as {@code x.gt(0)}
     * @param a the values where the condition holds
     * @param b the values elsewhere
     * @return the selection
     * @throws IllegalArgumentException if an argument is null or the shapes do not broadcast
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return Comparison.where(condition, a, b);
    }

    /**
     * Elementwise maximum, broadcasting; NaN where either is NaN, and +0 above -0. At a tie the
     * gradient is split evenly between the operands, as PyTorch.
     *
     * @param other the other operand
     * @return max(this, other)
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor maximum(Tensor other) {
        return Comparison.maximum(this, other);
    }

    /**
     * Elementwise minimum, broadcasting; NaN where either is NaN, and -0 below +0. At a tie the
     * gradient is split evenly between the operands, as PyTorch.
     *
     * @param other the other operand
     * @return min(this, other)
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor minimum(Tensor other) {
        return Comparison.minimum(this, other);
    }

    /**
     * Elementwise power with a tensor exponent, broadcasting, with C99's pow ({@code 1^e = 1},
     * {@code x^0 = 1}). The gradient is {@code e x^(e-1)} for the base (0 where e = 0) and
     * {@code x^e log x} for the exponent (0 where x = 0 and e >= 0), as PyTorch.
     *
     * @param exponent the exponent
     * @return this^exponent
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor pow(Tensor exponent) {
        return Exponentials.pow(this, exponent);
    }

    /**
     * Returns the error function {@code erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt}, elementwise, within 1
     * ulp of the correctly rounded value (the same bits at any length, on vectors or not); a float32
     * tensor of 64 or more elements computes in float32 arithmetic, within 1 ulp.
     *
     * @return erf, elementwise
     */
    public Tensor erf() {
        return Exponentials.erf(this);
    }

    /**
     * Returns the Gaussian error linear unit {@code x/2 (1 + erf(x / sqrt 2))}, elementwise, the exact form
     * (PyTorch's default, not the tanh approximation). float64 gives the bits of those operations
     * done one by one, as PyTorch orders them; float32 computes {@code x Phi(x)}, Phi the standard
     * normal distribution taken without {@code 1 + erf} (which cancels for negative x, leaving no
     * correct digit in float32 below about -5), within 6 ulps of the correctly rounded gelu (in
     * float32 arithmetic on 64 or more elements, float64 rounded once below). Its backward, {@code
     * g (Phi(x) + x phi(x))} with phi the standard normal density, is one fused op (in float32
     * computed as the forward is), differentiable again.
     *
     * @return gelu, elementwise
     */
    public Tensor gelu() {
        return Activations.gelu(this);
    }

    /**
     * Returns the sigmoid-weighted linear unit {@code x sigmoid(x)} (swish), elementwise, in one pass
     * with the bits of {@code mul(sigmoid())}; its backward, {@code g s (1 + x (1 - s))} with {@code s
     * = sigmoid(x)}, is one fused op (in float32 arithmetic on 64 or more float32 elements, as the
     * sigmoid), differentiable again.
     *
     * @return silu, elementwise
     */
    public Tensor silu() {
        return Activations.silu(this);
    }

    /**
     * The leaky rectifier {@code x > 0 ? x : slope x}, elementwise; the gradient is the slope at 0.
     *
     * @param slope the factor for non-positive inputs, such as 0.01
     * @return leaky relu, elementwise
     * @throws IllegalArgumentException if the slope is not finite
     */
    public Tensor leakyRelu(double slope) {
        return Activations.leakyRelu(this, slope);
    }

    // ---------------------------------------------------------------- linear algebra and shape

    /**
     * Matrix product like {@code numpy.matmul}: 2-D x 2-D, 1-D operands promoted to a row or column
     * vector (and the added axis removed), and rank >= 3 as a batch of matrices whose batch axes
     * broadcast.
     *
     * @param other the right operand
     * @return the product
     */
    public Tensor matmul(Tensor other) {
        return MatMul.matmul(this, other);
    }

    /**
     * {@code this.matmul(weight).add(bias)}, the affine map of a dense layer, as a single op when
     * this is a matrix [m, k], {@code weight} [k, n] and {@code bias} [n] (as PyTorch's
     * {@code addmm}); other shapes compute the same composite.
     *
     * @param weight the right operand
     * @param bias added to every row (broadcast); null for none
     * @return this @ weight + bias
     */
    public Tensor affine(Tensor weight, Tensor bias) {
        return MatMul.affine(this, weight, bias);
    }

    /**
     * One-dimensional convolution of this input [N, C, L] with {@code weight} [O, C, K], as
     * {@code torch.nn.functional.conv1d}: a cross-correlation,
     * {@code y[n, o, i] = bias[o] + sum_{c, k} weight[o, c, k] x[n, c, i stride - padding + k]}
     * with zeros outside the input, of length floor((L + 2 padding - K) / stride) + 1.
     *
     * @param weight the kernels [O, C, K]
     * @param bias [O], or null for none
     * @param stride the step between windows, at least 1
     * @param padding zeros added at both ends, at least 0
     * @return the output [N, O, Lout]
     * @throws IllegalArgumentException if a rank, the channel counts or the bias's shape do not fit,
     *     stride or padding is out of range, or the kernel is longer than the padded input
     */
    public Tensor conv1d(Tensor weight, Tensor bias, int stride, int padding) {
        return Convolution.conv1d(this, weight, bias, stride, padding);
    }

    /**
     * Two-dimensional convolution of this input [N, C, H, W] with {@code weight} [O, C, kH, kW], the
     * same stride and padding on both axes: {@link #conv2d(Tensor, Tensor, int[], int[], int[], int)}
     * with dilation 1 and one group.
     *
     * @param weight the kernels [O, C, kH, kW]
     * @param bias [O], or null for none
     * @param stride the step between windows on both axes, at least 1
     * @param padding zeros added on every side, at least 0
     * @return the output [N, O, outH, outW]
     * @throws IllegalArgumentException as the general form
     */
    public Tensor conv2d(Tensor weight, Tensor bias, int stride, int padding) {
        return Convolution.conv2d(this, weight, bias, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {1, 1}, 1);
    }

    /**
     * Two-dimensional convolution as {@code torch.nn.functional.conv2d} (a cross-correlation, NCHW):
     * with this input x [N, C, H, W], {@code weight} [O, C / groups, kH, kW] and G = groups, output
     * channel o sees the input channels of its group g = o / (O / G):
     * {@code y[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q]
     * x[n, g C / G + c, i s0 - p0 + p d0, j s1 - p1 + q d1]}, zeros outside the input. The output is
     * [N, O, outH, outW] with outH = floor((H + 2 p0 - d0 (kH - 1) - 1) / s0) + 1, and likewise outW.
     * It runs as matrix products over unfolded windows, in chunks of the batch of bounded size.
     *
     * @param weight the kernels [O, C / groups, kH, kW]
     * @param bias [O], or null for none
     * @param stride {vertical, horizontal} steps, each at least 1
     * @param padding {vertical, horizontal} zeros on each side, each at least 0
     * @param dilation {vertical, horizontal} spacing of kernel taps, each at least 1
     * @param groups how many channel groups; it divides C and O
     * @return the output [N, O, outH, outW]
     * @throws IllegalArgumentException if a rank is not 4, the channels do not match the weight
     *     (C != weight[1] groups), groups does not divide C and O, the bias is not [O], a stride,
     *     padding or dilation is out of range or not two values, or the dilated kernel is larger than
     *     the padded input
     */
    public Tensor conv2d(Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Convolution.conv2d(this, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * Max pooling of this input [N, C, H, W] over kernel x kernel windows, as
     * {@code torch.nn.functional.max_pool2d}: window (i, j) starts at (i stride - padding, j stride -
     * padding), padding counts as minus infinity, the output is [N, C, outH, outW] with outH =
     * floor((H + 2 padding - kernel) / stride) + 1. Where values tie, the first in row-major order
     * receives the gradient; a NaN in a window makes its maximum NaN.
     *
     * @param kernel the window size, at least 1
     * @param stride the step between windows, at least 1
     * @param padding at least 0 and at most kernel / 2, as PyTorch requires
     * @return the maxima [N, C, outH, outW]
     * @throws IllegalArgumentException if this is not 4-D, an argument is out of range, or the
     *     window is larger than the padded input
     */
    public Tensor maxPool2d(int kernel, int stride, int padding) {
        return Pooling.maxPool2d(this, kernel, stride, padding);
    }

    /**
     * Average pooling of this input [N, C, H, W] over kernel x kernel windows, as
     * {@code torch.nn.functional.avg_pool2d} with its default {@code count_include_pad=True}: each
     * window's sum, padding counted as zeros, divided by kernel^2. Windows and output shape are
     * those of {@link #maxPool2d}.
     *
     * @param kernel the window size, at least 1
     * @param stride the step between windows, at least 1
     * @param padding at least 0 and at most kernel / 2, as PyTorch requires
     * @return the means [N, C, outH, outW]
     * @throws IllegalArgumentException if this is not 4-D, an argument is out of range, or the
     *     window is larger than the padded input
     */
    public Tensor avgPool2d(int kernel, int stride, int padding) {
        return Pooling.avgPool2d(this, kernel, stride, padding);
    }

    /**
     * {@code sum((this - other)^2)}, the sum-of-squares loss, as one op (one pass forward, one
     * backward); shapes broadcast as in {@link #sub}.
     *
     * @param other the tensor to compare with
     * @return the scalar sum of squared differences
     */
    public Tensor sumSquaredDifference(Tensor other) {
        return Reductions.sumSquaredDifference(this, other);
    }

    /**
     * The mean softmax cross-entropy of these logits ({@code [batch, classes]}) against target
     * probabilities, {@code -sum(targets * logSoftmax(this, 1)) / batch}, or against one class
     * number a row (PyTorch's {@code cross_entropy} takes either), as one op: one pass forward, one
     * backward. A class whose target is 0 adds nothing, even where its logit is -inf (a masked
     * class); class numbers give the loss of their one-hot rows bit for bit. The gradient is
     * {@code (softmax(this) * rowSum(targets) - targets) / batch}; with respect to target
     * probabilities {@code -logSoftmax(this, 1) / batch}, and none for class numbers. float32
     * computes in float32 arithmetic, as PyTorch does: the loss within 8 ulps of the float64 loss of
     * the same numbers (relative to the larger of 1 and the loss), each gradient element within 8
     * ulps of {@code (|p T| + |t|) / batch}, and the element where a probability above 1/2 meets a
     * target (a confident class's {@code p - 1}) within an ulp of the float64 result.
     *
     * @param targets target probabilities (one-hot rows or soft labels) of this shape and dtype, or
     *     class numbers ({@code [batch]}, whole numbers in [0, classes), in this dtype)
     * @return the scalar loss, in this dtype
     * @throws IllegalArgumentException if this is not [batch, classes] with both above 0, the
     *     targets' shape or dtype differ, or a class number is out of range
     */
    public Tensor softmaxCrossEntropy(Tensor targets) {
        return CrossEntropy.softmaxCrossEntropy(this, targets);
    }

    /**
     * Layer normalization, PyTorch's {@code layer_norm}: each slice over the trailing axes of
     * {@code normalizedShape} becomes {@code (x - mean) / sqrt(var + eps)} (the biased variance),
     * then times {@code weight}, plus {@code bias}. One op with the weight and bias (one pass
     * forward, one backward that gives all three gradients, differentiable to any order; the bits
     * of the normalization followed by the product and the sum); float32 normalizes in float64 and
     * rounds once, then scales and shifts in float32 arithmetic.
     *
     * @param normalizedShape the sizes of the trailing axes to normalize over
     * @param weight the scale, of {@code normalizedShape}, or null for none
     * @param bias the shift, of {@code normalizedShape}, or null for none
     * @param eps added to the variance (PyTorch's default is 1e-5), 0 or more
     * @return the normalized tensor, of this shape
     * @throws IllegalArgumentException if the last axes are not {@code normalizedShape}, a weight
     *     or bias has another shape, or eps is negative or not finite
     */
    public Tensor layerNorm(int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(this, normalizedShape, weight, bias, eps);
    }

    /**
     * Batch normalization with the batch's statistics, PyTorch's {@code batch_norm} in training
     * mode: each channel (axis 1 of [N, C, ...]) becomes {@code (x - mean) / sqrt(var + eps)} over
     * all its values (the biased variance), then times {@code weight}, plus {@code bias}. The
     * normalization, weight and bias are one op (one pass forward, one backward that also gives the
     * weight's and bias's gradients, differentiable to any order); float32 computes the
     * normalization in float64 and rounds once, then applies the weight and bias in float32. For
     * running statistics, see {@link #batchNorm(Tensor, Tensor, Tensor, Tensor, boolean, double, double)}.
     *
     * @param weight the scale, [C], or null for none
     * @param bias the shift, [C], or null for none
     * @param eps added to the variance (PyTorch's default is 1e-5), 0 or more
     * @return the normalized tensor, of this shape
     * @throws IllegalArgumentException if this is not [N, C, ...] with more than one value per channel, a
     *     weight or bias is not [C] of this dtype, or eps is negative or not finite
     */
    public Tensor batchNorm(Tensor weight, Tensor bias, double eps) {
        return BatchNormalization.batchNorm(this, weight, bias, eps);
    }

    /**
     * PyTorch's {@code batch_norm(input, running_mean, running_var, weight, bias, training,
     * momentum, eps)}. In training mode each channel is normalized with the batch's statistics, as
     * {@link #batchNorm(Tensor, Tensor, double)} does, and the running statistics, where given,
     * move toward the batch's in place: {@code running = (1 - momentum) running + momentum batch},
     * with the unbiased variance (as PyTorch). In evaluation mode the running statistics normalize
     * instead, {@code (x - runningMean) / sqrt(runningVar + eps) weight + bias} computed as PyTorch's
     * inference computes it, {@code x alpha + beta} per channel with {@code alpha = weight /
     * sqrt(runningVar + eps)} and {@code beta = bias - runningMean alpha} (one pass over x), and stay
     * as they are. The running statistics are leaves that the update changes through {@link #modify}, so a
     * {@link RecordedStep} refuses to record a training-mode call that has them. Unlike PyTorch,
     * evaluation mode is differentiable in the running statistics too (they are ordinary tensors of
     * the formula), and momentum is a number (PyTorch's {@code None}, a cumulative average, has no
     * counterpart).
     *
     * @param runningMean each channel's running mean, [C] of this dtype; null for none (training only)
     * @param runningVar each channel's running variance, [C] of this dtype; null for none (training only)
     * @param weight the scale, [C], or null for none
     * @param bias the shift, [C], or null for none
     * @param training whether to normalize with the batch's statistics (and update the running ones)
     * @param momentum the running statistics' step toward the batch's, in [0, 1] (PyTorch's default is 0.1)
     * @param eps added to the variance (PyTorch's default is 1e-5), 0 or more
     * @return the normalized tensor, of this shape
     * @throws IllegalArgumentException as {@link #batchNorm(Tensor, Tensor, double)} does (in
     *     evaluation mode, one value per channel is enough); if a running statistic is not [C] of
     *     this dtype, both are not given in evaluation mode, only one of them is given, they are not
     *     leaves in training mode, or momentum is outside [0, 1]
     */
    public Tensor batchNorm(Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training, double momentum,
            double eps) {
        return BatchNormalization.batchNorm(this, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /**
     * Swaps the last two axes (a view, no copy).
     *
     * @return the transpose
     */
    public Tensor transpose() {
        return ShapeOps.transpose(this);
    }

    /**
     * The same elements in a new shape; one dimension may be -1 and is then inferred.
     *
     * @param shape the new dimensions
     * @return the reshaped tensor
     */
    public Tensor reshape(int... shape) {
        return ShapeOps.reshape(this, shape);
    }

    /**
     * Broadcasts to a larger shape by NumPy rules (a view: nothing is copied); its gradient is
     * summed back.
     *
     * @param shape the target shape
     * @return the expanded tensor
     */
    public Tensor expand(int... shape) {
        return ShapeOps.expand(this, shape);
    }

    /**
     * Sums down to a shape that broadcasts to this one (the reverse of {@link #expand}).
     *
     * @param shape the target shape
     * @return the reduced tensor
     */
    public Tensor sumTo(int... shape) {
        return ShapeOps.sumTo(this, shape);
    }

    /**
     * The positions [start, start + length) along one axis, as a view (no copy); the gradient flows
     * back to those positions.
     *
     * @param axis the axis; negative counts from the end
     * @param start the first position
     * @param length how many positions
     * @return the slice
     */
    public Tensor narrow(int axis, int start, int length) {
        return Indexing.narrow(this, axis, start, length);
    }

    /**
     * The slice at one position along an axis, with that axis removed ({@code x[:, i]} is
     * {@code x.select(1, i)}).
     *
     * @param axis the axis; negative counts from the end
     * @param index the position; negative counts from the end
     * @return the slice
     */
    public Tensor select(int axis, int index) {
        return Indexing.select(this, axis, index);
    }

    /**
     * Joins tensors along an axis; their shapes must agree on every other axis.
     *
     * @param tensors the tensors, at least one
     * @param axis the axis; negative counts from the end
     * @return the concatenation
     */
    public static Tensor concat(java.util.List<Tensor> tensors, int axis) {
        return Indexing.concat(tensors, axis);
    }

    /**
     * Joins tensors of one shape along a new axis ({@code [3, 4]} pieces stacked at axis 1 give
     * {@code [3, n, 4]}); rank-0 pieces stack into a 1-D tensor.
     *
     * @param tensors the tensors, at least one, all of the same shape
     * @param axis the new axis's position in the result, in [-(rank + 1), rank]; negative counts from the end
     * @return the stacked tensor
     * @throws IllegalArgumentException if the list is empty or holds null, or the shapes differ
     *     (the message names both)
     */
    public static Tensor stack(java.util.List<Tensor> tensors, int axis) {
        return Indexing.stack(tensors, axis);
    }

    // ---------------------------------------------------------------- reductions

    /**
     * Returns the sum of all elements, as a scalar.
     *
     * @return the sum of all elements, as a scalar
     */
    public Tensor sum() {
        return sumTo();
    }

    /**
     * Sum along one axis.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the sum
     */
    public Tensor sum(int axis, boolean keepDim) {
        return Reductions.sum(this, axis, keepDim);
    }

    /**
     * Returns the mean of all elements, as a scalar.
     *
     * @return the mean of all elements, as a scalar
     */
    public Tensor mean() {
        return Reductions.mean(this);
    }

    /**
     * Mean along one axis.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the mean
     */
    public Tensor mean(int axis, boolean keepDim) {
        return Reductions.mean(this, axis, keepDim);
    }

    /**
     * Maximum along one axis; the gradient flows to the first maximal element of each slice (the
     * one {@link #argmax} returns, as PyTorch's {@code max(dim)}), and a NaN in a slice is its maximum.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the maximum
     */
    public Tensor max(int axis, boolean keepDim) {
        return Reductions.max(this, axis, keepDim);
    }

    /**
     * {@code log(sum(exp(x)))} along one axis, computed stably (max-subtracted).
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the log-sum-exp
     */
    public Tensor logSumExp(int axis, boolean keepDim) {
        return Reductions.logSumExp(this, axis, keepDim);
    }

    /**
     * Softmax along one axis, computed stably (max-subtracted). float32 rows of 64 or more along
     * the last axis, and slices along an axis followed by 64 or more elements (the channels of
     * images), compute in float32 arithmetic (within 3 ulps of the float64 result, the backward
     * within 2); other float32 slices give the float64 result rounded. Either way the bits do not
     * depend on the thread count.
     *
     * @param axis the axis; negative counts from the end
     * @return exp(x) / sum(exp(x)) along the axis
     */
    public Tensor softmax(int axis) {
        return Reductions.softmax(this, axis);
    }

    /**
     * Log-softmax along one axis: {@code x - logSumExp(x)}, stable. float32 rows of 64 or more along
     * the last axis, and slices along an axis followed by 64 or more elements, compute in float32
     * arithmetic (within 3 ulps of the float64 result, or 1e-15 near 0), and so does the backward
     * over them, {@code g - exp(y) sum(g)} (within 3 ulps of {@code |exp(y) sum(g)|} plus 2 of the
     * result, so a few ulps of the terms where they nearly cancel; a slice's largest value whose
     * probability is above 1/2, a confident class, takes the float64 expression, rounded, keeping
     * the digits of its small gradient); shorter slices give the float64 result rounded.
     *
     * @param axis the axis; negative counts from the end
     * @return the log-probabilities
     */
    public Tensor logSoftmax(int axis) {
        return Reductions.logSoftmax(this, axis);
    }

    /**
     * The largest element, as a scalar. A NaN anywhere makes it NaN (as PyTorch). The gradient is
     * shared evenly among tied elements: with k elements equal to the maximum (or k NaNs), each
     * receives 1/k of it (as PyTorch's {@code x.max()}; {@link #max(int, boolean)} gives it to one).
     *
     * @return the maximum
     * @throws IllegalArgumentException if the tensor is empty
     */
    public Tensor max() {
        return Extremes.max(this);
    }

    /**
     * The smallest element, as a scalar; NaN and ties as {@link #max()}: a NaN anywhere makes it
     * NaN, and k tied minima (or k NaNs) each receive 1/k of the gradient.
     *
     * @return the minimum
     * @throws IllegalArgumentException if the tensor is empty
     */
    public Tensor min() {
        return Extremes.min(this);
    }

    /**
     * Minimum along one axis; the gradient flows to the first minimal element of each slice (the
     * one {@link #argmin} returns), and a NaN in a slice is its minimum.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the minimum
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor min(int axis, boolean keepDim) {
        return Reductions.min(this, axis, keepDim);
    }

    /**
     * {@code log(sum(exp(x)))} over all elements, as a scalar, computed stably (max-subtracted).
     *
     * @return the log-sum-exp
     * @throws IllegalArgumentException if the tensor is empty
     */
    public Tensor logSumExp() {
        return Statistics.logSumExp(this);
    }

    /**
     * The position of the maximum of each slice along an axis, as whole numbers held in doubles (a
     * float64 tensor for either input dtype: float32 holds whole numbers exactly only up to 2^24). On
     * ties the first position wins; a NaN counts as the maximum (the first NaN's position), as
     * PyTorch. Not differentiable: the result never requires grad.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the positions
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor argmax(int axis, boolean keepDim) {
        return Extremes.argmax(this, axis, keepDim);
    }

    /**
     * The position of the minimum of each slice along an axis, as whole numbers held in doubles (float64 for either input dtype). On
     * ties the first position wins; a NaN counts as the minimum (the first NaN's position), as
     * PyTorch. Not differentiable: the result never requires grad.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the positions
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor argmin(int axis, boolean keepDim) {
        return Extremes.argmin(this, axis, keepDim);
    }

    /**
     * Unbiased variance along one axis, {@code sum((x - mean)^2) / (n - 1)} (correction 1, as
     * PyTorch's default); NaN where the axis has one element.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the variance
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor var(int axis, boolean keepDim) {
        return Statistics.var(this, axis, keepDim);
    }

    /**
     * Unbiased standard deviation along one axis, the square root of {@link #var}; its gradient is
     * 0 where it is 0 (a constant slice), as PyTorch's.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the standard deviation
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor std(int axis, boolean keepDim) {
        return Statistics.std(this, axis, keepDim);
    }

    /**
     * Running sums along one axis: element k is the sum of elements 0 to k. Its gradient is the
     * running sum of the output gradient taken from the end.
     *
     * @param axis the axis; negative counts from the end
     * @return the cumulative sums, of this tensor's shape
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor cumsum(int axis) {
        return Statistics.cumsum(this, axis);
    }

    /**
     * Product along one axis (1 along an empty axis). Computed without division, so the gradient
     * (the product of the other elements) is exact when the slice holds zeros, as are higher
     * derivatives.
     *
     * @param axis the axis; negative counts from the end
     * @param keepDim whether to keep the axis with size 1
     * @return the product
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor prod(int axis, boolean keepDim) {
        return Statistics.prod(this, axis, keepDim);
    }

    /**
     * The Euclidean norm of all elements, {@code sqrt(sum(x^2))}, as a scalar (0 for an empty
     * tensor); its gradient {@code x / norm} is taken as 0 where the norm is 0, as PyTorch's.
     *
     * @return the norm
     */
    public Tensor norm() {
        return Statistics.norm(this);
    }

    /**
     * The slabs at the given positions along an axis, in that order ({@code x[:, [2, 0, 2]]} is
     * {@code x.indexSelect(1, 2, 0, 2)}); an embedding lookup. Repeated positions accumulate their
     * gradients.
     *
     * @param axis the axis; negative counts from the end
     * @param indices positions along the axis, each in [0, size)
     * @return a tensor of this shape with the axis as long as {@code indices}
     * @throws IllegalArgumentException if the axis or an index is out of range (the message names the
     *     index, the axis and its size)
     */
    public Tensor indexSelect(int axis, int... indices) {
        return Gathering.indexSelect(this, axis, indices);
    }

    /**
     * Reads along an axis at positions given by an index tensor, as {@code torch.gather}: for every
     * position p of {@code index}, {@code out[p] = this[p with p[axis] replaced by index[p]]}. The
     * index has this tensor's rank and is no larger along the other axes; its values are whole
     * numbers in [0, dim(axis)). The gradient is scattered back ({@link #scatterAdd}); the index gets
     * none.
     *
     * @param axis the axis; negative counts from the end
     * @param index the positions
     * @return a tensor of the index's shape
     * @throws IllegalArgumentException if the ranks differ, the index is too large, or a value is not
     *     a whole number or is out of range (the message names it, the axis and its size)
     */
    public Tensor gather(int axis, Tensor index) {
        return Gathering.gather(this, axis, index);
    }

    /**
     * A copy of this tensor with {@code source} added at positions given by an index tensor, as
     * {@code torch.scatter_add} (out of place): for every position p of {@code index},
     * {@code out[p with p[axis] replaced by index[p]] += source[p]}; repeated positions accumulate.
     * The index has this tensor's rank, is no larger than {@code source} on any axis nor than this
     * tensor on the others, and holds whole numbers in [0, dim(axis)). It is the adjoint of
     * {@link #gather}: differentiable in this tensor and in {@code source} (whose gradient is a
     * gather), not in the index.
     *
     * @param axis the axis; negative counts from the end
     * @param index the positions
     * @param source the values to add (of the same rank)
     * @return the sum, of this tensor's shape
     * @throws IllegalArgumentException if the ranks differ, the index is too large, or a value is not
     *     a whole number or is out of range
     */
    public Tensor scatterAdd(int axis, Tensor index, Tensor source) {
        return Gathering.scatterAdd(this, axis, index, source);
    }

    /**
     * Reorders the axes (a view, no copy): axis i of the result is axis {@code axes[i]} of this one.
     *
     * @param axes a permutation of the axes; negative ones count from the end
     * @return the permuted tensor
     * @throws IllegalArgumentException if an axis is out of range, repeated or missing
     */
    public Tensor permute(int... axes) {
        return ShapeOps.permute(this, axes);
    }

    /**
     * Inserts an axis of size 1.
     *
     * @param axis its position in the result, in [-(rank + 1), rank]; negative counts from the end
     * @return the reshaped tensor
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor unsqueeze(int axis) {
        return ShapeOps.unsqueeze(this, axis);
    }

    /**
     * Removes an axis of size 1; an axis of another size leaves the tensor unchanged (as PyTorch's
     * {@code squeeze(dim)}, which does not fail).
     *
     * @param axis the axis; negative counts from the end (0 or -1 for a scalar, which is returned as is)
     * @return the squeezed tensor, or this tensor
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor squeeze(int axis) {
        return ShapeOps.squeeze(this, axis);
    }

    /**
     * Merges the axes from {@code startAxis} to the last into one ({@code flatten(1)} turns
     * {@code [n, c, h, w]} into {@code [n, c * h * w]}); a scalar becomes {@code [1]}.
     *
     * @param startAxis the first axis merged; negative counts from the end
     * @return the reshaped tensor
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor flatten(int startAxis) {
        return ShapeOps.flatten(this, startAxis);
    }

    /**
     * NumPy-like text: the values (summarised when large), the shape, and the autograd state.
     *
     * @return the text
     */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }

    String gradState() {
        if (node != null) {
            return "gradFn=" + node.op.name();
        }
        if (!requiresGrad) {
            return "";
        }
        AccumulatedGradient a = gradient;
        return "requiresGrad=true, grad=" + (a == null || !a.isSet() ? "none" : "set");
    }
}
