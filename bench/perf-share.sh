#!/usr/bin/env bash
# Where the CPU of a whole tunnel goes, by library, for any userspace implementation (Veil's bin/veil-userspace by
# default, or wireguard-go): a pair in two namespaces, iperf3 TCP from A to B for 3 s to get past start-up, then
# `perf record` of both instances for 5 s of an 8-second run; prints the share of samples per shared object and the
# top symbols. For Veil, libgcrypt.so.20 is the AEAD (libcrypto.so.3 with -Dveil.aead=openssl); for wireguard-go, the
# chacha20poly1305 symbols are.
# usage: bench/perf-share.sh [EXECUTABLE]   (root; needs perf)
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "perf-share.sh: needs root (namespaces, TUN)" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf-share.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
IMPL=${1:-$PWD/bin/veil-userspace}
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
. scripts/java-home.sh
JAVA_HOME=$(find_jdk25)
. bench/netns-lib.sh
NA=veil-perf-a NB=veil-perf-b
work=$(mktemp -d /tmp/veil-perf.XXXXXX)
maps=()
cleanup() { set +e; tunnel_remove $NA $NB vpfa vpfb; rm -rf "$work" "${maps[@]}"; }
trap cleanup EXIT
tunnel_pair $NA $NB vpfa vpfb "$IMPL" 10.240.0 10.241.0 || exit 1
ip netns exec $NB iperf3 -s -D >/dev/null 2>&1; sleep 0.3
ip netns exec $NA iperf3 -c 10.241.0.2 -t 3 >/dev/null
pids=$(impl_pids $NA $NB | paste -sd,)
ip netns exec $NA iperf3 -c 10.241.0.2 -t 8 >"$work/iperf.txt" &
sleep 1
perf record -F 999 -p "$pids" -o "$work/perf.data" -- sleep 5 >/dev/null 2>&1
wait
# Name the JIT's code for perf (HotSpot writes /tmp/perf-PID.map on request); other implementations have no jcmd.
maps=()
for p in ${pids//,/ }; do
  if "$JAVA_HOME/bin/jcmd" "$p" Compiler.perfmap >/dev/null 2>&1; then
    maps+=("/tmp/perf-$p.map")
  fi
done
grep receiver "$work/iperf.txt"
perf report -i "$work/perf.data" --no-children --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -10
echo "top symbols:"
perf report -i "$work/perf.data" --no-children --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25
