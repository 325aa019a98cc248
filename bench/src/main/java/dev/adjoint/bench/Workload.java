package dev.adjoint.bench;

import java.util.Arrays;

/**
 * The matrix products measured against PyTorch/numpy, by name. {@code bench/pytorch_workloads.py}
 * holds the same table; the names are the contract between the two.
 *
 * <p>The MLP ones are the products of one training step of a 784-512-10 perceptron on a batch of
 * 256: forward {@code h = x W}, and backward {@code gx = g W^T} (B transposed) and
 * {@code gW = x^T g} (A transposed).
 */
public enum Workload {
    /** 1024 x 1024 times 1024 x 1024. */
    MATMUL_1024("matmul_1024", 1024, 1024, 1024, false, false),
    /** First layer forward: [256, 784] x [784, 512]. */
    MLP1_FORWARD("mlp1_forward", 256, 512, 784, false, false),
    /** First layer, gradient of the input: [256, 512] x [784, 512]^T. */
    MLP1_GRAD_INPUT("mlp1_grad_input", 256, 784, 512, false, true),
    /** First layer, gradient of the weight: [256, 784]^T x [256, 512]. */
    MLP1_GRAD_WEIGHT("mlp1_grad_weight", 784, 512, 256, true, false),
    /** Second layer forward: [256, 512] x [512, 10]. */
    MLP2_FORWARD("mlp2_forward", 256, 10, 512, false, false),
    /** Second layer, gradient of the input: [256, 10] x [512, 10]^T. */
    MLP2_GRAD_INPUT("mlp2_grad_input", 256, 512, 10, false, true),
    /** Second layer, gradient of the weight: [256, 512]^T x [256, 10]. */
    MLP2_GRAD_WEIGHT("mlp2_grad_weight", 512, 10, 256, true, false);

    /** The name shared with the Python side. */
    public final String id;
    /** Rows of the product. */
    public final int m;
    /** Columns of the product. */
    public final int n;
    /** The shared (summed) dimension. */
    public final int k;
    /** Whether A is stored k x m. */
    public final boolean transA;
    /** Whether B is stored n x k. */
    public final boolean transB;

    Workload(String id, int m, int n, int k, boolean transA, boolean transB) {
        this.id = id;
        this.m = m;
        this.n = n;
        this.k = k;
        this.transA = transA;
        this.transB = transB;
    }

    /** Floating-point operations of one product: a multiply and an add per term. */
    public double flops() {
        return 2.0 * m * n * k;
    }

    /** The workload with this {@link #id}. */
    public static Workload byId(String id) {
        return Arrays.stream(values()).filter(w -> w.id.equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown workload '" + id + "'; known: "
                        + Arrays.toString(Arrays.stream(values()).map(w -> w.id).toArray())));
    }
}
