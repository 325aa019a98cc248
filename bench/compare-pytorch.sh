#!/usr/bin/env bash
# Runs the matmul workloads in numpy and PyTorch (float64) and in Adjoint's JMH harness, with the
# vector kernel and with the scalar one, all on the same number of threads, and prints GFLOP/s and
# ratios. Usage: bench/compare-pytorch.sh [workload ...]   (default: all; names in Workload.java)
# Environment: THREADS (default 2), ROUNDS (default 1; with more, each side's best round counts),
# JMH_ARGS (extra JMH options, e.g. "-wi 3 -i 3"), BACKENDS (default numpy,torch),
# PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-1}"
PYTHON="${PYTHON:-/usr/bin/python3}"
BACKENDS="${BACKENDS:-numpy,torch}"
WORKLOADS=("$@")
if [ ${#WORKLOADS[@]} -eq 0 ]; then
  WORKLOADS=(matmul_1024 mlp1_forward mlp1_grad_input mlp1_grad_weight mlp2_forward mlp2_grad_input mlp2_grad_weight)
fi
JAR=bench/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  mvn -B -ntp -q -pl bench -am package -DskipTests
fi
OUT="$(mktemp -d)"
PARAMS="$(IFS=,; echo "${WORKLOADS[*]}")"

# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE may be set on this machine to keep old OpenBLAS builds safe;
# they would pin a slower kernel, so they are dropped for this command only. OpenBLAS names the
# core type it picked on stderr (OPENBLAS_VERBOSE=2).
run_python() {
  echo "== numpy / torch, $THREADS threads"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_VERBOSE=2 \
    "$PYTHON" bench/pytorch_workloads.py --threads "$THREADS" --backends "$BACKENDS" "${WORKLOADS[@]}" \
    | tee -a "$OUT/python.jsonl"
}

# -XX:ActiveProcessorCount sizes Adjoint's fork/join pool to the same thread count.
run_jmh() {
  local label="$1"; shift
  echo "== adjoint ($label kernel), $THREADS threads"
  # shellcheck disable=SC2086
  java -jar "$JAR" MatmulBenchmark -p workload="$PARAMS" -rf json -rff "$OUT/$label-$round.json" ${JMH_ARGS:-} \
    -jvmArgsAppend "-XX:ActiveProcessorCount=$THREADS -Dadjoint.logKernels=true $*" | grep -E "Adjoint kernels|^MatmulBenchmark|^Benchmark"
}

RESULTS=()
for round in $(seq 1 "$ROUNDS"); do
  echo "=== round $round of $ROUNDS"
  run_python
  run_jmh vector --add-modules jdk.incubator.vector
  run_jmh scalar -Dadjoint.vector=false
  RESULTS+=("vector=$OUT/vector-$round.json" "scalar=$OUT/scalar-$round.json")
done

echo
"$PYTHON" bench/compare_table.py "$OUT/python.jsonl" "${RESULTS[@]}"
echo "(raw results in $OUT)"
