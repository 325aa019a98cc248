package dev.adjoint.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The op behind {@link Autograd#checkpoint}: its forward runs the function unrecorded and saves
 * only the inputs; its backward runs the function again, recorded, on detached copies of the
 * inputs and back-propagates through that fresh graph, which is dropped when the backward returns.
 *
 * <p>When the outer pass records ({@code createGraph}), the backward's result must itself be
 * differentiable with respect to the inputs and the output gradient. It is then computed by
 * another recomputing op, over the vector-Jacobian product of the function, whose own backward
 * works the same way: every order of derivative recomputes instead of keeping a graph.
 */
final class Recompute implements CustomOp {
    private final Function<List<Tensor>, Tensor> function;
    private final int inputCount;

    Recompute(Function<List<Tensor>, Tensor> function, int inputCount) {
        this.function = function;
        this.inputCount = inputCount;
    }

    @Override
    public Tensor forward(Context ctx, Tensor... inputs) {
        ctx.save(inputs);
        Tensor out = function.apply(List.of(inputs));
        if (out == null) {
            throw new IllegalStateException("checkpoint: the function returned null");
        }
        return out;
    }

    @Override
    public Tensor[] backward(Context ctx, Tensor gradOutput) {
        Tensor[] inputs = new Tensor[inputCount];
        for (int i = 0; i < inputCount; i++) {
            inputs[i] = ctx.saved(i);
        }
        if (Autograd.isGradEnabled()) {
            return recordedBackward(inputs, gradOutput);
        }
        // every copy requires grad, so that the graph's only leaves that do are these copies
        Tensor[] copies = new Tensor[inputCount];
        for (int i = 0; i < inputCount; i++) {
            copies[i] = inputs[i].detach().requiresGrad(true);
        }
        List<Tensor> leaves = List.of(copies);
        Tensor out;
        try (Autograd.Scope on = Autograd.enableGrad()) {
            out = function.apply(leaves);
            requireOnlyInputs(out, leaves);
        }
        Tensor[] grads = new Tensor[inputCount];
        if (!out.requiresGrad()) {
            return grads; // the output does not depend on the inputs
        }
        requireShape(out, gradOutput);
        List<Tensor> wanted = new ArrayList<>();
        for (int i = 0; i < inputCount; i++) {
            if (ctx.needsInputGrad(i)) {
                wanted.add(copies[i]);
            }
        }
        List<Tensor> found = Autograd.grad(out, gradOutput, wanted, false);
        for (int i = 0, k = 0; i < inputCount; i++) {
            if (ctx.needsInputGrad(i)) {
                grads[i] = found.get(k++);
            }
        }
        return grads;
    }

    /** The gradients as a recorded function of the inputs and {@code gradOutput}, recomputed in turn. */
    private Tensor[] recordedBackward(Tensor[] inputs, Tensor gradOutput) {
        Tensor[] all = Arrays.copyOf(inputs, inputCount + 1);
        all[inputCount] = gradOutput;
        Tensor flat = new Recompute(vectorJacobianProduct(function, inputCount), inputCount + 1).apply(all);
        Tensor[] grads = new Tensor[inputCount];
        int offset = 0;
        for (int i = 0; i < inputCount; i++) {
            int n = inputs[i].size();
            grads[i] = flat.narrow(0, offset, n).reshape(inputs[i].shape());
            offset += n;
        }
        return grads;
    }

    /**
     * The function {@code [x..., v] -> concat(flatten(v^T d f / d x))}: differentiable in its
     * inputs when called recorded on tensors that require grad (then they are its graph's leaves),
     * otherwise computed on fresh leaves.
     */
    private static Function<List<Tensor>, Tensor> vectorJacobianProduct(Function<List<Tensor>, Tensor> f, int n) {
        return zs -> {
            boolean recording = Autograd.isGradEnabled();
            Tensor[] leaves = new Tensor[n];
            for (int i = 0; i < n; i++) {
                Tensor x = zs.get(i);
                leaves[i] = recording && x.requiresGrad() ? x : x.detach().requiresGrad(true);
            }
            Tensor v = zs.get(n);
            List<Tensor> grads;
            try (Autograd.Scope on = Autograd.enableGrad()) {
                Tensor out = f.apply(List.of(leaves));
                requireOnlyInputs(out, List.of(leaves));
                if (out.requiresGrad()) {
                    requireShape(out, v);
                    grads = Autograd.grad(out, v, List.of(leaves), recording);
                } else {
                    grads = new ArrayList<>();
                    for (Tensor x : leaves) {
                        grads.add(Tensor.zeros(x.dtype(), x.shape()));
                    }
                }
            }
            List<Tensor> flat = new ArrayList<>(n);
            for (Tensor g : grads) {
                flat.add(g.reshape(g.size()));
            }
            return Tensor.concat(flat, 0);
        };
    }

    private static void requireShape(Tensor out, Tensor gradOutput) {
        if (!Arrays.equals(out.shape(), gradOutput.shape())) {
            throw new IllegalStateException("checkpoint: the recomputed output has shape " + Arrays.toString(out.shape())
                    + " but the first run's had shape " + Arrays.toString(gradOutput.shape())
                    + "; the function must compute the same thing every time");
        }
    }

    /**
     * Refuses a function that reached, other than through its inputs, a tensor that requires
     * grad: that tensor's gradient would be lost. Walks the recomputed graph, which ends at leaves.
     */
    private static void requireOnlyInputs(Tensor out, List<Tensor> inputs) {
        Set<Tensor> allowed = Collections.newSetFromMap(new IdentityHashMap<>());
        allowed.addAll(inputs);
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Tensor> todo = new ArrayDeque<>();
        todo.push(out);
        while (!todo.isEmpty()) {
            Tensor t = todo.pop();
            Node node = t.node();
            if (node == null) {
                if (t.requiresGrad() && !allowed.contains(t)) {
                    throw new IllegalStateException("checkpoint: the function uses a tensor of shape " + Arrays.toString(t.shape())
                            + " that requires grad but is not one of its inputs, so its gradient would be lost;"
                            + " pass every tensor that needs a gradient (parameters too) in the inputs list");
                }
            } else if (seen.add(node)) {
                for (Tensor in : node.inputs) {
                    if (in.requiresGrad()) {
                        todo.push(in);
                    }
                }
            }
        }
    }

    @Override
    public String name() {
        return "checkpoint";
    }
}
