#!/usr/bin/env bash
# Fuzzes Veil's parsers with Jazzer (coverage-guided, libFuzzer inside), each target for SECONDS in a JVM of its
# own, and prints per target the executions, the crashes and the coverage reached. The targets are the classes
# src/test/java/dev/veil/**/*FuzzTest.java; a campaign starts from the committed corpus (their Inputs directories
# under src/test/resources) and from what earlier campaigns kept in .cifuzz-corpus/ (not committed). A crash is
# saved as src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>, which ./run-tests then runs as a
# regression test; the whole log is in target/fuzz.log.
#
# usage: bench/fuzz.sh [SECONDS] [TARGET...]   e.g. bench/fuzz.sh 300, or bench/fuzz.sh 60 ConfigFuzzTest
#        bench/fuzz.sh --seeds                 (re)write each target's seed inputs into the committed corpus
#        bench/fuzz.sh --minimise [TARGET...]  add to the committed corpus, as cov-<sha1>, the inputs of
#                                              .cifuzz-corpus/ that reach edges it does not (libFuzzer -merge=1
#                                              -use_counters=0, through Jazzer's standalone driver)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh
JAVA_HOME=$(find_jdk25) || exit 1
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
command -v mvn >/dev/null || { echo "fuzz.sh: Maven is missing (apt-get install maven)" >&2; exit 1; }

all_targets() {
  find src/test/java -name '*FuzzTest.java' | sort | sed 's|^src/test/java/||; s|\.java$||; s|/|.|g'
}

if [ "${1:-}" = "--seeds" ]; then
  mvn -q -B -ntp -DskipTests test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz.classpath
  # shellcheck disable=SC2046
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
      -cp "target/test-classes:target/classes:$(cat target/fuzz.classpath)" dev.veil.fuzz.WriteSeeds . $(all_targets)
fi

if [ "${1:-}" = "--minimise" ]; then
  shift
  mvn -q -B -ntp -DskipTests test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz.classpath
  # Jazzer's standalone driver runs a @FuzzTest through the JUnit launcher, which the tests do not depend on.
  platform=$(sed -n 's|.*<junit.version>5\.\(.*\)</junit.version>.*|1.\1|p' pom.xml)
  mvn -q -B -ntp dependency:copy -Dartifact="org.junit.platform:junit-platform-launcher:$platform" \
      -DoutputDirectory=target/fuzz-lib
  cp="target/test-classes:target/classes:$(cat target/fuzz.classpath):target/fuzz-lib/junit-platform-launcher-$platform.jar"
  for class in $(all_targets); do
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "${class##*.}"; then continue; fi
    file=src/test/java/${class//.//}.java
    method=$(awk '/@FuzzTest/ { f = 1 } f && match($0, /void [a-zA-Z0-9_]+\(/) { print substr($0, RSTART + 5, RLENGTH - 6); exit }' "$file")
    committed=src/test/resources/$(dirname "${class//.//}")/${class##*.}Inputs/$method
    generated=.cifuzz-corpus/$class/$method
    [ -d "$generated" ] || { echo "$class: nothing in $generated"; continue; }
    merged=target/fuzz-merge/$class
    rm -rf "$merged" && mkdir -p "$merged" && cp "$committed"/* "$merged"/
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" com.code_intelligence.jazzer.Jazzer \
        --target_class="$class" --target_method="$method" -merge=1 -use_counters=0 "$merged" "$generated" \
        >"target/fuzz-merge/$class.log" 2>&1 || { echo "$class: merge failed, see target/fuzz-merge/$class.log" >&2; exit 1; }
    added=0
    for f in "$merged"/*; do
      name=$(basename "$f")
      if [ ! -e "$committed/$name" ]; then cp "$f" "$committed/cov-$name"; added=$((added + 1)); fi
    done
    echo "$class: $added inputs added, $(ls "$committed" | wc -l) in $committed"
  done
  exit 0
fi

seconds=${1:-300}
shift || true
case $seconds in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac
filter=()
if [ $# -gt 0 ]; then filter=("-Dtest=$(IFS=,; echo "$*")"); fi
log=target/fuzz.log
mkdir -p target
echo "fuzz.sh: fuzzing ${*:-every target} for ${seconds}s each; log in $log" >&2
status=0
mvn -B -ntp -Pfuzz test-compile surefire:test@fuzz -Dfuzz.duration="${seconds}s" \
    -Dsurefire.failIfNoSpecifiedTests=false "${filter[@]}" >"$log" 2>&1 || status=$?

# One row per target: executions and seconds (libFuzzer's "Done N runs in S second(s)"), crashes saved,
# coverage (edges) and corpus size at the end, and the JUnit verdict.
awk -v corpus=.cifuzz-corpus '
  /Running dev\.veil\./ { cur = $NF; sub(/.*\./, "", cur); order[++n] = cur; full[cur] = $NF }
  /^Done [0-9]+ runs in/ { runs[cur] = $2; secs[cur] = $5 }
  / cov: [0-9]+/ { for (i = 1; i < NF; i++) if ($i == "cov:") cov[cur] = $(i + 1);
                   for (i = 1; i < NF; i++) if ($i == "corp:") { split($(i + 1), c, "/"); corp[cur] = c[1] } }
  /Test unit written to/ { crashes[cur]++; files[cur] = files[cur] " " $NF }
  /Tests run:.* in dev\.veil\./ { verdict[cur] = ($0 ~ /FAILURE/) ? "FAILED" : "ok" }
  END {
    printf "%-26s %12s %8s %9s %8s %6s %8s  %s\n", "target", "executions", "seconds", "exec/s", "crashes", "edges", "corpus", "result"
    for (i = 1; i <= n; i++) {
      t = order[i]; r = runs[t] + 0; s = secs[t] + 0
      printf "%-26s %12d %8d %9d %8d %6d %8d  %s%s\n", t, r, s, (s > 0 ? r / s : 0), crashes[t], cov[t], corp[t], verdict[t], files[t]
    }
  }' "$log"
if [ "$status" -ne 0 ]; then
  grep -E 'FuzzTestFindingException|AssertionFailedError|Tests run:.*FAIL|BUILD FAILURE' "$log" | head -20 >&2 || true
  echo "fuzz.sh: failed (exit $status); see $log" >&2
fi
exit "$status"
