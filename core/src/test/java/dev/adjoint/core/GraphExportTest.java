package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GraphExportTest {

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void drawsOpsShapesParametersAndConstants() {
        Tensor w = Tensor.ones(3, 2).requiresGrad(true);
        Tensor x = Tensor.ones(4, 3);
        Tensor loss = x.matmul(w).tanh().sum();
        String dot = GraphExport.toDot(loss, Map.of(w, "w"));
        assertTrue(dot.startsWith("digraph adjoint {"), dot);
        assertTrue(dot.trim().endsWith("}"), dot);
        assertTrue(dot.contains("label=\"matmul [4, 2]\""), dot);
        assertTrue(dot.contains("label=\"tanh [4, 2]\""), dot);
        assertTrue(dot.contains("label=\"w\\nparameter [3, 2]\", shape=box, style=filled"), dot);
        assertTrue(dot.contains("label=\"constant [4, 3]\", shape=box, style=dashed"), dot);
        assertTrue(dot.contains("peripheries=2"), "the output is marked: " + dot);
        assertFalse(dot.contains("|grad|"), "no gradients before backward: " + dot);
        // x and w feed matmul as inputs 0 and 1
        assertTrue(dot.contains("[label=\"0\"]") && dot.contains("[label=\"1\"]"), dot);
        int nodes = count(dot, "(?m)^  t\\d+ \\[label");
        int edges = count(dot, "(?m)^  t\\d+ -> t\\d+");
        assertEquals(5, nodes, dot);
        assertEquals(nodes - 1, edges, "a tree: every tensor but the output feeds one op: " + dot);
    }

    @Test
    void afterBackwardParametersShowTheirGradientNorm() {
        Tensor w = Tensor.of(new double[] {3, 4}, 2).requiresGrad(true);
        Tensor loss = w.mul(w).sum().mul(0.5);
        loss.backward();
        // d/dw 0.5 |w|^2 = w, of norm 5
        assertTrue(GraphExport.toDot(loss).contains("|grad| = 5.000"), GraphExport.toDot(loss));
    }

    @Test
    void nanAndInfinityAreHighlighted() {
        Tensor x = Tensor.of(new double[] {-1, 1}, 2).requiresGrad(true);
        Tensor y = x.log().sum();
        String dot = GraphExport.toDot(y);
        assertTrue(dot.matches("(?s).*label=\"log \\[2\\]\\\\nNaN/Inf\", shape=ellipse, style=filled, fillcolor=\"#ff8a80\".*"), dot);
        assertEquals(2, count(dot, "NaN/Inf"), "log and the sum after it: " + dot);
    }

    @Test
    void aSharedSubexpressionAppearsOnceWithBothEdges() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor e = x.exp();
        String dot = GraphExport.toDot(e.mul(e));
        assertEquals(1, count(dot, "label=\"exp \\[2\\]\""), dot);
        assertEquals(2, count(dot, "(?m)^  t\\d+ -> t0 "), "exp feeds mul twice: " + dot);
    }

    @Test
    void namesAndOpNamesAreEscaped() {
        CustomOp weird = new CustomOp() {
            @Override
            public Tensor forward(Context ctx, Tensor... in) {
                return in[0].mul(2.0);
            }

            @Override
            public Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.mul(2.0)};
            }

            @Override
            public String name() {
                return "say \"hi\" \\ bye";
            }
        };
        Tensor x = Tensor.ones(1).requiresGrad(true);
        String dot = GraphExport.toDot(weird.apply(x), Map.of(x, "x\"1"));
        assertTrue(dot.contains("label=\"say \\\"hi\\\" \\\\ bye [1]\""), dot);
        assertTrue(dot.contains("label=\"x\\\"1\\nparameter [1]\""), dot);
    }

    @Test
    void aDeepGraphDoesNotOverflowTheStack() {
        Tensor x = Tensor.ones(1).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 50_000; i++) {
            y = y.add(1.0);
        }
        String dot = GraphExport.toDot(y);
        assertEquals(50_000, count(dot, "label=\"add \\[1\\]\""));
    }

    @Test
    void aLeafAloneIsAOneNodeGraph() {
        String dot = GraphExport.toDot(Tensor.scalar(2.5));
        assertTrue(dot.contains("label=\"constant 2.500\""), dot);
        assertThrows(IllegalArgumentException.class, () -> GraphExport.toDot(null));
    }
}
