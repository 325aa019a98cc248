#!/usr/bin/env bash
# float32 against float64 matmul, side by side in one run: numpy and PyTorch (OpenBLAS sgemm/dgemm)
# and Adjoint's MatmulBenchmark with dtype=float32 and float64 (vector kernel), all on the same
# number of threads; prints GFLOP/s and the ratios (Adjoint f32 / numpy f32, Adjoint f32 / f64).
# Usage: bench/compare-sgemm.sh [workload ...]   (default: matmul_1024; names in Workload.java)
# Both sides report their fastest single call (numpy/torch: pytorch_workloads.py --fastest; JMH:
# sample mode, percentile 0): on a machine shared with other jobs it is the least disturbed one;
# JMH's mean is printed too.
# Environment: THREADS (default 2), ROUNDS (default 2; each side's best round counts),
# JMH_ARGS (extra JMH options), JAVA_ARGS (e.g. -Djmh.ignoreLock=true while another JMH run holds
# the lock), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"
WORKLOADS=("$@")
if [ ${#WORKLOADS[@]} -eq 0 ]; then
  WORKLOADS=(matmul_1024)
fi
JAR=bench/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  mvn -B -ntp -q -pl bench -am package -DskipTests
fi
OUT="$(mktemp -d)"
PARAMS="$(IFS=,; echo "${WORKLOADS[*]}")"

for round in $(seq 1 "$ROUNDS"); do
  echo "=== round $round of $ROUNDS"
  for dtype in float32 float64; do
    # see compare-pytorch.sh: these variables would pin a slower OpenBLAS kernel
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      "$PYTHON" bench/pytorch_workloads.py --threads "$THREADS" --dtype "$dtype" --fastest --min-time 1 "${WORKLOADS[@]}" \
      | tee -a "$OUT/python.jsonl"
  done
  # shellcheck disable=SC2086
  java ${JAVA_ARGS:-} -jar "$JAR" MatmulBenchmark -p workload="$PARAMS" -p dtype=float32,float64 -bm sample -tu us -rf json -rff "$OUT/jmh-$round.json" \
    ${JMH_ARGS:-} -jvmArgsAppend "-XX:ActiveProcessorCount=$THREADS -Dadjoint.logKernels=true --add-modules jdk.incubator.vector" \
    | grep -E "Adjoint kernels|^MatmulBenchmark|^Benchmark"
done

echo
"$PYTHON" - "$OUT" "${WORKLOADS[@]}" <<'PY'
import glob, json, sys
out, workloads = sys.argv[1], sys.argv[2:]
best = {}
flops = {}
for line in open(out + "/python.jsonl"):
    if line.startswith("{"):
        r = json.loads(line)
        if "workload" in r:
            key = (r["workload"], r["backend"], r["dtype"])
            best[key] = max(best.get(key, 0.0), r["gflops"])
            flops[r["workload"]] = r["flops"]
for path in glob.glob(out + "/jmh-*.json"):
    for r in json.load(open(path)):
        w, d = r["params"]["workload"], r["params"]["dtype"]
        fastest = flops[w] / (r["primaryMetric"]["scorePercentiles"]["0.0"] * 1e-6) / 1e9
        mean = flops[w] / (r["primaryMetric"]["score"] * 1e-6) / 1e9
        best[(w, "adjoint", d)] = max(best.get((w, "adjoint", d), 0.0), fastest)
        best[(w, "adjoint mean", d)] = max(best.get((w, "adjoint mean", d), 0.0), mean)
print("GFLOP/s of the fastest call, best round of each side (adjoint's mean in brackets)")
print(f"{'workload':<18}{'adjoint f32':>12}{'adjoint f64':>12}{'numpy f32':>11}{'torch f32':>11}{'numpy f64':>11}"
      f"{'adj f32/numpy f32':>19}{'adj f32/f64':>13}")
for w in workloads:
    g = lambda b, d: best.get((w, b, d), float("nan"))
    print(f"{w:<18}{g('adjoint','float32'):12.1f}{g('adjoint','float64'):12.1f}{g('numpy','float32'):11.1f}"
          f"{g('torch','float32'):11.1f}{g('numpy','float64'):11.1f}"
          f"{g('adjoint','float32') / g('numpy','float32'):19.2f}{g('adjoint','float32') / g('adjoint','float64'):13.2f}"
          f"   ({g('adjoint mean','float32'):.1f} / {g('adjoint mean','float64'):.1f})")
print("(raw results in " + out + ")")
PY
