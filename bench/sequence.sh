#!/usr/bin/env bash
# One pair of instances of a userspace implementation (Veil's bin/veil-userspace by default) in two namespaces, and
# a sequence of measurements on it, in order: `fwd` and `rev` (iperf3 TCP, one stream, SECONDS each, from A to B or
# back: Gbit/s and CPU seconds per GB of the two instances), `ping` (200 pings 5 ms apart: average RTT), `sleepN`
# (wait N seconds). compare.sh measures right after start; repeating a direction here shows what the first run pays
# for the JIT, and what the implementation does warm.
# usage: bench/sequence.sh [-e EXECUTABLE] [-t SECONDS] STEP...   e.g. bench/sequence.sh ping fwd rev fwd rev ping
# (root; defaults bin/veil-userspace, 8 s). VEIL_JAVA_OPTS reaches Veil's JVMs.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "sequence.sh: needs root (namespaces, TUN)" >&2; exit 1; }
IMPL=$PWD/bin/veil-userspace T=8
while getopts "e:t:" o; do case $o in e) IMPL=$OPTARG;; t) T=$OPTARG;; *) exit 2;; esac; done
shift $((OPTIND-1))
[ $# -ge 1 ] || { sed -n '2,8p' "$0"; exit 2; }
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
. bench/netns-lib.sh
NA=veil-seq-a NB=veil-seq-b
work=$(mktemp -d /tmp/veil-sequence.XXXXXX)
cleanup() { set +e; tunnel_remove $NA $NB vsqa vsqb; rm -rf "$work"; }
trap cleanup EXIT
tunnel_pair $NA $NB vsqa vsqb "$IMPL" 10.236.0 10.237.0 || exit 1
ticks() { local s=0 p; for p in $(impl_pids $NA $NB); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
ip netns exec $NB iperf3 -s -D >/dev/null 2>&1; sleep 0.3
for step in "$@"; do
  case $step in
    ping) ip netns exec $NA ping -q -c 200 -i 0.005 10.237.0.2 | awk -F/ '/rtt/{sub(/.*= /, "", $4); print "ping: average", $5, "ms (min", $4, "max", $6 ")"}' ;;
    sleep*) sleep "${step#sleep}" ;;
    fwd|rev)
      flag=""; [ $step = rev ] && flag=-R
      c0=$(ticks)
      ip netns exec $NA iperf3 -c 10.237.0.2 -t "$T" $flag -J >"$work/iperf.json"
      c1=$(ticks)
      python3 - "$work/iperf.json" "$step" $((c1 - c0)) "$(getconf CLK_TCK)" <<'PY'
import json, sys
f, step, ticks, hz = sys.argv[1:]
r = json.load(open(f))["end"]["sum_received"]
gb = r["bytes"] / 1e9
print(f"{step}: {r['bits_per_second'] / 1e9:.2f} Gbit/s, {int(ticks) / int(hz) / gb:.2f} CPU s/GB")
PY
      ;;
    *) echo "sequence.sh: unknown step $step (fwd, rev, ping, sleepN)" >&2; exit 2 ;;
  esac
done
