#!/usr/bin/env bash
# Prints the home of a JDK 25 or newer: JAVA_HOME when it is one, otherwise the newest under /usr/lib/jvm.
# Exits 1 with one line on stderr when there is none. Sourced by ./veil and ./run-tests.
# Only bash builtins: ./veil runs this on every command, and on some machines each process started costs ~5 ms.
jdk_major() {  # $1 = JDK home; sets JDK_MAJOR to its feature version, or to nothing
  local line
  JDK_MAJOR=
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -r "$1/release" ] || return 0
  while IFS= read -r line; do
    if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then JDK_MAJOR=${BASH_REMATCH[1]}; return 0; fi
  done < "$1/release"
}
find_jdk25() {
  local best="" bestv=0 d
  if [ -n "${JAVA_HOME:-}" ]; then
    jdk_major "$JAVA_HOME"; if [ -n "$JDK_MAJOR" ] && [ "$JDK_MAJOR" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for d in /usr/lib/jvm/*/; do
    d=${d%/}; [ -L "$d" ] && continue
    jdk_major "$d"; [ -n "$JDK_MAJOR" ] || continue
    if [ "$JDK_MAJOR" -ge 25 ] && [ "$JDK_MAJOR" -gt "$bestv" ]; then best=$d; bestv=$JDK_MAJOR; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  echo "veil: no JDK 25 or newer found (JAVA_HOME is ${JAVA_HOME:-unset}, nothing under /usr/lib/jvm); install one, e.g. Temurin 25 (temurin-25-jdk)" >&2
  return 1
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then find_jdk25; fi
