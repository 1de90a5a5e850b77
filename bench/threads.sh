#!/usr/bin/env bash
# Where each thread's CPU goes in a whole tunnel: two instances of a userspace implementation (Veil's
# bin/veil-userspace by default) in namespaces, iperf3 TCP from A to B for SECONDS after a 3-second run to get past
# the JIT; prints, per namespace and thread name, user and system CPU seconds and voluntary/involuntary context
# switches over the measured run (from /proc/PID/task/*/stat and status). VEIL_JAVA_OPTS reaches Veil's JVMs.
# usage: bench/threads.sh [SECONDS] [EXECUTABLE]   (root; defaults 8 s, bin/veil-userspace)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "threads.sh: needs root (namespaces, TUN)" >&2; exit 1; }
T=${1:-8}
IMPL=${2:-$PWD/bin/veil-userspace}
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
NA=veil-thr-a NB=veil-thr-b
work=$(mktemp -d /tmp/veil-threads.XXXXXX)
. bench/netns-lib.sh
cleanup() { set +e; tunnel_remove $NA $NB vta vtb; rm -rf "$work"; }
trap cleanup EXIT
tunnel_pair $NA $NB vta vtb "$IMPL" 10.234.0 10.235.0 || exit 1
ip netns exec $NB iperf3 -s -D >/dev/null 2>&1; sleep 0.5
ip netns exec $NA iperf3 -c 10.235.0.2 -t 3 >/dev/null   # past the warm-up
snapshot() {  # namespace, thread name, utime, stime, voluntary and involuntary switches, tid
  local ns p t
  for ns in $NA $NB; do for p in $(ip netns pids $ns); do
    case "$(cat /proc/$p/comm 2>/dev/null)" in iperf3|"") continue;; esac
    for t in /proc/$p/task/*; do
      echo "$ns $(tr ' ' _ <"$t/comm") $(awk '{print $14, $15}' "$t/stat") \
$(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' "$t/status") ${t##*/}"
    done 2>/dev/null
  done; done
}
snapshot >"$work/before"
ip netns exec $NA iperf3 -c 10.235.0.2 -t "$T" | grep -E 'receiver'
snapshot >"$work/after"
python3 - "$work/before" "$work/after" "$(getconf CLK_TCK)" <<'PY'
import collections, sys
def read(path):
    d = {}
    for line in open(path):
        ns, name, u, s, v, n, tid = line.split()
        d[(ns, tid)] = (name, int(u), int(s), int(v), int(n))
    return d
before, after, hz = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
rows = collections.defaultdict(lambda: [0, 0, 0, 0])
for key, (name, u, s, v, n) in after.items():
    _, u0, s0, v0, n0 = before.get(key, (name, 0, 0, 0, 0))
    r = rows[(key[0], name)]
    r[0] += u - u0; r[1] += s - s0; r[2] += v - v0; r[3] += n - n0
total = [0, 0]
print(f"{'namespace':<12}{'thread':<18}{'user s':>8}{'sys s':>8}{'vol cs':>9}{'invol cs':>9}")
for (ns, name), (u, s, v, n) in sorted(rows.items()):
    if u + s + v + n == 0: continue
    total[0] += u; total[1] += s
    print(f"{ns:<12}{name:<18}{u/hz:>8.2f}{s/hz:>8.2f}{v:>9}{n:>9}")
print(f"total: user {total[0]/hz:.2f} s, system {total[1]/hz:.2f} s")
PY
