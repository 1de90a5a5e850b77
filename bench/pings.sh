#!/usr/bin/env bash
# Ping RTT through a tunnel, many pings pooled, for telling implementations (or JVM flags) apart by their slowest
# pings: for each of STARTS starts, each NAME=EXECUTABLE in turn (interleaved, so machine drift hits all alike) brings
# up a tunnel between two namespaces (wireguard-go's contract, as in compare.sh) and sends ROUNDS x 200 pings at 5 ms,
# with no other traffic (-i SECONDS: after an iperf3 TCP run of that long through the tunnel, as when a tunnel has
# carried traffic). Prints the percentiles of all the pings of each NAME and the share over 1 ms.
#
# usage: sudo bench/pings.sh [-s STARTS] [-r ROUNDS] [-i SECONDS] NAME=EXECUTABLE ...   (defaults: 4 starts, 5 rounds)
# A variant with other JVM flags is a wrapper script: export VEIL_JAVA_OPTS="..."; exec .../bin/veil-userspace "$@"
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns-lib.sh"
S=4; R=5; I=0
while getopts "s:r:i:" o; do case $o in s) S=$OPTARG;; r) R=$OPTARG;; i) I=$OPTARG;; *) exit 2;; esac; done
shift $((OPTIND-1))
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
NA=pgA; NB=pgB; out=$(mktemp -d /tmp/pings.XXXX)
trap 'tunnel_remove $NA $NB pga pgb' EXIT
for a in "$@"; do "${a#*=}" --version >/dev/null 2>&1; done  # a launcher that builds does so outside the namespaces
for s in $(seq 1 "$S"); do
  for a in "$@"; do
    n=${a%%=*}; e=${a#*=}
    tunnel_pair $NA $NB pga pgb "$e" 10.232.0 10.233.0 || { tunnel_remove $NA $NB pga pgb; continue; }
    if [ "$I" != 0 ]; then
      ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.3
      ip netns exec $NA iperf3 -c 10.233.0.2 -t "$I" >/dev/null 2>&1
    fi
    for r in $(seq 1 "$R"); do ip netns exec $NA ping -c 200 -i 0.005 10.233.0.2 > "$out/$n-$s-$r.txt"; done
    tunnel_remove $NA $NB pga pgb
  done
done
python3 - "$out" "$@" <<'PY'
import glob, re, statistics, sys
out = sys.argv[1]
for a in sys.argv[2:]:
    n = a.split("=", 1)[0]
    files = [f for f in glob.glob(f"{out}/*.txt") if re.fullmatch(re.escape(n) + r"-\d+-\d+\.txt", f.rsplit("/", 1)[1])]
    t = sorted(float(x) for f in files for x in re.findall(r"time=([0-9.]+) ms", open(f).read()))
    if not t:
        print(f"{n}: no pings"); continue
    q = lambda p: t[int(p * (len(t) - 1))]
    print(f"{n:<12} {len(t)} pings, RTT ms p25 {q(.25):.3f} p50 {q(.5):.3f} p90 {q(.9):.3f} p99 {q(.99):.3f} "
          f"mean {statistics.mean(t):.3f}, over 1 ms {100 * sum(1 for x in t if x > 1) / len(t):.1f}%")
print(f"(pings kept in {out})")
PY
