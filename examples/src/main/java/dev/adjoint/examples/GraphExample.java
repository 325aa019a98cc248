package dev.adjoint.examples;

import dev.adjoint.core.GraphExport;
import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Init;
import dev.adjoint.nn.Losses;
import dev.adjoint.nn.MLP;
import dev.adjoint.nn.Sequential;
import dev.adjoint.nn.Tanh;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A picture of a graph: a small network's loss, after backward, written as Graphviz DOT with op
 * names, shapes, parameters and gradient norms.
 */
final class GraphExample {
    static final int DEFAULT_BATCH = 4;

    private GraphExample() {
    }

    static void run(String[] args, PrintStream out) throws Exception {
        Options options = Options.parse(args, "--batch", DEFAULT_BATCH);
        SplittableRandom rng = new SplittableRandom(5);
        Sequential model = MLP.of(new int[] {3, 4, 2}, Tanh::new, Init.xavierUniform(rng));
        Tensor x = Tensor.randn(rng, options.count(), 3);
        Tensor target = Tensor.randn(rng, options.count(), 2);
        Tensor loss = Losses.mse(model.forward(x), target);
        loss.backward();

        String dot = GraphExport.toDot(loss);
        Files.createDirectories(options.out());
        Path file = options.out().resolve("graph.dot");
        Files.writeString(file, dot, StandardCharsets.UTF_8);
        out.println("model " + model + ", loss " + loss.item());
        out.println("wrote " + file + " (" + dot.lines().count() + " lines of Graphviz DOT)");
        out.println("render it with:  dot -Tpng " + file + " -o graph.png");
    }
}
