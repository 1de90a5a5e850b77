#!/usr/bin/env bash
# Side-by-side tunnel benchmark of userspace WireGuard implementations on one machine.
#
# usage: compare.sh [-t SECONDS] [-r RUNS] [-P STREAMS] NAME=EXECUTABLE [NAME=EXECUTABLE ...]
#
# Veil's copy of ../shared/bench/compare.sh with three additions: -P, parallel iperf3 streams (default 1); a first
# run of each EXECUTABLE --version outside the namespaces (a launcher that builds on first use needs the network); and
# a last line per implementation with the percentiles of every ping of every run pooled (right after start one
# stall of a few milliseconds moves a run's mean RTT by more than the implementations differ).
#
# Each EXECUTABLE must honour wireguard-go's contract: `EXECUTABLE IFNAME` creates the
# TUN interface IFNAME, serves the UAPI socket /var/run/wireguard/IFNAME.sock and returns
# once both exist (it keeps running in the background). `wg` configures it.
# For each implementation, two test hosts (network namespaces cmpA, cmpB joined by veth)
# run one instance each, and we measure: ping RTT through the tunnel, iperf3 TCP
# throughput both ways, CPU seconds used by the two instances, and their resident memory.
# The first implementation is the baseline: every other row also prints its ratio to it.
# Implementations are interleaved run by run (A B A B ...) so machine drift hits all alike.
# Needs root, iproute2, wireguard-tools (wg), iperf3, iputils-ping, python3.
set -uo pipefail
T=10; R=3; P=1
while getopts "t:r:P:" o; do case $o in t) T=$OPTARG;; r) R=$OPTARG;; P) P=$OPTARG;; *) exit 2;; esac; done
shift $((OPTIND-1))
[ $# -ge 1 ] || { sed -n '2,17p' "$0"; exit 2; }
echo "compare.sh: $T s per direction, $R run(s), $P stream(s)"
for p in wg iperf3 ping python3; do command -v $p >/dev/null || { echo "missing $p (apt-get install wireguard-tools iperf3 iputils-ping)"; exit 2; }; done

NA=cmpA; NB=cmpB; OUT=$(mktemp -d /tmp/compare.XXXX)  # removed at the end unless a tunnel failed (its log is there)
down() {
  local ns p; for ns in $NA $NB; do for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null; done; done
  sleep 0.5
  ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null
  rm -f /var/run/wireguard/cwa.sock /var/run/wireguard/cwb.sock; true
}
trap down EXIT
up_pair() {  # $1 = executable
  down
  ip netns add $NA; ip netns add $NB
  ip link add cva type veth peer name cvb
  ip link set cva netns $NA; ip link set cvb netns $NB
  ip -n $NA addr add 10.220.0.1/24 dev cva; ip -n $NB addr add 10.220.0.2/24 dev cvb
  ip -n $NA link set lo up; ip -n $NB link set lo up
  ip -n $NA link set cva up; ip -n $NB link set cvb up
  ip netns exec $NA "$1" cwa >>"$OUT/impl.log" 2>&1 || return 1
  ip netns exec $NB "$1" cwb >>"$OUT/impl.log" 2>&1 || return 1
  local ka kb; ka=$(wg genkey); kb=$(wg genkey)
  ip netns exec $NA wg set cwa private-key <(echo "$ka") listen-port 51820 \
    peer "$(echo "$kb" | wg pubkey)" endpoint 10.220.0.2:51820 allowed-ips 10.221.0.2/32 || return 1
  ip netns exec $NB wg set cwb private-key <(echo "$kb") listen-port 51820 \
    peer "$(echo "$ka" | wg pubkey)" endpoint 10.220.0.1:51820 allowed-ips 10.221.0.1/32 || return 1
  ip -n $NA addr add 10.221.0.1/24 dev cwa; ip -n $NB addr add 10.221.0.2/24 dev cwb
  ip -n $NA link set cwa mtu 1420 up; ip -n $NB link set cwb mtu 1420 up
  ip netns exec $NA ping -c 3 -W 2 10.221.0.2 >/dev/null
}
impl_pids() {  # processes of the implementation under test (not iperf3 or ping)
  local ns p; for ns in $NA $NB; do for p in $(ip netns pids $ns); do
    case "$(cat /proc/$p/comm 2>/dev/null)" in iperf3|ping|"") ;; *) echo "$p";; esac; done; done; }
