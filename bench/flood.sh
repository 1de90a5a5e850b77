#!/usr/bin/env bash
# Runs Veil's flood generator (dev.veil.bench.Flood, in the test classes) with JDK 25. It floods a WireGuard responder
# with valid-mac1 handshake initiations from many source addresses (--mode flood), or sends every kind of
# unauthenticated datagram and counts the replies, which must be 0 (--mode silence); bounded in count and time, it
# prints one JSON line and exits (--stop-on-eof true also stops it when its standard input ends). Run it inside the
# namespace that owns the source addresses, e.g.
#   ip netns exec NS bench/flood.sh --target 10.233.7.2:51820 --public-key BASE64 \
#       --sources 10.235.7.1 --source-count 250 --rate 2000 --count 80000 --seconds 40
# DenialOfServiceTest (src/test/java/dev/veil/interop) builds such namespaces and measures a legitimate peer during the flood.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/test-classpath.sh
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$TEST_CLASSPATH" dev.veil.bench.Flood "$@"
