package dev.adjoint.core;

/**
 * A differentiable operation: a forward computation plus its vector-Jacobian product. This page is
 * the whole op contract; Adjoint's built-in ops implement this same interface and keep the same
 * contract, and the engine treats every op alike.
 *
 * <ol>
 *   <li><b>Forward.</b> {@link #forward} computes the output from the inputs, with recording
 *       switched off. It must not modify its inputs. It may save tensors (inputs, the output,
 *       anything else) in the {@link Context} for the backward pass; a saved tensor that is later
 *       modified in place makes {@link Context#saved} throw instead of giving a stale value.</li>
 *   <li><b>Backward.</b> {@link #backward} receives the gradient of the loss with respect to the
 *       output, of the output's shape, and returns an array with exactly one entry per input:
 *       that input's gradient, of exactly the input's shape, or {@code null} for none
 *       ({@link Context#needsInputGrad} says which are wanted). The engine checks the count and
 *       every shape and throws {@link IllegalStateException} naming the op otherwise.</li>
 *   <li><b>Differentiable backward.</b> Write the backward with tensor operations: then it is
 *       itself differentiable, and second-order gradients ({@link Autograd#grad} with
 *       {@code createGraph}) work through the op for free. With {@code createGraph} off the same
 *       formulas run unrecorded, as plain array code.</li>
 *   <li><b>Reentrant and shareable.</b> A backward may start backward passes of its own (through
 *       {@link Autograd#grad}, under {@link Autograd#enableGrad()}), and several threads may run
 *       backward through the same recorded op at once: keep the op free of mutable state, or
 *       guard it.</li>
 *   <li><b>The buffer promise</b> (optional). An op whose {@link #retainsGradients()} returns
 *       {@code false} promises that its backward keeps no reference, after it returns, to the
 *       gradient it was given or to anything it computed, and its forward none to its output or
 *       to anything else it computed (beyond the {@link Context}); a plain
 *       {@link Tensor#backward()} whose every op keeps that promise reuses the memory of its
 *       intermediate gradients, and a {@link RecordedStep} that of its values too. One whose
 *       {@link #readsOnlyItsArguments()} also returns {@code true} may compute a leaf's gradient
 *       straight into the buffer {@link Tensor#zeroGrad()} kept.</li>
 *   <li><b>Tangent rule</b> (optional). {@link #jvp} gives the output's tangent (the
 *       Jacobian-vector product {@code J t}) from the inputs' tangents, for forward mode
 *       ({@link Autograd#jvp}, {@link Autograd#jacobian}, {@link Autograd#hessian}). Without one
 *       an op still works in forward mode, through two reverse passes per direction.</li>
 * </ol>
 *
 * <pre>{@code
 * CustomOp softsign = new CustomOp() {
 *     public Tensor forward(Context ctx, Tensor... in) {
 *         ctx.save(in[0]);
 *         return in[0].div(in[0].abs().add(1));
 *     }
 *     public Tensor[] backward(Context ctx, Tensor gradOutput) {
 *         Tensor x = ctx.saved(0);
 *         // d/dx x / (1 + |x|) = 1 / (1 + |x|)^2
 *         return new Tensor[] {gradOutput.div(x.abs().add(1).pow(2))};
 *     }
 *     public boolean retainsGradients() {
 *         return false;
 *     }
 * };
 * Tensor y = softsign.apply(x);
 * }</pre>
 */
public interface CustomOp {

    /**
     * Computes the output from the inputs. Runs unrecorded; save what {@link #backward} needs.
     *
     * @param ctx where to save tensors for the backward pass
     * @param inputs the inputs, as passed to {@link #apply}
     * @return the output (a new tensor)
     */
    Tensor forward(Context ctx, Tensor... inputs);

    /**
     * Computes the gradient of the loss with respect to each input.
     *
     * @param ctx the context {@link #forward} saved into
     * @param gradOutput the gradient with respect to the output, of the output's shape
     * @return one gradient per input, each of its input's shape, or {@code null} for no gradient
     */
    Tensor[] backward(Context ctx, Tensor gradOutput);

