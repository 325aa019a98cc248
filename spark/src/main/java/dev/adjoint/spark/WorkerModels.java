package dev.adjoint.spark;

import dev.adjoint.core.Tensor;
import dev.adjoint.nn.Layer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models of an executor JVM, per trainer: built once by the trainer's factory and reused by
 * every later step, each holding the values of the last broadcast loaded into it. A task borrows
 * one for its step (concurrent tasks get separate models, so no model is read and written at once)
 * and gives it back. Only the models of the last few trainers are kept.
 */
final class WorkerModels {
    private static final int TRAINERS_KEPT = 4;

    /** A model with the id of the broadcast whose values it holds (-1: none yet). */
    static final class Worker {
        final Layer model;
        final List<Tensor> parameters;
        long loaded = -1;

        Worker(Layer model) {
            this.model = model;
            this.parameters = model.parameters();
        }

        /** Loads {@code values} (all parameters, flat, in order) unless they are already there. */
        void load(long broadcastId, double[] values) {
            if (loaded == broadcastId) {
                return;
            }
            int offset = 0;
            for (Tensor p : parameters) {
                int from = offset;
                if (from + p.size() > values.length) {
                    break;
                }
                p.modify(buffer -> System.arraycopy(values, from, buffer, 0, buffer.length));
                offset += p.size();
            }
            if (offset != values.length) {
                loaded = -1;
                throw new IllegalStateException("SparkTrainer: the model factory built a model of " + parameters.size()
                        + " parameters (" + offset + " values) on an executor, but the driver's model has " + values.length
                        + " values; the factory must build the same architecture every time");
            }
            loaded = broadcastId;
        }
    }

    private static final Map<String, ArrayDeque<Worker>> IDLE = new LinkedHashMap<>(16, 0.75f, true);

    private WorkerModels() {
    }

    static Worker borrow(String trainerId, ModelFactory factory) {
        synchronized (IDLE) {
            ArrayDeque<Worker> idle = IDLE.computeIfAbsent(trainerId, k -> new ArrayDeque<>());
            Worker w = idle.pollFirst();
            if (w != null) {
                return w;
            }
            Iterator<String> oldest = IDLE.keySet().iterator();
            while (IDLE.size() > TRAINERS_KEPT && oldest.hasNext()) {
                if (!oldest.next().equals(trainerId)) {
                    oldest.remove();
                }
            }
        }
        Layer model = factory.create(); // outside the lock: building a model may be slow
        if (model == null) {
            throw new IllegalStateException("SparkTrainer: the model factory returned null on an executor");
        }
        model.train(true);
        return new Worker(model);
    }

    static void giveBack(String trainerId, Worker w) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(trainerId, k -> new ArrayDeque<>()).addFirst(w);
        }
    }

    /** How many idle models this JVM holds for a trainer (for tests). */
    static int idle(String trainerId) {
        synchronized (IDLE) {
            ArrayDeque<Worker> idle = IDLE.get(trainerId);
            return idle == null ? 0 : idle.size();
        }
    }
}