cpu_ticks() { local s=0 p; for p in $(impl_pids); do
  [ -r /proc/$p/stat ] && s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
rss_kb() { local s=0 p; for p in $(impl_pids); do
  [ -r /proc/$p/status ] && s=$((s + $(awk '/^VmRSS/{print $2}' /proc/$p/status))); done; echo $s; }
HZ=$(getconf CLK_TCK)

names=(); exes=()
for a in "$@"; do names+=("${a%%=*}"); exes+=("${a#*=}"); done
# Each executable runs once outside the test hosts first (`EXECUTABLE --version`), so that one that builds itself on
# first use (Veil's launcher runs Maven, which may need the network) does so here and not inside a namespace.
for i in "${!names[@]}"; do
  "${exes[$i]}" --version >>"$OUT/impl.log" 2>&1 || { echo "${names[$i]}: ${exes[$i]} --version failed (see $OUT/impl.log)"; exit 2; }
done
for run in $(seq 1 "$R"); do
  for i in "${!names[@]}"; do
    n=${names[$i]}; e=${exes[$i]}
    if ! up_pair "$e"; then echo "$n: the tunnel did not come up (see $OUT/impl.log)"; echo "{\"impl\":\"$n\",\"failed\":true}" >>"$OUT/rows.jsonl"; continue; fi
    ip netns exec $NA ping -c 200 -i 0.005 10.221.0.2 >"$OUT/$n-ping-$run.txt"
    rtt=$(awk -F/ '/rtt/{print $5}' "$OUT/$n-ping-$run.txt")
    for dir in fwd rev; do
      ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.3
      flag=""; [ $dir = rev ] && flag="-R"
      c0=$(cpu_ticks)
      ip netns exec $NA iperf3 -c 10.221.0.2 -t "$T" -P "$P" $flag -J >"$OUT/$n-$dir-$run.json" 2>/dev/null
      c1=$(cpu_ticks)
      python3 - "$OUT/$n-$dir-$run.json" "$n" "$dir" "$rtt" $(( (c1-c0) )) "$HZ" "$(rss_kb)" >>"$OUT/rows.jsonl" <<'PY'
import json, sys
f, n, d, rtt, ticks, hz, rss = sys.argv[1:]
try:
    j = json.load(open(f)); bps = j["end"]["sum_received"]["bits_per_second"]; rex = j["end"]["sum_sent"].get("retransmits", 0)
    secs = j["end"]["sum_received"]["seconds"]; gb = j["end"]["sum_received"]["bytes"] / 1e9
except Exception:
    bps, rex, secs, gb = 0, 0, 0, 0
cpu = int(ticks) / int(hz)
print(json.dumps({"impl": n, "dir": d, "gbps": bps / 1e9, "retransmits": rex, "rtt_ms": float(rtt or 0),
                  "cpu_s": cpu, "cpu_s_per_gb": cpu / gb if gb else None, "rss_mb": int(rss) / 1024}))
PY
    done
  done
done
down; trap - EXIT
python3 - "$OUT/rows.jsonl" "${names[@]}" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
names = sys.argv[2:]
def med(n, d, k):
    v = [r[k] for r in rows if r.get("impl") == n and r.get("dir") == d and r.get(k) is not None]
    return st.median(v) if v else None
def rng(n, d, k):
    v = [r[k] for r in rows if r.get("impl") == n and r.get("dir") == d and r.get(k) is not None]
    return f"{min(v):.2f}-{max(v):.2f}" if v else "-"
fmt = lambda x, p=2: "-" if x is None else f"{x:.{p}f}"
print(f"{'impl':<14}{'dir':<5}{'Gbit/s med':>11}{'(min-max)':>13}{'ratio':>7}{'rtt ms':>8}{'cpu s/GB':>10}{'rss MB':>8}{'retx':>8}")
base = names[0]
for n in names:
    for d in ("fwd", "rev"):
        g = med(n, d, "gbps"); b = med(base, d, "gbps")
        ratio = g / b if g is not None and b else None
        print(f"{n:<14}{d:<5}{fmt(g):>11}{rng(n, d, 'gbps'):>13}{fmt(ratio):>7}{fmt(med(n, d, 'rtt_ms'), 3):>8}"
              f"{fmt(med(n, d, 'cpu_s_per_gb')):>10}{fmt(med(n, d, 'rss_mb'), 0):>8}{fmt(med(n, d, 'retransmits'), 0):>8}")
import glob, re
for n in names:
    pings = sorted(float(m) for f in glob.glob(f"{sys.argv[1].rsplit('/', 1)[0]}/{n}-ping-*.txt")
                   for m in re.findall(r"time=([0-9.]+) ms", open(f).read()))
    if pings:
        q = lambda p: pings[int(p * (len(pings) - 1))]
        print(f"{n}: {len(pings)} pings pooled, RTT ms p25 {q(.25):.3f} p50 {q(.5):.3f} p75 {q(.75):.3f} "
              f"p90 {q(.9):.3f} p99 {q(.99):.3f} mean {st.mean(pings):.3f}")
last = names[-1]
r = [med(last, d, "gbps") / med(base, d, "gbps") for d in ("fwd", "rev") if med(last, d, "gbps") is not None and med(base, d, "gbps")]
print(f"summary: {last}/{base} throughput ratio fwd/rev = " + "/".join(f"{x:.2f}" for x in r) if r else f"summary: {last} produced no throughput")
PY
if grep -q '"failed":true' "$OUT/rows.jsonl" 2>/dev/null; then echo "(logs kept in $OUT)"; else rm -rf "$OUT"; fi
