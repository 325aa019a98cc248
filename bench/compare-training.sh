#!/usr/bin/env bash
# Runs whole training iterations and elementwise work in PyTorch (float64, and float32 for
# mlpStepFloat32) and in Adjoint's JMH harness in one go, and prints time per call, the speed ratio,
# and each side's float32 over float64 speed-up of the MLP step. Usage:
#   bench/compare-training.sh [workload ...]     (seedStep mlpStep mlpStepFloat32 fashionMlpStep biasRelu softmax logSoftmax softmaxChannels logSoftmaxChannels tanh sigmoid
#                                                  log log1p softplus gelu geluGrad siluGrad layerNorm batchNorm batchNorm1d batchNormEval tanhGrad sigmoidGrad sqrt neg conv2d wideConv maxPool2d expandedAdd
#                                                  transposeCopy
#                                                  sumBackward lookup lookupBackward gatherTargets concat where gt clamp
#                                                  leakyReluGrad absGrad clampGrad maximumGrad whereGrad maximum argmaxRows
#                                                  maxRows sumColumns maxRowsGrad squaredDifferenceGrad crossEntropyGrad crossEntropyTargetsGrad;
#                                                  default the first five)
# Environment: THREADS (default 2; the seed step always runs on 1 thread, as its target says),
# ROUNDS (default 1; with more, PyTorch and Adjoint take turns and each side's best round counts,
# which is fair to both on a shared machine whose speed drifts over minutes),
# JMH_ARGS (extra JMH options, e.g. "-prof gc"), JVM_ARGS (extra options for the benchmark JVMs,
# e.g. "-XX:+UseSerialGC"), PYTHON (default /usr/bin/python3), DTYPE (float64, the default, or
# float32: both sides run in it where the Adjoint benchmark has a dtype parameter; the others
# print no ratio, as their Adjoint side stays float64). A workload
# with a RecordedStep replay (seedStep, mlpStep, biasRelu, softmax) gets a "replayed" row too, and one
# run in a MemoryScope (biasRelu, softmax, geluGrad, siluGrad, lookup, concat, where, gt, clamp) a "scoped" row; tanh, sigmoid, log, log1p, softplus, gelu
# and maximum (forward only), logSoftmax, softmaxChannels, logSoftmaxChannels, layerNorm, batchNorm, batchNorm1d, batchNormEval, tanhGrad, sigmoidGrad, sqrt and neg run only in a MemoryScope.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-1}"
PYTHON="${PYTHON:-/usr/bin/python3}"
DTYPE="${DTYPE:-float64}"
WORKLOADS=("$@")
if [ ${#WORKLOADS[@]} -eq 0 ]; then
  WORKLOADS=(seedStep mlpStep mlpStepFloat32 biasRelu softmax)
fi
JAR=bench/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  mvn -B -ntp -q -pl bench -am package -DskipTests
fi
OUT="$(mktemp -d)"
# each workload's RecordedStep replay (seedStepReplayed, ...) and MemoryScope run (biasReluScoped, ...)
# run too where there is one
# convolution and pooling from ConvDtypeBenchmark (ConvBenchmark's workloads, with a dtype parameter)
REGEX="$(IFS='|'; echo "(TrainingBenchmark|ElementwiseBenchmark|ConvDtypeBenchmark|StridedBenchmark|SelectionBenchmark)\\.(${WORKLOADS[*]})(Replayed|Scoped)?\$")"

for round in $(seq 1 "$ROUNDS"); do
  echo "=== round $round of $ROUNDS"
  echo "== PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)'), $DTYPE (mlpStepFloat32: float32), $THREADS threads"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/pytorch_training.py --threads "$THREADS" --dtype "$DTYPE" "${WORKLOADS[@]}" \
    | tee -a "$OUT/torch.jsonl"

  echo "== Adjoint, $(java -version 2>&1 | head -1), $THREADS threads${JVM_ARGS:+, $JVM_ARGS}"
  # shellcheck disable=SC2086
  java -jar "$JAR" "$REGEX" -p dtype="$DTYPE" -rf json -rff "$OUT/adjoint-$round.json" ${JMH_ARGS:-} \
    -jvmArgsAppend "-XX:ActiveProcessorCount=$THREADS --add-modules jdk.incubator.vector ${JVM_ARGS:-}" \
    | grep -E "^(Benchmark|TrainingBenchmark|ElementwiseBenchmark|ConvDtypeBenchmark|StridedBenchmark|SelectionBenchmark)"
done

"$PYTHON" - "$OUT/torch.jsonl" "$OUT"/adjoint-*.json <<'PY'
import json, sys
# each side's best (lowest) time over the rounds
torch = {}
torch_dtype = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    torch[r["workload"]] = min(r["us"], torch.get(r["workload"], float("inf")))
    torch_dtype[r["workload"]] = r["dtype"]
adjoint = {}
adjoint_dtype = {}
for path in sys.argv[2:]:
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 1)[1]
        adjoint[name] = min(r["primaryMetric"]["score"], adjoint.get(name, float("inf")))
        # a benchmark without a dtype parameter runs float64 (mlpStepFloat32: float32)
        adjoint_dtype[name] = r.get("params", {}).get("dtype", "float32" if name == "mlpStepFloat32" else "float64")
print()
print(f"{'workload':<15} {'PyTorch us':>12} {'Adjoint us':>12} {'speed-up':>9}")
def row(label, name, us, a):
    base = name.replace("Replayed", "").replace("Scoped", "")
    if adjoint_dtype[name] == torch_dtype[base]:
        print(f"{label:<15} {us:>12.2f} {a:>12.2f} {us / a:>8.2f}x")
    else:
        # no ratio across dtypes: this Adjoint benchmark has no dtype parameter
        print(f"{label:<15} {us:>12.2f} {a:>12.2f}   (PyTorch {torch_dtype[base]}, Adjoint {adjoint_dtype[name]}: no ratio)")
for name, us in torch.items():
    a = adjoint.get(name)
    if a:
        row(name, name, us, a)
    s = adjoint.get(name + "Scoped")
    if s:
        # tanh, sigmoid, log, log1p, softplus and gelu have only a scoped benchmark: their row is named
        row("  scoped" if a else name + " (scoped)", name + "Scoped", us, s)
    r = adjoint.get(name + "Replayed")
    if r:
        row("  replayed", name + "Replayed", us, r)
if "mlpStep" in adjoint and "mlpStepFloat32" in adjoint:
    print()
    print(f"float32 over float64, MLP step: Adjoint {adjoint['mlpStep'] / adjoint['mlpStepFloat32']:.2f}x", end="")
    # PyTorch's float64 step only when it ran in float64 (DTYPE=float32 runs both in float32)
    if "mlpStep" in torch and "mlpStepFloat32" in torch and torch_dtype["mlpStep"] == "float64":
        print(f", PyTorch {torch['mlpStep'] / torch['mlpStepFloat32']:.2f}x")
    else:
        print()
PY
echo "(raw results in $OUT)"
