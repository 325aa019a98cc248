/**
 * Adjoint's core: n-dimensional float64 and float32 {@link dev.adjoint.core.Tensor}s and a reverse-mode
 * automatic differentiation engine. Every op, built in or user-written, is a
 * {@link dev.adjoint.core.CustomOp} (a forward plus a backward written with tensor ops), recorded
 * into a graph when an input requires grad; {@link dev.adjoint.core.Tensor#backward()} walks that
 * graph once in reverse, and {@link dev.adjoint.core.Autograd#grad} returns gradients (optionally
 * differentiable again, for second order). Grad mode and anomaly mode are per thread.
 * {@link dev.adjoint.core.gradcheck.GradCheck} checks any function's gradients against finite differences
 * and explains what it finds; {@link dev.adjoint.core.GraphExport} draws a graph as Graphviz DOT.
 */
package dev.adjoint.core;
