package dev.adjoint.core.kernel;

/**
 * {@code where}: {@code c != 0 ? a : b} elementwise. A selection, exact in either dtype, so float32
 * arrays are selected as floats; runs of at least {@link MathKernel#MIN_LENGTH} go to the math
 * kernel's blends (a branch on a random condition mispredicts half the time), on several threads
 * for long ones, and shorter ones to the plain-Java kernel ({@link KernelProvider#exactFor}).
 */
public final class Selection {
    private Selection() {
    }

    /**
     * {@code c != 0 ? a : b} elementwise (NaN counts as true) for three arrays of the same shape
     * (any of them may be a strided or broadcast view); the result is contiguous, in the operands'
     * dtype (float32 when any is).
     *
     * @param c the condition
     * @param a the values where it holds
     * @param b the values where it does not
     * @return a new contiguous array of c's shape
     */
    public static NDArray where(NDArray c, NDArray a, NDArray b) {
        boolean floats = c.floats != null && a.floats != null && b.floats != null;
        if (!floats && (c.floats != null || a.floats != null || b.floats != null)) {
            return where(c.toFloat64(), a.toFloat64(), b.toFloat64()).toFloat32();
        }
        // broadcast operands (where's backward selects against a scalar zero) copied into the pool
        NDArray cc = c.contiguousOperand();
        NDArray ac = a.contiguousOperand();
        NDArray bc = b.contiguousOperand();
        int n = cc.size;
        // the kernel by the whole length, as the other elementwise ops pick it
        MathKernel k = KernelProvider.exactFor(n);
        if (floats) {
            float[] r = Buffers.uninitializedFloats(n);
            Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> k.where(cc.floats, cc.offset + from, ac.floats, ac.offset + from,
                    bc.floats, bc.offset + from, r, from, to - from));
            return NDArray.wrapLike(r, cc);
        }
        double[] r = Buffers.uninitialized(n);
        Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> k.where(cc.data, cc.offset + from, ac.data, ac.offset + from,
                bc.data, bc.offset + from, r, from, to - from));
        return NDArray.wrapLike(r, cc);
    }
}
