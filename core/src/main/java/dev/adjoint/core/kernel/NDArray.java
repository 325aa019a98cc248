package dev.adjoint.core.kernel;

import java.util.Arrays;

/**
 * An n-dimensional array of doubles: the value half of a tensor, with no autograd.
 *
 * <p>Row-major with explicit strides, so that transposes and broadcasts ({@link #expand}) are
 * views that share their base's buffer instead of copies. Arrays are immutable through this API;
 * the only mutations are {@link #modify} and the in-place helpers below, which bump the version
 * shared by the buffer and all its views, so that a backward pass can tell a saved value was
 * changed under it.
 *
 * <p>The version is a sequence lock's counter: odd while an update is in progress, even (and
 * larger) after it. A reader that sees the same even version before and after its plain reads of
 * the buffer (with an acquire fence before the second read) read an untorn buffer: the writer
 * makes the version odd before its first write to the buffer and even again, with release
 * ordering, after its last. It is a {@code long}: at two steps per update it wraps after 2^62
 * updates (centuries at a nanosecond each), so two different states never share a version.
 */
public final class NDArray {
    /** The float64 buffer; null for a float32 array. */
    final double[] data;
    /** The float32 buffer; null for a float64 array. Exactly one of the two buffers is set. */
    final float[] floats;
    final int[] shape;
    final int[] strides;
    final int offset;
    final int size;
    /** Whether the elements sit at consecutive positions from {@code offset} in row-major order. */
    private final boolean contiguous;
    /** The array that owns the buffer (itself, or the base of a view): it holds the version. */
    private final NDArray owner;
    /**
     * On the owner: the lease under which a region lent the buffer, once a tensor over it looked it
     * up on the lending thread; views on any thread read it here ({@link Buffers#leaseOf}). Written
     * once, before the tensor that found it can reach another thread.
     */
    Buffers.Lease lease;
    /**
     * Odd while an update is in progress. Read as a volatile (acquire ordering, a plain load on
     * x86). An update enters by compare-and-set from even to odd (which is how a second, concurrent
     * update is refused, and which orders the odd value before the update's writes) and leaves with
     * a release store of the next even value (which orders the writes before it), so a thread that
     * sees the new version also sees the update behind it. The read is a field read, not
     * {@code VERSION.getAcquire}: every recorded op reads versions, and the JIT does not always
     * inline the VarHandle call.
     */
    private volatile long version;

    private static final java.lang.invoke.VarHandle VERSION;

