/**
 * Checks analytic gradients against finite differences, for any function of any number of
 * tensors, using only the public API of {@link dev.adjoint.core}. Each checked input element
 * {@code x} is moved by {@code h = eps * max(1, |x|)} and its derivative measured by the central
 * difference {@code (f(x + h) - f(x - h)) / 2h}; an analytic value {@code a} agrees with the
 * numeric value {@code n} when {@code |a - n| <= atol + rtol * |n|}, with PyTorch's gradcheck
 * defaults for float64 ({@code eps} 1e-6, {@code atol} 1e-5, {@code rtol} 1e-3). A disagreement is
 * confirmed before it is reported: a kink (one-sided slopes that stay apart as the step shrinks)
 * is set aside as non-differentiable, and a smooth point is re-measured with a 5-point stencil.
 * For large inputs or outputs the random-direction mode compares {@code <J t, c>} (finite
 * differences along a random {@code t}) with {@code <t, J^T c>} (one backward pass with a random
 * {@code c}) instead of the full Jacobian, and localises a failure by bisection. Second-order
 * checks apply the same test to {@code x -> <J(x)^T v, w>} differentiated with
 * {@code createGraph}, and forward-mode checks the Jacobian built from tangent rules
 * ({@link dev.adjoint.core.Autograd#jvp}). {@link dev.adjoint.core.gradcheck.GradCheck} is the
 * entry point, {@link dev.adjoint.core.gradcheck.GradChecker} a configured checker, and
 * {@link dev.adjoint.core.gradcheck.GradCheck.Report} the outcome;
 * {@link dev.adjoint.core.gradcheck.OpConformance} runs a custom op's whole contract (gradients of
 * both orders, tangent rule, inputs unmodified, determinism, threads) on several input layouts.
 * float32 inputs are checked through float64 copies (finite differences in float32 are
 * meaningless), and the report says so.
 * The rest is package-private.
 */
package dev.adjoint.core.gradcheck;
