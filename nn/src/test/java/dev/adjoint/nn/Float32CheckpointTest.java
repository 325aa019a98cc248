package dev.adjoint.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.core.DType;
import dev.adjoint.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint and SafeTensors keep each tensor's dtype, and loading converts to the model's dtype. */
class Float32CheckpointTest {
    @TempDir
    Path dir;

    private static Sequential model(DType dtype) {
        SplittableRandom rng = new SplittableRandom(3);
        return new Sequential(new Linear(3, 5, rng), new BatchNorm1d(5), new Tanh(), new Linear(5, 2, rng)).to(dtype);
    }

    private static final Tensor X = Tensor.randn(new SplittableRandom(8), 6, 3);
    private static final int[] LABELS = {0, 1, 1, 0, 1, 0};

    private static void train(Sequential model, Adam adam, int steps) {
        Tensor x = X.to(model.parameters().get(0).dtype());
        for (int i = 0; i < steps; i++) {
            adam.zeroGrad();
            Losses.crossEntropy(model.forward(x), LABELS).backward();
            adam.step();
        }
    }

    private static double[] flat(Sequential model) {
        List<Tensor> ps = model.parameters();
        int n = 0;
        for (Tensor p : ps) {
            n += p.size();
        }
        double[] out = new double[n];
        int at = 0;
        for (Tensor p : ps) {
            System.arraycopy(p.toArray(), 0, out, at, p.size());
            at += p.size();
        }
        return out;
    }

    @Test
    void aFloat32CheckpointResumesBitForBitAtHalfTheSize() throws IOException {
        Path f32 = dir.resolve("f32.ckpt");
        Path f64 = dir.resolve("f64.ckpt");
        long[] sizes = new long[2];
        for (DType dtype : DType.values()) {
            Sequential m = model(dtype);
            Adam adam = new Adam(m.parameters(), 0.01);
            train(m, adam, 3);
            Path file = dtype == DType.FLOAT32 ? f32 : f64;
            Checkpoint.save(m, adam, file);
            sizes[dtype.ordinal()] = Files.size(file);
        }
        // names, shapes, counters (batch norm's batch count too) and the learning rate take the same
        // bytes; each of the 136 values (42 parameters, 84 Adam moments, 10 running statistics)
        // takes 4 bytes instead of 8
        assertEquals(4 * 136, sizes[0] - sizes[1], "float32 " + sizes[1] + " bytes, float64 " + sizes[0]);

        Sequential saved = model(DType.FLOAT32);
        Adam savedAdam = new Adam(saved.parameters(), 0.01);
        train(saved, savedAdam, 3);
        Sequential resumed = model(DType.FLOAT32);
        Adam resumedAdam = new Adam(resumed.parameters(), 0.01);
        Checkpoint.load(resumed, resumedAdam, f32);
        for (Tensor p : resumed.parameters()) {
            assertEquals(DType.FLOAT32, p.dtype());
        }
        for (Optimizer.State s : resumedAdam.stateArrays().values()) {
            for (int i = 0; i < resumed.parameters().size(); i++) {
                if (s.has(i)) {
                    assertEquals(DType.FLOAT32, s.dtype(i));
                }
            }
        }
        assertArrayEquals(flat(saved), flat(resumed), 0.0);
        train(saved, savedAdam, 2);
        train(resumed, resumedAdam, 2);
        assertArrayEquals(flat(saved), flat(resumed), 0.0);
        assertArrayEquals(saved.namedBuffers().get("1.running_var").toArray(), resumed.namedBuffers().get("1.running_var").toArray(), 0.0);
    }

    private static final class Stop extends RuntimeException {
    }

    private static Sequential dropoutModel() {
        SplittableRandom rng = new SplittableRandom(5);
        return new Sequential(new Linear(2, 16, rng), new ReLU(), new Dropout(0.2, new SplittableRandom(6)), new Linear(16, 2, rng))
                .to(DType.FLOAT32);
    }

    private static Trainer trainer(Sequential model) {
        return new Trainer(model, new Adam(model.parameters(), 0.01), (p, b) -> Losses.crossEntropy(p, b.labels()));
    }

    /** A float32 Trainer stopped mid-epoch resumes bit for bit: parameters, Adam state, dropout masks. */
    @Test
    void aFloat32TrainerStoppedMidEpochResumesBitForBit() throws IOException {
        Dataset data = Float32TrainingTest.moons(22, 9).to(DType.FLOAT32);
        Sequential straight = dropoutModel();
        double[] expected = trainer(straight).fit(data, 4, 5, new SplittableRandom(77));

        Path file = dir.resolve("run32.ckpt");
        Trainer stopping = trainer(dropoutModel()).checkpoint(file, 3).listener(new Trainer.Listener() {
            @Override
            public void onStep(int step, double loss) {
                if (step == 13) {
                    throw new Stop();
                }
            }
        });
        assertThrows(Stop.class, () -> stopping.fit(data, 4, 5, new SplittableRandom(77)));

        Sequential resumed = dropoutModel();
        double[] history = trainer(resumed).resume(file).fit(data, 4, 5, new SplittableRandom(77));
        assertArrayEquals(expected, history, 0.0, "the losses of the resumed run");
        assertArrayEquals(flat(straight), flat(resumed), 0.0);
    }

