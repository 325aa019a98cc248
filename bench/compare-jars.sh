#!/usr/bin/env bash
# A/B test of two builds of the benchmark jar: runs one JMH benchmark from each in turn, ROUNDS
# times, one fork per turn, and prints each turn's fastest, median and slowest measurement
# iteration. Taking turns is what makes the comparison fair on a shared machine whose speed drifts
# by tens of percent within minutes; compare the two jars' fastest iterations over all rounds.
# Usage:
#   cp bench/target/benchmarks.jar /tmp/before.jar    # then change the code and rebuild
#   bench/compare-jars.sh /tmp/before.jar bench/target/benchmarks.jar 'TrainingBenchmark.seedStep$'
# Environment: ROUNDS (default 3), JVM_ARGS (extra JVM options, e.g. "-XX:+UseSerialGC"),
# JMH_ARGS (default "-wi 6 -i 4").
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BEFORE.jar AFTER.jar BENCHMARK_REGEX" >&2
  exit 2
fi
BEFORE="$1"
AFTER="$2"
REGEX="$3"
ROUNDS="${ROUNDS:-3}"
for jar in "$BEFORE" "$AFTER"; do
  if [ ! -f "$jar" ]; then
    echo "$0: no such jar: $jar" >&2
    exit 2
  fi
done

for round in $(seq 1 "$ROUNDS"); do
  for jar in "$BEFORE" "$AFTER"; do
    # shellcheck disable=SC2086
    times="$(java -jar "$jar" "$REGEX" -f 1 ${JMH_ARGS:--wi 6 -i 4} \
      -jvmArgsAppend "--add-modules jdk.incubator.vector ${JVM_ARGS:-}" 2>/dev/null \
      | awk '/^Iteration/ {print $3}' | sort -g)"
    if [ -z "$times" ]; then
      echo "$0: $jar ran no iteration of $REGEX" >&2
      exit 1
    fi
    count="$(echo "$times" | wc -l)"
    printf 'round %s  %-40s fastest %s  median %s  slowest %s\n' "$round" "$jar" \
      "$(echo "$times" | head -1)" "$(echo "$times" | sed -n "$(( (count + 1) / 2 ))p")" "$(echo "$times" | tail -1)"
  done
done
