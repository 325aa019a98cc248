package dev.adjoint.core.kernel;

/**
 * One operand of a matrix product as the kernels see it: a row-major buffer, where the logical
 * matrix starts, the distance between stored rows, and whether the stored matrix is the transpose
 * of the logical one.
 *
 * <p>Element {@code (r, c)} of the logical matrix is {@code data[offset + r * stride + c]}, or
 * {@code data[offset + c * stride + r]} when {@code transposed}.
 */
record Operand(double[] data, int offset, int stride, boolean transposed) {

    /** How far apart in {@code data} the logical matrix's rows are: element (r, c) is at offset + r rowStep() + c columnStep(). */
    int rowStep() {
        return transposed ? 1 : stride;
    }

    /** How far apart in {@code data} the logical matrix's columns are. */
    int columnStep() {
        return transposed ? stride : 1;
    }

    /** The logical matrix from row {@code r} on: the same buffer, a later start. */
    Operand fromRow(int r) {
        return new Operand(data, offset + (transposed ? r : r * stride), stride, transposed);
    }

    /** The logical matrix from column {@code c} on: the same buffer, a later start. */
    Operand fromColumn(int c) {
        return new Operand(data, offset + (transposed ? c * stride : c), stride, transposed);
    }
}
