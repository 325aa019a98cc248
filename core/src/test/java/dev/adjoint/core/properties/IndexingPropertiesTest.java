package dev.adjoint.core.properties;

import static dev.adjoint.core.properties.OpGradientPropertiesTest.assertGradients;
import static dev.adjoint.core.properties.OpGradientPropertiesTest.bend;

import dev.adjoint.core.Tensor;
import dev.adjoint.core.properties.TensorArbitraries.Domain;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Indexing and shape ops, first and second order through GradCheck: indexSelect (with repeated
 * positions), gather, scatterAdd (in both differentiable inputs), permute, unsqueeze, squeeze,
 * flatten and stack. They are linear, so each is followed by {@code bend} (and weighted by distinct
 * factors where an element routed to the wrong place would otherwise go unseen).
 */
class IndexingPropertiesTest {

    /** Distinct weights of a shape: an element moved to the wrong place changes the value. */
    private static Tensor weights(int[] shape) {
        int n = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        return Tensor.of(IntStream.range(0, n).mapToDouble(i -> 0.5 + i).toArray(), shape);
    }

    private static int positive(int axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    @Property
    @Covers("indexSelect(int,int[])")
    void indexSelect(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        int size = c.x().shape()[positive(c.axis(), c.x().rank())];
        SplittableRandom rng = new SplittableRandom(seed);
        // repeats are likely: up to five draws from at most three positions
        int[] indices = IntStream.range(0, 1 + rng.nextInt(5)).map(i -> rng.nextInt(size)).toArray();
        assertGradients(in -> bend(in.get(0).indexSelect(c.axis(), indices)), c.x());
    }

    /** An index of x's rank, no larger than x except along the axis, with positions in range. */
    private static Tensor index(int[] shape, int axis, int size, SplittableRandom rng) {
        int[] s = shape.clone();
        for (int d = 0; d < s.length; d++) {
            s[d] = d == axis ? 1 + rng.nextInt(4) : 1 + rng.nextInt(s[d]);
        }
        int n = java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b);
        return Tensor.of(IntStream.range(0, n).mapToDouble(i -> rng.nextInt(size)).toArray(), s);
    }

    @Property
    @Covers("gather(int,Tensor)")
    void gather(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        int[] shape = c.x().shape();
        int a = positive(c.axis(), shape.length);
        Tensor index = index(shape, a, shape[a], new SplittableRandom(seed));
        Tensor w = weights(index.shape());
        assertGradients(in -> bend(in.get(0).gather(c.axis(), index).mul(w)), c.x());
    }

    @Property
    @Covers("scatterAdd(int,Tensor,Tensor)")
    void scatterAdd(@ForAll("axisCases") AxisCase c, @ForAll("seeds") long seed) {
        int[] shape = c.x().shape();
        int a = positive(c.axis(), shape.length);
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor index = index(shape, a, shape[a], rng);
        // a source at least as large as the index; only its leading block is read
        int[] sourceShape = index.shape();
        for (int d = 0; d < sourceShape.length; d++) {
            sourceShape[d] += rng.nextInt(2);
        }
        Tensor source = Tensor.randn(rng, sourceShape).requiresGrad(true);
        Tensor w = weights(shape);
        assertGradients(in -> bend(in.get(0).scatterAdd(c.axis(), index, in.get(1)).mul(w)), c.x(), source);
    }

    @Property
    @Covers("permute(int[])")
    void permute(@ForAll("any") Tensor x, @ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Integer> order = new ArrayList<>(IntStream.range(0, x.rank()).boxed().toList());
        java.util.Collections.shuffle(order, new java.util.Random(seed));
        // some axes negative
        int[] axes = order.stream().mapToInt(i -> rng.nextBoolean() ? i - x.rank() : i).toArray();
        int[] shape = x.shape();
        int[] permuted = order.stream().mapToInt(i -> shape[i]).toArray();
        Tensor w = weights(permuted);
        assertGradients(in -> bend(in.get(0).permute(axes).mul(w)), x);
    }

    @Property
    @Covers({"unsqueeze(int)", "squeeze(int)", "flatten(int)"})
    void reshapes(@ForAll("any") Tensor x, @ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int r = x.rank();
        int at = rng.nextInt(2 * r + 2) - (r + 1);
        assertGradients(in -> bend(in.get(0).unsqueeze(at)), x);
        int axis = r == 0 ? -rng.nextInt(2) : rng.nextInt(2 * r) - r;
        // an axis of size 1 goes, another stays
        assertGradients(in -> bend(in.get(0).squeeze(axis)), x);
        assertGradients(in -> bend(in.get(0).unsqueeze(at).squeeze(at)), x);
        assertGradients(in -> bend(in.get(0).flatten(axis)), x);
    }

    @Property
    @Covers("stack(List,int)")
    void stack(@ForAll("any") Tensor x, @ForAll("seeds") long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor y = Tensor.randn(rng, x.shape()).requiresGrad(true);
        int r = x.rank();
        int axis = rng.nextInt(2 * r + 2) - (r + 1);
        assertGradients(in -> bend(Tensor.stack(List.of(in.get(0), in.get(1), in.get(0)), axis)), x, y);
    }

    // ---------------------------------------------------------------- generators


    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(0, 3, Domain.ANY);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Provide
    Arbitrary<AxisCase> axisCases() {
        return AxisCase.arbitrary();
    }
}
