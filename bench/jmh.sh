#!/usr/bin/env bash
# Runs JMH benchmarks from the test classes with JDK 25.
# usage: bench/jmh.sh [JMH arguments], e.g. bench/jmh.sh AeadBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/test-classpath.sh
exec "$JAVA_HOME/bin/java" -cp "$TEST_CLASSPATH" org.openjdk.jmh.Main "$@"
