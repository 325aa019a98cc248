package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class DoctorTest {
    private static final Tensor SEED_INPUT = Tensor.of(new double[] {0.8, 0.4, 0.3, 0.3}, 2, 2);

    private static Sequential seedNetwork() {
        return new Sequential(new Linear(2, 3, Init.constant(1)), new Sigmoid(), new Linear(3, 3, Init.constant(1)),
                new Sigmoid(), new Linear(3, 2, Init.constant(1)), new Sigmoid());
    }

    private static List<Finding> of(List<Finding> findings, Finding.Kind kind) {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }

    private static Sequential mlp(RandomGenerator rng, int depth, int width, Init init, java.util.function.Supplier<Layer> act) {
        List<Layer> layers = new ArrayList<>();
        int in = 4;
        for (int i = 0; i < depth; i++) {
            layers.add(new Linear(in, width, init));
            layers.add(act.get());
            in = width;
        }
        layers.add(new Linear(in, 3, init));
        return new Sequential(layers.toArray(new Layer[0]));
    }

    @Test
    void seedNetworkIsDiagnosedWithSymmetryInBothHiddenLayersButNotTheOutputLayer() {
        List<Finding> findings = Doctor.examine(seedNetwork(), SEED_INPUT);
        List<Finding> symmetry = of(findings, Finding.Kind.SYMMETRY);
        assertEquals(2, symmetry.size(), findings.toString());
        assertTrue(symmetry.get(0).message().startsWith("layer 0 (Linear(2, 3)): hidden units [0, 1, 2]"), symmetry.get(0).message());
        assertTrue(symmetry.get(1).message().startsWith("layer 2 (Linear(3, 3)): hidden units [0, 1, 2]"), symmetry.get(1).message());
        for (Finding f : symmetry) {
            assertTrue(f.message().contains("symmetry"), f.message());
            assertTrue(f.message().contains("Init.xavierUniform"), f.message());
            assertTrue(!f.message().startsWith("layer 4"), f.message());
        }
        assertEquals(findings.size(), symmetry.size(), "the seed network has no other problem: " + findings);
    }

    @Test
    void partialSymmetryNamesOnlyTheCopiedUnits() {
        Sequential net = new Sequential(new Linear(2, 4, Init.xavierUniform(new SplittableRandom(1))), new Tanh(),
                new Linear(4, 2, Init.xavierUniform(new SplittableRandom(2))));
        Linear first = (Linear) net.layers().get(0);
        Linear second = (Linear) net.layers().get(2);
        // make unit 3 a copy of unit 1, in and out
        first.weight().modify(w -> {
            w[3] = w[1];
            w[4 + 3] = w[4 + 1];
        });
        first.bias().modify(b -> b[3] = b[1]);
        second.weight().modify(v -> {
            v[3 * 2] = v[2];
            v[3 * 2 + 1] = v[3];
        });
        List<Finding> symmetry = of(Doctor.examine(net, Tensor.randn(new SplittableRandom(3), 8, 2)), Finding.Kind.SYMMETRY);
        assertEquals(1, symmetry.size());
        assertTrue(symmetry.get(0).message().contains("hidden units [1, 3]"), symmetry.get(0).message());
    }

    @Test
    void unitsWithEqualIncomingButDifferentOutgoingWeightsAreNotStuck() {
        Sequential net = new Sequential(new Linear(2, 3, Init.constant(0.5)), new Sigmoid(),
                new Linear(3, 2, Init.xavierUniform(new SplittableRandom(5))));
        assertTrue(of(Doctor.examine(net, SEED_INPUT), Finding.Kind.SYMMETRY).isEmpty());
    }

    @Test
    void healthyRandomlyInitialisedNetworksHaveNoFindings() {
        RandomGenerator rng = new SplittableRandom(7);
        Tensor x = Tensor.randn(rng, 64, 4);
        assertEquals(List.of(), Doctor.examine(mlp(rng, 3, 16, Init.xavierUniform(rng), Tanh::new), x));
        assertEquals(List.of(), Doctor.examine(mlp(rng, 3, 16, Init.heUniform(rng), ReLU::new), x));
        assertEquals(List.of(), Doctor.examine(mlp(rng, 2, 8, Init.xavierNormal(rng), Sigmoid::new), x));
    }

    @Test
    void examineLeavesParametersAndGradientsExactlyAsTheyWere() {
        Sequential net = seedNetwork();
        List<Tensor> params = net.parameters();
        List<double[]> before = params.stream().map(Tensor::toArray).toList();
        Doctor.examine(net, SEED_INPUT);
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(before.get(i), params.get(i).toArray());
            assertNull(params.get(i).grad(), "examine must not create gradients");
        }
        Losses.sumSquaredError(net.forward(SEED_INPUT), Tensor.zeros(2, 2)).backward();
        List<double[]> grads = params.stream().map(p -> p.grad().toArray()).toList();
        Doctor.examine(net, SEED_INPUT);
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(grads.get(i), params.get(i).grad().toArray());
        }
    }

    @Test
    void saturatedSigmoidLayerIsReported() {
        RandomGenerator rng = new SplittableRandom(11);
        Sequential net = new Sequential(new Linear(4, 16, Init.normal(0, 10, rng)), new Sigmoid(),
                new Linear(16, 3, Init.xavierUniform(rng)));
        List<Finding> sat = of(Doctor.examine(net, Tensor.randn(rng, 64, 4)), Finding.Kind.SATURATION);
        assertEquals(1, sat.size());
        assertTrue(sat.get(0).message().startsWith("layer 1 (Sigmoid"), sat.get(0).message());
        assertTrue(sat.get(0).message().matches(".*\\d+% of its outputs are saturated.*"), sat.get(0).message());
    }

    @Test
    void saturatedTanhLayerIsReported() {
        RandomGenerator rng = new SplittableRandom(12);
        Sequential net = new Sequential(new Linear(4, 16, Init.normal(0, 10, rng)), new Tanh(),
                new Linear(16, 3, Init.xavierUniform(rng)));
        assertEquals(1, of(Doctor.examine(net, Tensor.randn(rng, 64, 4)), Finding.Kind.SATURATION).size());
    }

    @Test
    void deadReluUnitsAreReported() {
        RandomGenerator rng = new SplittableRandom(13);
        Sequential net = new Sequential(new Linear(4, 16, Init.heUniform(rng)), new ReLU(), new Linear(16, 3, Init.heUniform(rng)));
        Linear first = (Linear) net.layers().get(0);
        first.bias().modify(b -> {
            for (int u = 0; u < 8; u++) {
                b[u] = -100;
            }
        });
        List<Finding> dead = of(Doctor.examine(net, Tensor.randn(rng, 64, 4)), Finding.Kind.DEAD_UNITS);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).message().startsWith("layer 1 (ReLU"), dead.get(0).message());
        assertTrue(dead.get(0).message().contains("units [0, 1, 2, 3, 4, 5, 6, 7] of 16 (50%)"), dead.get(0).message());
    }

    @Test
    void deadUnitsNeedEnoughSamplesAndTheAdviceFitsTheInit() {
        RandomGenerator rng = new SplittableRandom(21);
        Sequential net = new Sequential(new Linear(4, 16, Init.heUniform(rng)), new ReLU(), new Linear(16, 2, Init.heUniform(rng)));
        Tensor bias = ((Linear) net.layers().get(0)).bias();
        bias.modify(b -> {
            for (int u = 0; u < 8; u++) {
                b[u] = -100;
            }
        });
        assertEquals(List.of(), of(Doctor.examine(net, Tensor.randn(rng, Doctor.MIN_DEAD_SAMPLES - 1, 4)), Finding.Kind.DEAD_UNITS),
                "too few samples to call a unit dead");
        List<Finding> dead = of(Doctor.examine(net, Tensor.randn(rng, Doctor.MIN_DEAD_SAMPLES, 4)), Finding.Kind.DEAD_UNITS);
        assertEquals(1, dead.size());
        assertTrue(!dead.get(0).message().contains("He initialisation"), "the weights already are He's: " + dead.get(0).message());
        Sequential small = new Sequential(new Linear(4, 16, Init.normal(0, 0.01, rng)), new ReLU(), new Linear(16, 2, Init.normal(0, 0.01, rng)));
        ((Linear) small.layers().get(0)).bias().modify(b -> java.util.Arrays.fill(b, 0, 8, -100));
        List<Finding> smallDead = of(Doctor.examine(small, Tensor.randn(rng, 64, 4)), Finding.Kind.DEAD_UNITS);
        assertTrue(smallDead.get(0).message().contains("He initialisation"), smallDead.get(0).message());
    }

    @Test
    void deadChannelsAfterAConvolutionAreReported() {
        RandomGenerator rng = new SplittableRandom(22);
        Conv2d conv = new Conv2d(1, 4, 3, 1, 1, Init.heUniform(rng));
        conv.bias().modify(b -> {
            b[1] = -100;
            b[3] = -100;
        });
        Sequential net = new Sequential(conv, new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 2, Init.heUniform(rng)));
        List<Finding> dead = of(Doctor.examine(net, Tensor.randn(rng, 40, 1, 5, 5)), Finding.Kind.DEAD_UNITS);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).message().contains("channels [1, 3] of 4 (50%)"), dead.get(0).message());
    }

    @Test
    void heInitialisationStartsBiasesAtZero() {
        Linear l = new Linear(3, 5, Init.heUniform(new SplittableRandom(1)));
        assertArrayEquals(new double[5], l.bias().toArray(), 0.0);
        assertTrue(java.util.Arrays.stream(l.weight().toArray()).allMatch(w -> w != 0));
    }

    @Test
    void vanishingGradientsThroughADeepSigmoidNetworkAreReported() {
        RandomGenerator rng = new SplittableRandom(14);
        Sequential net = mlp(rng, 10, 16, Init.normal(0, 0.1, rng), Sigmoid::new);
        List<Finding> findings = Doctor.examine(net, Tensor.randn(rng, 64, 4));
        List<Finding> vanishing = of(findings, Finding.Kind.VANISHING_GRADIENT);
        assertEquals(1, vanishing.size(), findings.toString());
        assertTrue(vanishing.get(0).message().contains("layer 20 (Linear(16, 3))"), vanishing.get(0).message());
        assertTrue(vanishing.get(0).message().contains("layer 0 (Linear(4, 16))"), vanishing.get(0).message());
        assertTrue(of(findings, Finding.Kind.SATURATION).isEmpty(), findings.toString());
    }

    @Test
    void explodingGradientsThroughADeepNetworkWithLargeWeightsAreReported() {
        RandomGenerator rng = new SplittableRandom(15);
        Sequential net = mlp(rng, 6, 16, Init.normal(0, 2, rng), () -> new LeakyReLU(0.5));
        List<Finding> findings = Doctor.examine(net, Tensor.randn(rng, 64, 4));
        assertEquals(1, of(findings, Finding.Kind.EXPLODING_GRADIENT).size(), findings.toString());
    }

    @Test
    void nonFiniteValuesAreReportedWhereFirstSeen() {
        Sequential net = seedNetwork();
        Tensor bad = Tensor.of(new double[] {0.8, Double.NaN, 0.3, 0.3}, 2, 2);
        List<Finding> findings = Doctor.examine(net, bad);
        List<Finding> nonFinite = of(findings, Finding.Kind.NON_FINITE);
        assertEquals(1, nonFinite.size());
        assertTrue(nonFinite.get(0).message().startsWith("NaN or infinity first seen in the input"), nonFinite.get(0).message());
        assertEquals(2, of(findings, Finding.Kind.SYMMETRY).size(), "several problems at once are all reported");

        RandomGenerator rng = new SplittableRandom(16);
        Sequential net2 = new Sequential(new Linear(4, 8, Init.heUniform(rng)), new ReLU(), new Linear(8, 3, Init.heUniform(rng)));
        ((Linear) net2.layers().get(2)).weight().modify(w -> w[5] = Double.POSITIVE_INFINITY);
        Finding f = of(Doctor.examine(net2, Tensor.randn(rng, 16, 4)), Finding.Kind.NON_FINITE).get(0);
        assertTrue(f.message().startsWith("NaN or infinity first seen in parameter 0 of layer 2 (Linear(8, 3))"), f.message());
    }

    @Test
    void everyMessageNamesALayer() {
        List<Finding> findings = Doctor.examine(seedNetwork(), SEED_INPUT);
        for (Finding f : findings) {
            assertTrue(f.message().contains("layer "), f.message());
        }
    }

    private static Sequential prepend(Layer first, Sequential rest) {
        List<Layer> layers = new ArrayList<>(List.of(first));
        layers.addAll(rest.layers());
        return new Sequential(layers.toArray(new Layer[0]));
    }

    @Test
    void frozenParametersAreExaminedAsFarAsTheyCanBeAndNamed() {
        RandomGenerator rng = new SplittableRandom(7);
        Sequential net = mlp(rng, 3, 16, Init.xavierUniform(rng), Tanh::new);
        Linear first = (Linear) net.layers().get(0);
        first.weight().requiresGrad(false);
        first.bias().requiresGrad(false);
        List<Finding> findings = Doctor.examine(net, Tensor.randn(rng, 64, 4));
        assertEquals(1, findings.size(), findings.toString());
        assertEquals(Finding.Kind.NOT_EXAMINED, findings.get(0).kind());
        assertTrue(findings.get(0).message().startsWith("parameter 0 of layer 0 (Linear(4, 16)), parameter 1 of layer 0 "
                + "(Linear(4, 16)) are frozen"), findings.get(0).message());

        // the input-gradient ratio still sees the vanishing gradient when the first weight is frozen
        RandomGenerator rng2 = new SplittableRandom(14);
        Sequential deep = mlp(rng2, 10, 16, Init.normal(0, 0.1, rng2), Sigmoid::new);
        ((Linear) deep.layers().get(0)).weight().requiresGrad(false);
        List<Finding> deepFindings = Doctor.examine(deep, Tensor.randn(rng2, 64, 4));
        List<Finding> vanishing = of(deepFindings, Finding.Kind.VANISHING_GRADIENT);
        assertEquals(1, vanishing.size(), deepFindings.toString());
        assertTrue(vanishing.get(0).message().contains("not compared (a weight is frozen)"), vanishing.get(0).message());
    }

    @Test
    void aLayerUnderNoGradIsExaminedForValuesAndTheGradientChecksCoverTheLayersAfterIt() {
        RandomGenerator rng = new SplittableRandom(14);
        Sequential deep = prepend(new NoGradScale(), mlp(rng, 10, 16, Init.normal(0, 0.1, rng), Sigmoid::new));
        List<Finding> findings = Doctor.examine(deep, Tensor.randn(rng, 64, 4));
        List<Finding> vanishing = of(findings, Finding.Kind.VANISHING_GRADIENT);
        assertEquals(1, vanishing.size(), findings.toString());
        assertTrue(vanishing.get(0).message().contains("back to layer 1 (Linear(4, 16))"), vanishing.get(0).message());
        assertTrue(vanishing.get(0).message().contains("input gradient not compared"), vanishing.get(0).message());
        List<Finding> skipped = of(findings, Finding.Kind.NOT_EXAMINED);
        assertEquals(1, skipped.size(), findings.toString());
        assertTrue(skipped.get(0).message().startsWith("layer 0 (NoGradScale()) returns a tensor that does not require grad"),
                skipped.get(0).message());
        assertTrue(skipped.get(0).message().contains("gradients only from layer 1 on"), skipped.get(0).message());
    }

    @Test
    void aNoGradLayerInTheMiddleIsNamedAndCausesNoFalseGradientFinding() {
        RandomGenerator rng = new SplittableRandom(7);
        Sequential net = new Sequential(new Linear(4, 16, Init.xavierUniform(rng)), new Tanh(), new NoGradScale(),
                new Linear(16, 16, Init.xavierUniform(rng)), new Tanh(), new Linear(16, 3, Init.xavierUniform(rng)));
        List<Finding> findings = Doctor.examine(net, Tensor.randn(rng, 64, 4));
        assertEquals(1, findings.size(), findings.toString());
        assertTrue(findings.get(0).message().startsWith("layer 2 (NoGradScale())"), findings.get(0).message());
        assertTrue(findings.get(0).message().contains("no gradient reaches layers 0 to 2 or the input"), findings.get(0).message());

        Tensor bad = Tensor.randn(rng, 8, 4);
        ((Linear) net.layers().get(3)).bias().modify(b -> b[0] = Double.NaN);
        List<Finding> nonFinite = of(Doctor.examine(net, bad), Finding.Kind.NON_FINITE);
        assertEquals(1, nonFinite.size());
        assertTrue(nonFinite.get(0).message().contains("parameter 1 of layer 3"), nonFinite.get(0).message());

        List<Finding> whole = Doctor.examine(new NoGradScale(), bad);
        assertEquals(List.of(Finding.Kind.NOT_EXAMINED), whole.stream().map(Finding::kind).toList());
    }
}