    static {
        try {
            VERSION = java.lang.invoke.MethodHandles.lookup().findVarHandle(NDArray.class, "version", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A view of {@code base}'s buffer (either dtype). */
    private NDArray(NDArray base, int[] shape, int[] strides, int offset) {
        this(base, shape, strides, offset, Shapes.size(shape));
    }

    private NDArray(NDArray base, int[] shape, int[] strides, int offset, int size) {
        this(base.data, base.floats, shape, strides, offset, size, base.owner, computeContiguous(shape, strides));
    }

    private NDArray(double[] data, float[] floats, int[] shape, int[] strides, int offset, int size, NDArray owner,
            boolean contiguous) {
        this.data = data;
        this.floats = floats;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.size = size;
        this.owner = owner == null ? this : owner;
        this.contiguous = contiguous;
    }

    private static boolean computeContiguous(int[] shape, int[] strides) {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** A contiguous array over {@code data}, which it takes ownership of (no copy). */
    static NDArray wrap(double[] data, int[] shape) {
        return new NDArray(data, null, shape, Shapes.contiguousStrides(shape), 0, data.length, null, true);
    }

    /** A contiguous float32 array over {@code data}, which it takes ownership of (no copy). */
    static NDArray wrap(float[] data, int[] shape) {
        return new NDArray(null, data, shape, Shapes.contiguousStrides(shape), 0, data.length, null, true);
    }

    /**
     * A contiguous array over {@code data} with the shape of {@code like}, sharing its (immutable)
     * shape and, when {@code like} is contiguous, its strides: kernels allocate only the data.
     */
    static NDArray wrapLike(double[] data, NDArray like) {
        // Any contiguous layout's strides address a fresh contiguous buffer correctly (strides of
        // size-1 axes are never used to move).
        int[] st = like.contiguous ? like.strides : Shapes.contiguousStrides(like.shape);
        return new NDArray(data, null, like.shape, st, 0, data.length, null, true);
    }

    /** As {@link #wrapLike(double[], NDArray)}, for a float32 buffer. */
    static NDArray wrapLike(float[] data, NDArray like) {
        int[] st = like.contiguous ? like.strides : Shapes.contiguousStrides(like.shape);
        return new NDArray(null, data, like.shape, st, 0, data.length, null, true);
    }

    /**
     * A contiguous array of {@code like}'s shape (shared, not copied) filled with {@code value}.
     *
     * @param value the fill (rounded to float for a float32 {@code like})
     * @param like the array whose shape and dtype to take
     * @return the new array
     */
    public static NDArray fullLike(double value, NDArray like) {
        if (like.floats != null) {
            float[] f = new float[like.size];
            if (value != 0.0) {
                Arrays.fill(f, (float) value);
            }
            return wrapLike(f, like);
        }
        double[] d = new double[like.size];
        if (value != 0.0) {
            Arrays.fill(d, value);
        }
        return wrapLike(d, like);
    }

    /** A contiguous array holding a copy of {@code data}. */
    public static NDArray of(double[] data, int[] shape) {
        return wrap(data.clone(), shape.clone());
    }

    /**
     * A contiguous {@code [rows.length, width]} array of the given rows of a row-major table, in
     * that order, copied once (the caller checks the rows and the size).
     */
    public static NDArray ofRows(double[] data, int width, int[] rows) {
        double[] r = new double[rows.length * width];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(data, rows[k] * width, r, k * width, width);
        }
        return wrap(r, new int[] {rows.length, width});
    }

    /** As {@link #ofRows(double[], int, int[])}, float32. */
    public static NDArray ofRows(float[] data, int width, int[] rows) {
        float[] r = new float[rows.length * width];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(data, rows[k] * width, r, k * width, width);
        }
        return wrap(r, new int[] {rows.length, width});
    }

    /** A contiguous array filled with {@code value}. */
    public static NDArray full(double value, int[] shape) {
        double[] d = new double[Shapes.size(shape)];
        if (value != 0.0) {
            Arrays.fill(d, value);
        }
        return wrap(d, shape.clone());
    }

    /**
     * A contiguous array whose elements, in row-major order, are successive values of
     * {@code source}: the one copy of generated data (random samples).
     *
     * @param source called once per element
     * @param shape the dimensions (checked by the caller)
     * @return the new array
     */
    public static NDArray generate(java.util.function.DoubleSupplier source, int[] shape) {
        double[] d = new double[Shapes.size(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = source.getAsDouble();
        }
        return wrap(d, shape.clone());
    }

    /** A rank-0 array. */
    public static NDArray scalar(double value) {
        return wrap(new double[] {value}, Shapes.NONE);
    }

    /** A contiguous float32 array holding a copy of {@code data}. */
    public static NDArray of(float[] data, int[] shape) {
        return wrap(data.clone(), shape.clone());
    }

    /**
     * A rank-0 array of {@code like}'s dtype: how a Java constant meets a tensor.
     *
     * @param value the value (rounded to float for a float32 {@code like})
     * @param like the array whose dtype to take
     * @return the new array
     */
    public static NDArray scalarLike(double value, NDArray like) {
        return like.floats != null ? wrap(new float[] {(float) value}, Shapes.NONE) : scalar(value);
    }

    /** Whether the elements are float32 (else float64). @return true for float32 */
    public boolean isFloat32() {
        return floats != null;
    }

    /**
     * This array as float64: itself if it is, else a contiguous widened copy (exact).
     *
     * @return a float64 array of the same shape
     */
    public NDArray toFloat64() {
        return floats == null ? this : wrap(toArray(), shape.clone());
    }

    /**
     * This array as float32: itself if it is, else a contiguous copy rounded to nearest.
     *
     * @return a float32 array of the same shape
     */
    public NDArray toFloat32() {
        return floats != null ? this : wrap(toFloatArray(), shape.clone());
    }

    /** The elements in row-major order rounded to float (exact for float32), as a new array. */
    public float[] toFloatArray() {
        float[] out = new float[size];
        copyTo(out);
        return out;
    }

    /** Copies the elements in row-major order into {@code dst[0..size)}, rounded to float (exact for float32). */
    public void copyTo(float[] dst) {
        if (floats != null && isContiguous() && size >= Parallel.MIN_PARALLEL) {
            float[] f = floats;
            int o = offset;
            Parallel.forRange(size, Parallel.GRAIN, (from, to) -> System.arraycopy(f, o + from, dst, from, to - from));
        } else if (floats != null && isContiguous()) {
            System.arraycopy(floats, offset, dst, 0, size);
        } else if (data != null && isContiguous()) {
            narrow(data, offset, dst, 0, size);
        } else {
            Strided.of(this).copy(0, size, dst, 0);
        }
    }

    /** Below this length a plain loop converts: the vector kernel is not worth the call. */
    private static final int VECTOR_CONVERSION = 64;

    /** {@code r[ro + i] = a[ao + i]} widened exactly, on the vector kernel for long runs (ranges checked by the caller). */
    public static void widen(float[] a, int ao, double[] r, int ro, int n) {
        if (n >= VECTOR_CONVERSION) {
            KernelProvider.math().widen(a, ao, r, ro, n);
        } else {
            for (int i = 0; i < n; i++) {
                r[ro + i] = a[ao + i];
            }
        }
    }

    /** {@code r[ro + i] = (float) a[ao + i]}, rounded to nearest, on the vector kernel for long runs (ranges checked by the caller). */
    public static void narrow(double[] a, int ao, float[] r, int ro, int n) {
        if (n >= VECTOR_CONVERSION) {
            KernelProvider.math().narrow(a, ao, r, ro, n);
        } else {
            for (int i = 0; i < n; i++) {
                r[ro + i] = (float) a[ao + i];
            }
        }
    }

    /** The shape; a copy. */
    public int[] shape() {
        return shape.clone();
    }

    /** The shape without copying: callers must not modify it. */
    public int[] shapeView() {
        return shape;
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return size;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    /**
     * The sequence number of the underlying buffer: odd while an update is in progress, and two
     * more after each update. An acquire read: the caller's later reads of the buffer see at least
     * the updates this number counts.
     *
     * @return the sequence number
     */
    public long version() {
        return owner.version;
    }

    /** The array that owns the buffer: itself, or the base of a view. */
    NDArray owner() {
        return owner;
    }

    /** The buffer behind this array and its views: the double[] or the float[]. @return the buffer, shared */
    public Object buffer() {
        return data != null ? data : floats;
    }

    /** Whether the elements sit at consecutive positions from {@code offset} in row-major order. */
    public boolean isContiguous() {
        return contiguous;
    }

    /** This array if contiguous, else a contiguous copy. */
    public NDArray contiguous() {
        if (isContiguous()) {
            return this;
        }
        return floats != null ? wrap(toFloatArray(), shape.clone()) : wrap(toArray(), shape.clone());
    }

    /**
     * This array if contiguous, else a contiguous copy in an array from {@link Buffers}: for an
     * operand that a kernel reads and then drops (a gradient broadcast from a sum, a scalar
     * broadcast to a selection's shape), so that the copy is memory a cache holds. Not for a copy
     * that outlives the op; never the array a backward pass offered for the op's result
     * ({@link Buffers#temporary}).
     */
    NDArray contiguousOperand() {
        if (isContiguous()) {
            return this;
        }
        if (floats != null) {
            float[] f = Buffers.temporaryFloats(size);
            copyTo(f);
            return wrap(f, shape.clone());
        }
        double[] d = Buffers.temporary(size);
        copyTo(d);
        return wrap(d, shape.clone());
    }

    /** The element at a full index (bounds already checked by the caller). */
    public double get(int[] index) {
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            p += index[i] * strides[i];
        }
        return floats != null ? floats[p] : data[p];
    }

    /** The single element of a size-1 array. */
    public double item() {
        return floats != null ? floats[offset] : data[offset];
    }

    /** The elements in row-major order, as a new array. */
    public double[] toArray() {
        double[] out = new double[size];
        copyTo(out);
        return out;
    }

    /** Copies the elements in row-major order into {@code dst[0..size)}. */
    public void copyTo(double[] dst) {
        if (!isContiguous()) {
            Strided.of(this).copy(0, size, dst, 0);
        } else if (floats != null) {
            widen(floats, offset, dst, 0, size);
        } else if (size >= Parallel.MIN_PARALLEL) {
            double[] d = data;
            int o = offset;
            Parallel.forRange(size, Parallel.GRAIN, (from, to) -> System.arraycopy(d, o + from, dst, from, to - from));
        } else {
            System.arraycopy(data, offset, dst, 0, size);
        }
    }

    /** A view with a new shape of the same size; copies only if this array is not contiguous. */
    public NDArray reshape(int[] newShape) {
        NDArray c = contiguous();
        return new NDArray(c, newShape.clone(), Shapes.contiguousStrides(newShape), c.offset, c.size);
    }

    /** A view that swaps two axes. */
    public NDArray swapAxes(int a, int b) {
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new NDArray(this, s, st, offset, size);
    }

    /**
     * A view whose axis {@code i} is this array's axis {@code axes[i]} (a permutation, checked by
     * the caller).
     *
     * @param axes a permutation of 0 to rank - 1
     * @return the view, sharing this array's buffer
     */
    public NDArray permute(int[] axes) {
        int[] s = new int[axes.length];
        int[] st = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            s[i] = shape[axes[i]];
            st[i] = strides[axes[i]];
        }
        return new NDArray(this, s, st, offset, size);
    }

    /**
     * A view of positions [start, start + length) along {@code axis} (checked by the caller).
     *
     * @param axis the axis, non-negative
     * @param start the first position
     * @param length how many positions
     * @return the view, sharing this array's buffer
     */
    public NDArray narrow(int axis, int start, int length) {
        int[] s = shape.clone();
        s[axis] = length;
        return new NDArray(this, s, strides, offset + start * strides[axis]);
    }

    /**
     * A broadcast view with stride 0 along expanded axes. {@code target} must be broadcast-compatible
     * with this shape and at least as long (checked by the caller); it is not copied.
     */
    public NDArray expand(int[] target) {
        int lead = target.length - shape.length;
        int[] st = new int[target.length];
        for (int i = 0; i < shape.length; i++) {
            st[lead + i] = shape[i] == target[lead + i] ? strides[i] : 0;
        }
        return new NDArray(this, target, st, offset);
    }

    /**
     * Overwrites the elements in place: {@code update} receives the buffer (row-major, exactly
     * {@code size} long). The version is odd while {@code update} runs and two more than before
     * once it returns or throws. Only for a contiguous array that owns its whole buffer.
     *
     * @param update code that overwrites the buffer
     * @throws IllegalStateException if the array is a view, or an update of its buffer is already in
     *     progress (on another thread, or this update's own code modifying it again)
     */
    public void modify(java.util.function.Consumer<double[]> update) {
        long v = beginUpdate();
        try {
            if (floats == null) {
                update.accept(data);
            } else {
                double[] wide = toArray();
                update.accept(wide);
                narrow(wide, 0, floats, 0, size);
            }
        } finally {
            VERSION.setRelease(owner, v + 2);
        }
    }

    private int bufferLength() {
        return floats != null ? floats.length : data.length;
    }

    /**
     * Starts this array's version past {@code previous}'s: for a fresh array that replaces another
     * as a tensor's value, so that versions recorded against the old one never match the new one.
     *
     * @param previous the array replaced
     */
    public void continueVersionFrom(NDArray previous) {
        long v = previous.version();
        VERSION.setRelease(owner, (v | 1) + 1);
    }

    /** A contiguous copy that owns its buffer. @return the copy */
    public NDArray copy() {
        return floats != null ? wrap(toFloatArray(), shape.clone()) : wrap(toArray(), shape.clone());
    }

    /** Overwrites this array with {@code other} (same shape and dtype) in place, bumping the version. */
    public void copyFrom(NDArray other) {
        if (offset != 0 || bufferLength() != size || !isContiguous()) {
            throw new IllegalStateException("copyFrom: target must own a contiguous buffer");
        }
        sameDtype("copyFrom", other);
        other = unaliased(other);
        long v = beginWrite("copyFrom");
        if (floats != null) {
            other.copyTo(floats);
        } else {
            other.copyTo(data);
        }
        endWrite(v);
    }

    /** Adds {@code other} (same shape and dtype) into this array in place, bumping the version. */
    public void addInPlace(NDArray other) {
        if (offset != 0 || bufferLength() != size || !isContiguous()) {
            throw new IllegalStateException("addInPlace: target must own a contiguous buffer");
        }
        sameDtype("addInPlace", other);
        other = unaliased(other);
        long v = beginWrite("addInPlace");
        if (floats != null && other.isContiguous()) {
            // in place on the math kernel (r is a at the same offset): one float addition per element
            KernelProvider.math().arithmetic(Elementwise.Binary.ADD, floats, 0, other.floats, other.offset, 1, floats, 0, size);
        } else if (floats != null) {
            Strided.of(other).addTo(floats);
        } else if (other.isContiguous() && size >= MathKernel.MIN_LENGTH) {
            KernelProvider.math().addTo(other.data, other.offset, data, 0, size);
        } else if (other.isContiguous()) {
            double[] o = other.data;
            int off = other.offset;
            for (int i = 0; i < size; i++) {
                data[i] += o[off + i];
            }
        } else {
            Strided.of(other).addTo(data);
        }
        endWrite(v);
    }

    /** Refuses {@code other} of the other dtype: a gradient is never silently converted. */
    private void sameDtype(String what, NDArray other) {
        if (other.isFloat32() != isFloat32()) {
            throw new IllegalArgumentException(what + ": cannot write a " + (other.isFloat32() ? "float32" : "float64") + " array into a "
                    + (isFloat32() ? "float32" : "float64") + " one");
        }
    }

    /**
     * {@code other}, or a copy of it where it is a view of this array's own buffer: the strided
     * readers write as they read, on several threads.
     */
    private NDArray unaliased(NDArray other) {
        boolean shared = data != null ? other.data == data : other.floats == floats;
        return shared && !other.isContiguous() ? other.copy() : other;
    }

    /**
     * Makes the version odd before an internal in-place write and returns the even value it had.
     * These writers (gradient accumulation) run under the lock of the gradient state that owns the
     * buffer ({@code AccumulatedGradient}), so they skip {@link #modify}'s compare-and-set (a
     * {@code modify} already in progress is still refused, though not atomically): an opaque store
     * and a release fence (no instruction on x86) keep the odd value ahead of the writes.
     */
    private long beginWrite(String what) {
        long v = owner.version;
        if ((v & 1) != 0) {
            throw new IllegalStateException(what + ": the array of shape " + Arrays.toString(shape)
                    + " is being modified in place by another thread");
        }
        VERSION.setOpaque(owner, v + 1);
        java.lang.invoke.VarHandle.releaseFence();
        return v;
    }

    private void endWrite(long v) {
        VERSION.setRelease(owner, v + 2);
    }

    /**
     * Whether this array is the whole of {@code other}'s buffer in order (the same buffer, from
     * offset 0, contiguous, every element): then copying this array into {@code other} changes
     * nothing.
     *
     * @param other an array that owns its buffer
     * @return the flag
     */
    public boolean isWholeBufferOf(NDArray other) {
        return buffer() == other.buffer() && offset == 0 && isContiguous() && size == bufferLength();
    }

    /**
     * Bumps the version as an internal in-place write does, for a write that already happened in
     * place (a gradient computed straight into the buffer that keeps it).
     */
    public void markWritten() {
        endWrite(beginWrite("markWritten"));
    }

    /**
     * Starts an exclusive write of the whole buffer that lasts until {@link #endExclusiveWrite(boolean)}:
     * makes the version odd by compare-and-set, so that in-place updates refuse to run meanwhile and
     * ops refuse to read it. A backward pass takes it on a leaf's zeroed gradient buffer before an
     * op writes that gradient straight into it.
     *
     * @return false, changing nothing, if another write is in progress
     */
    public boolean beginExclusiveWrite() {
        long v = owner.version;
        return (v & 1) == 0 && VERSION.compareAndSet(owner, v, v + 1);
    }

    /**
     * Ends what {@link #beginExclusiveWrite()} started.
     *
     * @param written whether the buffer was written meanwhile: the version then ends two more than
     *     before; otherwise it is restored, so that readers of the old version see no change
     */
    public void endExclusiveWrite(boolean written) {
        long odd = owner.version;
        VERSION.setRelease(owner, written ? odd + 1 : odd - 1);
    }

    /** Sets every element to zero in place, bumping the version. */
    public void fillZero() {
        if (floats != null) {
            long v = beginWrite("fillZero");
            Arrays.fill(floats, 0f);
            endWrite(v);
        } else {
            modify(d -> Arrays.fill(d, 0.0));
        }
    }

    /**
     * Enters an in-place update of the whole buffer: checks that this array owns it contiguously and
     * makes the version odd by compare-and-set (which refuses a second, concurrent update).
     *
     * @return the even version before the update; the caller stores it plus 2 when done
     */
    private long beginUpdate() {
        if (offset != 0 || bufferLength() != size || !isContiguous()) {
            throw new IllegalStateException("modify: only a contiguous tensor that owns its buffer can be modified in place; shape "
                    + Arrays.toString(shape));
        }
        long v = owner.version;
        if ((v & 1) != 0 || !VERSION.compareAndSet(owner, v, v + 1)) {
            throw new IllegalStateException("modify: the tensor of shape " + Arrays.toString(shape)
                    + " is already being modified in place (by another thread, or by the update itself); concurrent in-place"
                    + " updates of one tensor are refused, not interleaved");
        }
        return v;
    }

    /**
     * Overwrites the float32 elements in place, as {@link #modify} does for float64: the native
     * path for optimizers that keep float32 parameters.
     *
     * @param update code that overwrites the buffer
     * @throws IllegalStateException as {@link #modify}, or if this array is float64
     */
    public void modifyFloats(java.util.function.Consumer<float[]> update) {
        if (floats == null) {
            throw new IllegalStateException("modifyFloats: the array of shape " + Arrays.toString(shape) + " is float64");
        }
        long v = beginUpdate();
        try {
            update.accept(floats);
        } finally {
            VERSION.setRelease(owner, v + 2);
        }
    }
}
