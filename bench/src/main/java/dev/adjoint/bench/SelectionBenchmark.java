package dev.adjoint.bench;

import dev.adjoint.core.DType;
import dev.adjoint.core.MemoryScope;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Losses;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Selections and copies, in float64 and float32 ({@code -p dtype=float32}): an embedding
 * lookup of 2,048 rows from a [50000, 128] table ({@code lookup}) and the same with the table's
 * gradient ({@code lookupBackward}: the lookup's sum, backward, into the table); the target column
 * of [256, 1000] logits gathered ({@code gatherTargets}); two [256, 512] joined along the columns
 * ({@code concat}); and over [256, 1000], {@code where}, a comparison of two tensors ({@code gt})
 * and {@code clamp} to [-0.5, 0.5]. A float32 op should cost at most what its float64 twin does: it
 * moves half the bytes. Forward and backward, weighted and summed, in a {@link MemoryScope}: leaky relu
 * ({@code leakyReluGrad}), abs ({@code absGrad}), clamp ({@code clampGrad}), the elementwise
 * maximum of two tensors ({@code maximumGrad}) and {@code where} of two ({@code whereGrad}), whose
 * gradients are selections too. Reductions and
 * their gradients: each row's argmax ({@code argmaxRows}) and max ({@code maxRows}), each column's sum
 * ({@code sumColumns}), max's forward
 * and backward ({@code maxRowsGrad}), and the squared-difference loss against another tensor,
 * forward and backward ({@code squaredDifferenceGrad}), and nn's cross-entropy of [256, 1000] logits
 * against a class a row, forward and backward ({@code crossEntropyGrad}), and against those classes as
 * probability targets with label smoothing 0.1 ({@code crossEntropyTargetsGrad}). {@code maximumScoped} is the elementwise
 * maximum alone. The {@code ...Scoped} twins run in a {@link MemoryScope}, whose results take
 * arrays the previous call gave back: without the cost of memory no cache holds (PyTorch's caching
 * allocator's case).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SelectionBenchmark {
    /** The dtype of every tensor: float64 or float32. */
    @Param({"float64", "float32"})
    public String dtype;

    Tensor table;
    int[] rows;
    Tensor logits;
    Tensor targets;
    Tensor left;
    Tensor right;
    Tensor mask;
    Tensor a;
    Tensor b;
    Tensor x;
    Tensor y;
    int[] classes;
    /** The classes as probability targets with label smoothing 0.1: 0.9 + 0.1 / 1000 on a row's class, 0.1 / 1000 elsewhere. */
    Tensor smoothed;

    /** A random table, random rows to look up, logits, their target columns and the operands. */
    @Setup
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(11);
        DType d = "float32".equals(dtype) ? DType.FLOAT32 : DType.FLOAT64;
        table = Tensor.randn(d, rng, 50_000, 128).requiresGrad(true);
        rows = new int[2048];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = rng.nextInt(50_000);
        }
        logits = Tensor.randn(d, rng, 256, 1000);
        double[] t = new double[256];
        for (int i = 0; i < t.length; i++) {
            t[i] = rng.nextInt(1000);
        }
        targets = Tensor.of(t, 256, 1).to(d);
        classes = new int[256];
        double[] soft = new double[256 * 1000];
        java.util.Arrays.fill(soft, 0.1 / 1000);
        for (int i = 0; i < classes.length; i++) {
            classes[i] = (int) t[i];
            soft[i * 1000 + classes[i]] += 0.9;
        }
        smoothed = Tensor.of(soft, 256, 1000).to(d);
        left = Tensor.randn(d, rng, 256, 512);
        right = Tensor.randn(d, rng, 256, 512);
        mask = Tensor.randn(d, rng, 256, 1000).gt(0.0);
        a = Tensor.randn(d, rng, 256, 1000);
        b = Tensor.randn(d, rng, 256, 1000);
        x = Tensor.randn(d, rng, 256, 1000).requiresGrad(true);
        y = Tensor.randn(d, rng, 256, 1000).requiresGrad(true);
    }

    /** 2,048 rows of a [50000, 128] table, no gradient recorded. */
    @Benchmark
    public Tensor lookup() {
        return table.detach().indexSelect(0, rows);
    }

    /** The lookup, summed, and its backward pass: the table's gradient (dense, [50000, 128]). */
    @Benchmark
    public Tensor lookupBackward() {
        table.zeroGrad();
        table.indexSelect(0, rows).sum().backward();
        return table.grad();
    }

    /** logits.gather(1, targets): one value a row of [256, 1000]. */
    @Benchmark
    public Tensor gatherTargets() {
        return logits.gather(1, targets);
    }

    /** Two [256, 512] joined along the columns. */
    @Benchmark
    public Tensor concat() {
        return Tensor.concat(List.of(left, right), 1);
    }

    /** where(mask, a, b) over [256, 1000]. */
    @Benchmark
    public Tensor where() {
        return Tensor.where(mask, a, b);
    }

    /** a > b elementwise, as 1 or 0, over [256, 1000] of random signs. */
    @Benchmark
    public Tensor gt() {
        return a.gt(b);
    }

    /** a limited to [-0.5, 0.5] over [256, 1000]: most values straddle a bound. */
    @Benchmark
    public Tensor clamp() {
        return a.clamp(-0.5, 0.5);
    }

    /** {@link #lookup} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor lookupScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return table.detach().indexSelect(0, rows);
        }
    }

    /** {@link #concat} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor concatScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return Tensor.concat(List.of(left, right), 1);
        }
    }

    /** {@link #where} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor whereScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return Tensor.where(mask, a, b);
        }
    }

    /** {@link #gt} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor gtScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return a.gt(b);
        }
    }

    /** {@link #clamp} in a {@link MemoryScope}. */
    @Benchmark
    public Tensor clampScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return a.clamp(-0.5, 0.5);
        }
    }

    /** leakyRelu(x, 0.01) weighted by b, summed, backward, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor leakyReluGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.leakyRelu(0.01).mul(b).sum().backward();
        }
        return x.grad();
    }

    /** abs(x) weighted by b, summed, backward (the sign of x), in a {@link MemoryScope}. */
    @Benchmark
    public Tensor absGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.abs().mul(b).sum().backward();
        }
        return x.grad();
    }

    /** clamp(x, -0.5, 0.5) weighted by b, summed, backward (the inside mask), in a {@link MemoryScope}. */
    @Benchmark
    public Tensor clampGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.clamp(-0.5, 0.5).mul(b).sum().backward();
        }
        return x.grad();
    }

    /** maximum(x, y) weighted by b, summed, backward into both (each one's share), in a {@link MemoryScope}. */
    @Benchmark
    public Tensor maximumGrad() {
        x.zeroGrad();
        y.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.maximum(y).mul(b).sum().backward();
        }
        return x.grad();
    }

    /** where(mask, x, y) weighted by b, summed, backward into both (each selected against zero), in a {@link MemoryScope}. */
    @Benchmark
    public Tensor whereGrad() {
        x.zeroGrad();
        y.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor.where(mask, x, y).mul(b).sum().backward();
        }
        return x.grad();
    }

    /** maximum(a, b), forward only, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor maximumScoped() {
        try (MemoryScope scope = MemoryScope.open()) {
            return a.maximum(b);
        }
    }

    /** The predicted class of each of 256 rows of 1,000 logits (an accuracy count's argmax). */
    @Benchmark
    public Tensor argmaxRows() {
        return logits.argmax(1, false);
    }

    /** Each column's sum over the 256 rows of the logits ({@code sum(0)}: a batch's total per feature). */
    @Benchmark
    public Tensor sumColumns() {
        return logits.sum(0, false);
    }

    /** The largest of each row's 1,000 logits (and its position, for the backward). */
    @Benchmark
    public Tensor maxRows() {
        return logits.max(1, false);
    }

    /** The largest of each of x's rows, summed, backward (a one-hot gradient), in a {@link MemoryScope}. */
    @Benchmark
    public Tensor maxRowsGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.max(1, false).sum().backward();
        }
        return x.grad();
    }

    /** The squared-difference loss of x against a, backward, in a {@link MemoryScope}. */
    @Benchmark
    public Tensor squaredDifferenceGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            x.sumSquaredDifference(a).backward();
        }
        return x.grad();
    }

    /** nn's cross-entropy of x ([256, 1000] logits) against a class a row, and its backward; in a {@link MemoryScope}. */
    @Benchmark
    public Tensor crossEntropyGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            Losses.crossEntropy(x, classes).backward();
        }
        return x.grad();
    }

    /** The same against probability targets (the classes with label smoothing 0.1), forward and backward; in a {@link MemoryScope}. */
    @Benchmark
    public Tensor crossEntropyTargetsGrad() {
        x.zeroGrad();
        try (MemoryScope scope = MemoryScope.open()) {
            Losses.crossEntropy(x, smoothed).backward();
        }
        return x.grad();
    }
}