    @Test
    void loadingAcrossDtypesConvertsToTheModel() throws IOException {
        Sequential wide = model(DType.FLOAT64);
        Adam wideAdam = new Adam(wide.parameters(), 0.01);
        train(wide, wideAdam, 3);
        Path f64 = dir.resolve("wide.ckpt");
        Checkpoint.save(wide, wideAdam, f64);

        Sequential narrow = model(DType.FLOAT32);
        Adam narrowAdam = new Adam(narrow.parameters(), 0.01);
        Checkpoint.load(narrow, narrowAdam, f64);
        for (int i = 0; i < wide.parameters().size(); i++) {
            Tensor p = narrow.parameters().get(i);
            assertEquals(DType.FLOAT32, p.dtype(), "the model keeps its dtype");
            assertArrayEquals(wide.parameters().get(i).toFloatArray(), p.toFloatArray(), 0f, "rounded to float");
        }
        assertEquals(DType.FLOAT32, narrowAdam.stateArrays().get("exp_avg").dtype(0), "state converted to the parameter's dtype");
        assertEquals(wideAdam.stateBytes(), 2 * narrowAdam.stateBytes());

        Path f32 = dir.resolve("narrow.ckpt");
        Checkpoint.save(narrow, narrowAdam, f32);
        Sequential back = model(DType.FLOAT64);
        Adam backAdam = new Adam(back.parameters(), 0.01);
        Checkpoint.load(back, backAdam, f32);
        assertEquals(DType.FLOAT64, back.parameters().get(0).dtype());
        assertArrayEquals(flat(narrow), flat(back), 0.0, "float32 widens exactly");
        assertEquals(DType.FLOAT64, backAdam.stateArrays().get("exp_avg_sq").dtype(0));
    }

    @Test
    void aModelOnlyFloat32CheckpointRoundTrips() throws IOException {
        Sequential m = MLP.of(new int[] {4, 3, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(1))).to(DType.FLOAT32);
        Path file = dir.resolve("mlp.ckpt");
        Checkpoint.save(m, file);
        assertEquals(CheckpointEntries.VERSION, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(8), "float32 needs the named format");
        Sequential other = MLP.of(new int[] {4, 3, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(2))).to(DType.FLOAT32);
        Checkpoint.load(other, file);
        assertArrayEquals(flat(m), flat(other), 0.0);
        Sequential wide = MLP.of(new int[] {4, 3, 2}, ReLU::new, Init.fanInUniform(new SplittableRandom(2)));
        Path v1 = dir.resolve("v1.ckpt");
        Checkpoint.save(wide, v1);
        assertEquals(Checkpoint.FORMAT_VERSION, ByteBuffer.wrap(Files.readAllBytes(v1)).getInt(8), "a float64 model still writes version 1");
        Checkpoint.load(m, v1);
        assertArrayEquals(flat(wide), flat(m), 1e-7);
    }

    /** A version-2 file (float64 entries only) still loads; a float32 entry in a file that says version 2 is refused. */
    @Test
    void versionTwoStillLoadsAndCannotHoldFloat32() throws IOException {
        Sequential wide = model(DType.FLOAT64);
        Adam adam = new Adam(wide.parameters(), 0.01);
        train(wide, adam, 2);
        Path file = dir.resolve("v2.ckpt");
        Checkpoint.save(wide, adam, file);
        relabel(file, 2);
        Sequential loaded = model(DType.FLOAT64);
        Checkpoint.load(loaded, new Adam(loaded.parameters(), 0.01), file);
        assertArrayEquals(flat(wide), flat(loaded), 0.0);

        Sequential narrow = model(DType.FLOAT32);
        Path bad = dir.resolve("bad.ckpt");
        Checkpoint.save(narrow, bad);
        relabel(bad, 2);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(model(DType.FLOAT32), bad));
        assertTrue(e.getMessage().contains("unknown kind 2"), e.getMessage());
    }

    private static void relabel(Path file, int version) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).putInt(8, version);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        Files.write(file, bytes);
    }

    @Test
    void safeTensorsWritesF32ForAFloat32ModelAndConvertsOnLoad() throws IOException {
        Sequential narrow = model(DType.FLOAT32);
        train(narrow, new Adam(narrow.parameters(), 0.01), 2);
        Path f32 = dir.resolve("m32.safetensors");
        SafeTensors.save(narrow, f32);
        String header = new String(Files.readAllBytes(f32), StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"F32\""), "a float32 model is written as F32");
        assertEquals(1, header.split("\"F64\"", -1).length - 1, "all but the batch count: " + header);

        Sequential wide = model(DType.FLOAT64);
        SafeTensors.load(wide, f32);
        assertEquals(DType.FLOAT64, wide.parameters().get(0).dtype());
        assertArrayEquals(flat(narrow), flat(wide), 0.0, "F32 widens exactly");

        Path f64 = dir.resolve("m64.safetensors");
        train(wide, new Adam(wide.parameters(), 0.01), 1);
        SafeTensors.save(wide, f64);
        assertTrue(new String(Files.readAllBytes(f64), StandardCharsets.UTF_8).contains("\"dtype\":\"F64\""));
        Sequential again = model(DType.FLOAT32);
        SafeTensors.load(again, f64);
        assertEquals(DType.FLOAT32, again.parameters().get(0).dtype());
        for (int i = 0; i < wide.parameters().size(); i++) {
            assertArrayEquals(wide.parameters().get(i).toFloatArray(), again.parameters().get(i).toFloatArray(), 0f, "F64 rounds to float");
        }
        // 52 values (42 parameters, 10 running statistics) at 4 bytes instead of 8; the headers differ by a few digits
        long saved = Files.size(f64) - Files.size(f32);
        assertTrue(saved >= 4 * 52 - 16 && saved <= 4 * 52 + 16, saved + " bytes saved");
    }
}
