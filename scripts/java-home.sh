#!/usr/bin/env bash
# Prints the home of a JDK 25 or newer: JAVA_HOME when it is one, otherwise the newest under /usr/lib/jvm.
# Exits 1 with one line on stderr when there is none. Sourced by ./veil and ./run-tests.
jdk_major() {  # $1 = JDK home; prints its feature version, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}
find_jdk25() {
  local v best="" bestv=0 d
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(jdk_major "$JAVA_HOME"); if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for d in /usr/lib/jvm/*/; do
    d=${d%/}; [ -L "$d" ] && continue
    v=$(jdk_major "$d"); [ -n "$v" ] || continue
    if [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  echo "veil: no JDK 25 or newer found (JAVA_HOME is ${JAVA_HOME:-unset}, nothing under /usr/lib/jvm); install one, e.g. Temurin 25 (temurin-25-jdk)" >&2
  return 1
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then find_jdk25; fi