    /**
     * The tangent rule: the output's tangent {@code J t = sum_i (d output / d input_i) tangent_i},
     * called right after {@link #forward} while a forward-mode pass runs and some input carries a
     * tangent. {@code ctx} holds what the forward saved (even when nothing is recorded). A
     * {@code null} tangent is a zero one; return {@code null} for a zero output tangent.
     *
     * <p>A tangent has its input's shape, or that shape behind leading <i>batch axes</i> (the same
     * ones for every input): a batch of directions carried at once. The result must have the
     * output's shape behind the same batch axes. Write the rule with tensor ops: elementwise rules
     * broadcast over the batch axes for free ({@code tangents[0].mul(y)}); a rule that names an
     * axis shifts it by the batch rank {@code tangents[i].rank() - inputs[i].rank()}.
     *
     * <p>The default runs the op again, recorded, on detached inputs and takes two reverse passes
     * through its {@link #backward} (the double-backward trick: {@code J t = d/du [(J^T u) . t]}):
     * about one forward and three backward passes per direction, so a batch of n directions costs
     * n times that. It needs a backward written with tensor ops (point 3 above). Override it where
     * forward mode matters.
     *
     * @param ctx the context {@link #forward} saved into
     * @param inputs the inputs the forward received
     * @param tangents one tangent per input, {@code null} for zero
     * @param output the forward's output
     * @return the output's tangent, or {@code null} for zero
     */
    default Tensor jvp(Context ctx, Tensor[] inputs, Tensor[] tangents, Tensor output) {
        return ForwardMode.reverseJvp(this, inputs, tangents);
    }

    /**
     * Runs {@link #forward} and, when grad mode is on and an input requires grad, records this op
     * in the graph so that {@link Tensor#backward()} reaches through it.
     *
     * @param inputs the inputs
     * @return the output, attached to the graph when recorded
     */
    default Tensor apply(Tensor... inputs) {
        return Autograd.apply(this, inputs, false);
    }

    /**
     * Whether {@link #backward} may keep a reference, after it returns, to {@code gradOutput} or
     * to any tensor it computed, directly or through other ops (in a field, a cache, a
     * collection). The default, {@code true}, is always safe. An op that returns {@code false}
     * promises it keeps none of them; a plain {@link Tensor#backward()} whose every op makes that
     * promise reuses the memory of its intermediate gradients for later work, which is faster on
     * large tensors. The promise covers the forward too: it keeps no reference to its output or to
     * what it computed beyond the {@link Context}, so that a {@link RecordedStep} whose every op
     * makes the promise reuses the memory of its values from one replay to the next. Breaking the
     * promise gives silently wrong values, not an exception.
     *
     * @return whether backward may retain its gradients
     */
    default boolean retainsGradients() {
        return true;
    }

    /**
     * Whether {@link #backward} reads no tensor but its inputs, what its {@link Context} saved, the
     * gradient it is given and what it computes itself (nothing captured from elsewhere, such as
     * another tensor's {@code grad()}). The default, {@code false}, is always safe. An op that
     * returns {@code true} and keeps none of its gradients ({@link #retainsGradients()} false) may,
     * as the last op of a plain {@link Tensor#backward()} with only leaves for inputs, be given a
     * leaf's buffer that {@link Tensor#zeroGrad()} kept as the first array of its length it
     * computes into, so that the leaf's gradient needs no copy. Breaking the promise gives silently
     * wrong values, not an exception.
     *
     * @return whether backward reads only its own arguments
     */
    default boolean readsOnlyItsArguments() {
        return false;
    }

    /**
     * The op's name in error messages, anomaly reports and graph pictures; the class name by default.
     *
     * @return a short name such as {@code "matmul"}
     */
    default String name() {
        String simple = getClass().getSimpleName();
        return simple.isEmpty() ? getClass().getName() : simple;
    }
}
