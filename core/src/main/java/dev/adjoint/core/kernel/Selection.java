package dev.adjoint.core.kernel;

/**
 * {@code where}: {@code c != 0 ? a : b} elementwise. A selection, exact in either dtype, so float32
 * arrays are selected as floats; runs of at least {@link MathKernel#MIN_LENGTH} go to the math
 * kernel's blends (a branch on a random condition mispredicts half the time), on several threads
 * for long ones.
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
        NDArray cc = c.contiguous();
        NDArray ac = a.contiguous();
        NDArray bc = b.contiguous();
        int n = cc.size;
        boolean math = n >= MathKernel.MIN_LENGTH;
        if (floats) {
            float[] r = Buffers.uninitializedFloats(n);
            if (math) {
                Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> KernelProvider.math().where(cc.floats, cc.offset + from,
                        ac.floats, ac.offset + from, bc.floats, bc.offset + from, r, from, to - from));
            } else {
                for (int i = 0; i < n; i++) {
                    r[i] = cc.floats[cc.offset + i] != 0 ? ac.floats[ac.offset + i] : bc.floats[bc.offset + i];
                }
            }
            return NDArray.wrapLike(r, cc);
        }
        double[] r = Buffers.uninitialized(n);
        if (math) {
            Parallel.forRange(n, FloatBlocks.BLOCK, (from, to) -> KernelProvider.math().where(cc.data, cc.offset + from,
                    ac.data, ac.offset + from, bc.data, bc.offset + from, r, from, to - from));
        } else {
            for (int i = 0; i < n; i++) {
                r[i] = cc.data[cc.offset + i] != 0 ? ac.data[ac.offset + i] : bc.data[bc.offset + i];
            }
        }
        return NDArray.wrapLike(r, cc);
    }
}
