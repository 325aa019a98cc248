package dev.adjoint.core.gradcheck;

import dev.adjoint.core.gradcheck.GradCheck.Report.Element;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The text of a {@link GradCheck.Report}: what a developer reads when a gradient test fails. */
final class ReportText {
    private ReportText() {
    }

    static String format(GradCheck.Report r) {
        StringBuilder sb = new StringBuilder();
        GradChecker s = r.settings();
        sb.append("GradCheck ").append(r.passed() ? (r.vacuous() ? "PASSED (VACUOUSLY)" : "PASSED") : "FAILED")
                .append(": ").append(r.mode());
        if (r.outputShape() != null) {
            sb.append(" of an output of shape ").append(Arrays.toString(r.outputShape()));
        }
        sb.append(String.format(Locale.ROOT, "; eps=%.1e, atol=%.1e, rtol=%.1e%n", s.eps(), s.atol(), s.rtol()));
        sb.append("  inputs: ");
        List<int[]> shapes = r.inputShapes();
        for (int i = 0; i < shapes.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(i).append(' ').append(Arrays.toString(shapes.get(i)));
        }
        if (r.checkedFloat64Copy()) {
            sb.append(String.format(Locale.ROOT, "%n  inputs were float32; checked a float64 copy (%s)",
                    GradChecker.FLOAT64_COPY_REASON));
        }
        sb.append(String.format(Locale.ROOT, "%n  compared %d value(s); max |analytic - numeric| = %.3e", r.compared(),
                r.maxAbsError()));
        if (r.recheckedByStencil() > 0) {
            sb.append("; ").append(r.recheckedByStencil())
                    .append(" central-difference outlier(s) re-measured (smaller step or 5-point stencil) and found correct");
        }
        sb.append(System.lineSeparator());
        Element w = r.worst();
        if (w != null && w.index() < 0 && w.output() < 0) {
            sb.append("  at fault: the gradient for input ").append(w.input()).append(System.lineSeparator());
        } else if (w != null) {
            sb.append(r.passed() ? "  largest error relative to tolerance: " : "  worst: ").append(describe(w, shapes))
                    .append(String.format(Locale.ROOT, ": analytic %s vs numeric %s (|error| %.3e)%n", num(w.analytic()),
                            num(w.numeric()), w.error()));
        }
        if (!r.mismatches().isEmpty()) {
            sb.append("  mismatches: ").append(r.mismatchCount()).append(" of ").append(r.compared())
                    .append(r.mismatchCount() > r.mismatches().size() ? ", the worst " + r.mismatches().size() + " (error relative to tolerance):"
                            : ", worst first:").append(System.lineSeparator());
            sb.append(String.format(Locale.ROOT, "    %-6s %-8s %-12s %-7s %17s %17s %11s%n", "input", "element", "position",
                    "output", "analytic", "numeric", "|error|"));
            for (Element e : r.mismatches()) {
                sb.append(String.format(Locale.ROOT, "    %-6s %-8s %-12s %-7s %17s %17s %11.3e%n",
                        e.input() < 0 ? "all" : Integer.toString(e.input()),
                        e.index() < 0 ? "-" : Integer.toString(e.index()),
                        e.index() < 0 ? "-" : Arrays.toString(e.position()),
                        e.input() < 0 ? "dir " + e.output() : e.output() < 0 ? "proj" : Integer.toString(e.output()),
                        num(e.analytic()), num(e.numeric()), e.error()));
            }
        }
        if (!r.nonDifferentiable().isEmpty()) {
            sb.append("  non-differentiable (kinks): ");
            for (int i = 0; i < r.nonDifferentiable().size(); i++) {
                Element e = r.nonDifferentiable().get(i);
                sb.append(i == 0 ? "" : "; ").append(e.input() < 0 ? "direction " + e.output() : describe(e, shapes));
            }
            sb.append(System.lineSeparator());
        }
        for (String d : r.diagnoses()) {
            sb.append("  diagnosis: ").append(d).append(System.lineSeparator());
        }
        return sb.toString().stripTrailing();
    }

    private static String describe(Element e, List<int[]> shapes) {
        if (e.input() < 0) {
            return "random direction " + e.output();
        }
        String s = "input " + e.input() + " " + Arrays.toString(shapes.get(e.input())) + ", element " + e.index()
                + " " + Arrays.toString(e.position());
        if (e.output() >= 0) {
            s += ", output element " + e.output();
        }
        return s;
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%.9g", d);
    }
}
