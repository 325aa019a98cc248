#!/usr/bin/env bash
# Builds the spark module (and what it needs) and runs SparkFashionMnist in local mode, with the JVM
# options spark-submit would add. Arguments go to the example: --master local[2] --epochs 3 --measure ...
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -ntp -pl spark -am package -DskipTests
OPENS=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS="$OPENS --add-opens=java.base/$p=ALL-UNNAMED"
done
exec java -XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector $OPENS \
  -Dio.netty.tryReflectionSetAccessible=true -Dlog4j2.configurationFile=spark/example-log4j2.properties ${JAVA_OPTS:-} \
  -cp "spark/target/adjoint-spark-0.1.0-SNAPSHOT.jar:$(cat spark/target/classpath.txt)" \
  dev.adjoint.spark.examples.SparkFashionMnist "$@"
