#!/usr/bin/env bash
# Runs JMH benchmarks from the test classes with JDK 25.
# usage: bench/jmh.sh [JMH arguments], e.g. bench/jmh.sh AeadBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
JAVA_HOME=$(find_jdk25) || exit 1
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
command -v mvn >/dev/null || { echo "jmh.sh: Maven is missing (apt-get install maven)" >&2; exit 1; }
mvn -q -B -ntp -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
exec "$JAVA_HOME/bin/java" -cp "target/classes:target/test-classes:$(cat target/jmh.classpath)" \
    org.openjdk.jmh.Main "$@"
