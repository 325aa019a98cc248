package dev.adjoint.core;

import dev.adjoint.core.kernel.Elementwise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pictures of computation graphs, as Graphviz DOT text: {@code output} and everything it depends on.
 *
 * <p>Op results are ellipses labelled with the op's name and shape (prefixed with the dtype when it
 * is float32: {@code matmul float32[4, 2]}); parameters (leaves that require
 * grad) are blue boxes, showing the L2 norm of their gradient once a backward pass has filled it;
 * constants are dashed grey boxes; the output has a double border. Any tensor whose value or
 * gradient holds NaN or infinity is filled red. Edges run from an op's inputs to its result and are
 * numbered by input position when an op has several. Render with Graphviz:
 * {@code dot -Tpng graph.dot -o graph.png} (or {@code -Tsvg}).
 *
 * <pre>{@code
 * Files.writeString(Path.of("graph.dot"), GraphExport.toDot(loss, Map.of(w, "w", x, "x")));
 * }</pre>
 */
public final class GraphExport {
    private static final String RED = "#ff8a80";
    private static final String BLUE = "#cfe2ff";

    private GraphExport() {
    }

    /**
     * The graph behind {@code output} in DOT.
     *
     * @param output the tensor to draw, with everything it was computed from
     * @return the DOT text
     */
    public static String toDot(Tensor output) {
        return toDot(output, Map.of());
    }

    /**
     * The graph behind {@code output} in DOT, with names for some tensors (looked up by identity,
     * as Tensor does not override equals), shown above their shapes.
     *
     * @param output the tensor to draw
     * @param names labels for chosen tensors, such as parameters
     * @return the DOT text
     */
    public static String toDot(Tensor output, Map<Tensor, String> names) {
        if (output == null) {
            throw new IllegalArgumentException("toDot: output is null");
        }
        if (names == null) {
            throw new IllegalArgumentException("toDot: names is null (pass Map.of())");
        }
        List<Tensor> tensors = collect(output);
        Map<Tensor, Integer> ids = new IdentityHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            ids.put(tensors.get(i), i);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("digraph adjoint {\n");
        sb.append("  rankdir=BT;\n");
        sb.append("  node [fontname=\"Helvetica\", fontsize=10];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n");
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            sb.append("  t").append(i).append(" [").append(attributes(t, names.get(t), t == output)).append("];\n");
        }
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            Node n = t.node();
            if (n == null) {
                continue;
            }
            for (int k = 0; k < n.inputs.length; k++) {
                sb.append("  t").append(ids.get(n.inputs[k])).append(" -> t").append(i);
                if (n.inputs.length > 1) {
                    sb.append(" [label=\"").append(k).append("\"]");
                }
                sb.append(";\n");
            }
        }
        return sb.append("}\n").toString();
    }

    /** Every tensor reachable from the output, output first; iterative, so deep graphs are fine. */
    private static List<Tensor> collect(Tensor output) {
        List<Tensor> out = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        Deque<Tensor> stack = new ArrayDeque<>();
        stack.push(output);
        seen.put(output, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Tensor t = stack.pop();
            out.add(t);
            Node n = t.node();
            if (n == null) {
                continue;
            }
            for (Tensor in : n.inputs) {
                if (seen.put(in, Boolean.TRUE) == null) {
                    stack.push(in);
                }
            }
        }
        return out;
    }

    private static String attributes(Tensor t, String name, boolean isOutput) {
        StringBuilder label = new StringBuilder();
        if (name != null) {
            label.append(name).append('\n');
        }
        boolean bad = !Elementwise.allFinite(t.value());
        // float64 is the default and goes unsaid; a float32 tensor's shape reads float32[4, 2].
        String shape = (t.dtype() == DType.FLOAT32 ? t.dtype().toString() : "") + Arrays.toString(t.shape());
        String attrs;
        if (t.node() != null) {
            label.append(t.node().op.name()).append(' ').append(shape);
            attrs = "shape=ellipse";
        } else if (t.requiresGrad()) {
            label.append("parameter ").append(shape);
            Tensor g = t.grad();
            if (g != null) {
                bad |= !Elementwise.allFinite(g.value());
                label.append(String.format(Locale.ROOT, "\n|grad| = %.4g", norm(g)));
            }
            attrs = "shape=box, style=filled, fillcolor=\"" + BLUE + "\"";
        } else {
            label.append(t.size() == 1 ? String.format(Locale.ROOT, "constant %.4g", t.toArray()[0]) : "constant " + shape);
            attrs = "shape=box, style=dashed, color=\"#888888\"";
        }
        if (bad) {
            label.append("\nNaN/Inf");
            attrs = attrs.replace("style=dashed", "style=filled").replace("style=filled, fillcolor=\"" + BLUE + "\"", "style=filled");
            attrs += (attrs.contains("style=filled") ? "" : ", style=filled") + ", fillcolor=\"" + RED + "\", color=\"#c62828\"";
        }
        if (isOutput) {
            attrs += ", peripheries=2";
        }
        return "label=\"" + escape(label.toString()) + "\", " + attrs;
    }

    private static double norm(Tensor g) {
        double s = 0;
        for (double d : g.toArray()) {
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** A DOT string body: backslashes and quotes escaped, line breaks as \n. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> { }
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
