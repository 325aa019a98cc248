package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The doctor examines a float32 model as it does a float64 one. */
class Float32DoctorTest {

    private static List<Finding> of(List<Finding> findings, Finding.Kind kind) {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }

    @Test
    void aFloat32ModelWithSymmetricWeightsGetsTheSymmetryFinding() {
        Sequential net = new Sequential(new Linear(2, 3, Init.constant(0.5)), new Tanh(),
                new Linear(3, 2, Init.constant(0.25)));
        net.to(DType.FLOAT32);
        Tensor input = Tensor.randn(DType.FLOAT32, new SplittableRandom(3), 8, 2);
        List<Finding> findings = Doctor.examine(net, input);
        List<Finding> symmetry = of(findings, Finding.Kind.SYMMETRY);
        assertEquals(1, symmetry.size(), findings.toString());
        assertTrue(symmetry.get(0).message().contains("hidden units [0, 1, 2]"), symmetry.get(0).message());
        assertEquals(DType.FLOAT32, net.parameters().get(0).dtype(), "the doctor leaves the model's dtype alone");
    }

    @Test
    void aFloat32ModelGetsTheSameFindingsAsItsFloat64Twin() {
        SplittableRandom rng = new SplittableRandom(7);
        Sequential net64 = new Sequential(new Linear(4, 16, Init.normal(0, 10, rng)), new Sigmoid(), new Linear(16, 3, rng));
        Tensor input = Tensor.randn(rng, 64, 4);
        List<Finding> findings64 = Doctor.examine(net64, input);
        Sequential net32 = (Sequential) PrecisionCopies.copy(net64, DType.FLOAT32);
        List<Finding> findings32 = Doctor.examine(net32, input.to(DType.FLOAT32));
        assertEquals(findings64.stream().map(Finding::kind).toList(), findings32.stream().map(Finding::kind).toList(),
                findings32.toString());
        assertEquals(1, of(findings32, Finding.Kind.SATURATION).size(), findings32.toString());
    }

    @Test
    void aNaNInAFloat32ModelIsNamed() {
        Sequential net = new Sequential(new Linear(2, 3, new SplittableRandom(1)), new ReLU(), new Linear(3, 1, new SplittableRandom(2)));
        net.to(DType.FLOAT32);
        Tensor input = Tensor.of(new float[] {1, Float.NaN, 0.5f, 2}, 2, 2);
        List<Finding> nonFinite = of(Doctor.examine(net, input), Finding.Kind.NON_FINITE);
        assertEquals(1, nonFinite.size());
        assertTrue(nonFinite.get(0).message().contains("input"), nonFinite.get(0).message());
    }
}
