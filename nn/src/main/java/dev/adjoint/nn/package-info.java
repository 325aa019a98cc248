/**
 * Neural networks on top of {@code dev.adjoint.core}: layers ({@link dev.adjoint.nn.Linear},
 * activations, {@link dev.adjoint.nn.Dropout}) composed with {@link dev.adjoint.nn.Sequential} or
 * {@link dev.adjoint.nn.MLP}, weight initializers ({@link dev.adjoint.nn.Init}), losses
 * ({@link dev.adjoint.nn.Losses}), optimizers that follow PyTorch's update rules
 * ({@link dev.adjoint.nn.SGD}, {@link dev.adjoint.nn.Adam}, {@link dev.adjoint.nn.AdamW},
 * {@link dev.adjoint.nn.RMSprop}, and {@link dev.adjoint.nn.LBFGS} for smooth deterministic
 * objectives), learning-rate schedules, gradient clipping, seeded mini-batches,
 * a small training loop ({@link dev.adjoint.nn.Trainer}) and crash-safe, validated checkpoints
 * ({@link dev.adjoint.nn.Checkpoint}). Everything here uses only core's public tensor API; a layer
 * is plain composition and lists its parameters explicitly, and all randomness comes from an
 * explicit {@link java.util.random.RandomGenerator}. The only exceptions are two conveniences,
 * {@code new Linear(in, out)} and {@code MLP.of(sizes)}, which draw from a fresh generator with a
 * fixed seed (spelled out in their Javadoc): deterministic, and sharing no state.
 */
package dev.adjoint.nn;
