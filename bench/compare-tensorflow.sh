#!/usr/bin/env bash
# Runs the seed step and the MLP step in TensorFlow Java (graph mode, float64) and in Adjoint, in
# one JMH jar, and prints time per step and the speed ratio. Builds bench/target/benchmarks-tensorflow.jar
# with -Ptensorflow first if it is missing or older than a source or POM of core, nn or bench
# (TensorFlow Java's jars, about 170 MB, come from Maven Central). Usage:
#   bench/compare-tensorflow.sh
# Environment: THREADS (default 2: Adjoint's processor count and TensorFlow's intra-op threads for
# the MLP step; the seed step runs on one thread on both sides), ROUNDS (default 1; with more, the
# two sides take turns and each side's best round counts), JMH_ARGS (extra JMH options, default
# "-wi 5 -i 5"), JVM_ARGS (extra options for the benchmark JVMs).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-1}"
JAR=bench/target/benchmarks-tensorflow.jar
if [ ! -f "$JAR" ] || [ -n "$(find pom.xml core nn bench/pom.xml bench/src -newer "$JAR" \( -name '*.java' -o -name pom.xml \) -not -path '*/target/*' -print -quit)" ]; then
  mvn -B -ntp -q -pl bench -am package -DskipTests -Ptensorflow
fi
OUT="$(mktemp -d)"

for round in $(seq 1 "$ROUNDS"); do
  echo "=== round $round of $ROUNDS"
  echo "== TensorFlow Java $(unzip -p "$JAR" META-INF/maven/org.tensorflow/tensorflow-core-api/pom.properties 2>/dev/null \
    | sed -n 's/^version=//p'), float64, $THREADS intra-op threads"
  # shellcheck disable=SC2086
  java -jar "$JAR" 'TensorFlowTrainingBenchmark\.(seedStep|mlpStep)$' -p threads="$THREADS" -f 1 ${JMH_ARGS:--wi 5 -i 5} \
    -rf json -rff "$OUT/tensorflow-$round.json" -jvmArgsAppend "${JVM_ARGS:-}" | grep -E "^(Benchmark|TensorFlow)"
  echo "== Adjoint, $(java -version 2>&1 | head -1), $THREADS threads${JVM_ARGS:+, $JVM_ARGS}"
  # shellcheck disable=SC2086
  java -jar "$JAR" '\.TrainingBenchmark\.(seedStep|mlpStep)$' -f 1 ${JMH_ARGS:--wi 5 -i 5} -rf json -rff "$OUT/adjoint-$round.json" \
    -jvmArgsAppend "-XX:ActiveProcessorCount=$THREADS --add-modules jdk.incubator.vector ${JVM_ARGS:-}" \
    | grep -E "^(Benchmark|TrainingBenchmark)"
done

python3 - "$OUT" <<'PY'
import glob, json, os, sys
def best(pattern):
    times = {}
    for path in glob.glob(os.path.join(sys.argv[1], pattern)):
        for r in json.load(open(path)):
            name = r["benchmark"].rsplit(".", 1)[1]
            times[name] = min(r["primaryMetric"]["score"], times.get(name, float("inf")))
    return times
tf, adjoint = best("tensorflow-*.json"), best("adjoint-*.json")
print()
print(f"{'workload':<10} {'TensorFlow us':>14} {'Adjoint us':>12} {'speed-up':>9}")
for name in ("seedStep", "mlpStep"):
    if name in tf and name in adjoint:
        print(f"{name:<10} {tf[name]:>14.2f} {adjoint[name]:>12.2f} {tf[name] / adjoint[name]:>8.2f}x")
PY
echo "(raw results in $OUT)"
