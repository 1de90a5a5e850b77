#!/usr/bin/env bash
# Resident memory of a tunnel's two instances (the sum of VmRSS) right after start and after each of a few iperf3
# runs (TCP, one stream, forward and reverse in turn), with the throughput of each run: for changes that move RSS
# by a few MB, which compare.sh's single sample per run hides in its spread. Any userspace implementation; Veil's
# bin/veil-userspace by default. VEIL_JAVA_OPTS and MALLOC_ARENA_MAX reach Veil's JVMs.
# With -s SECONDS, instead: one forward run of that length started as soon as the tunnel is up, and the RSS every
# half second from then until twice that long (whether memory stays flat in the first seconds, while the JIT works).
# With -u SECONDS, instead: no traffic, and the RSS every 0.2 s for that long, each sample behind the first
# instance's uptime in seconds (when the JVMs give memory back, e.g. HotSpot's chunk pool emptied every 5 s).
# usage: bench/rss.sh [-e EXECUTABLE] [-n RUNS] [-t SECONDS] [-s SECONDS | -u SECONDS]   (root; defaults 4 runs of 5 s)
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "rss.sh: needs root (namespaces, TUN)" >&2; exit 1; }
IMPL=$PWD/bin/veil-userspace N=4 T=5 S=0 U=0
while getopts "e:n:t:s:u:" o; do
  case $o in e) IMPL=$OPTARG;; n) N=$OPTARG;; t) T=$OPTARG;; s) S=$OPTARG;; u) U=$OPTARG;; *) exit 2;; esac
done
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
. bench/netns-lib.sh
NA=veil-rss-a NB=veil-rss-b
g=""  # -s: the iperf3 client's output
cleanup() { set +e; tunnel_remove $NA $NB vrsa vrsb; [ -n "$g" ] && rm -f "$g"; }
trap cleanup EXIT
tunnel_pair $NA $NB vrsa vrsb "$IMPL" 10.232.0 10.233.0 || exit 1
rss_mb() { local s=0 p; for p in $(impl_pids $NA $NB); do s=$((s + $(awk '/^VmRSS/{print $2}' /proc/$p/status))); done; echo $((s / 1024)); }
if [ "$U" -gt 0 ]; then
  p1=$(impl_pids $NA $NB | head -1)
  start=$(awk '{print $22}' /proc/$p1/stat)
  line="uptime:MB every 0.2 s, no traffic:"
  for _ in $(seq 1 $((5 * U))); do
    line="$line $(awk -v st="$start" -v hz="$(getconf CLK_TCK)" '{printf "%.1f", $1 - st / hz}' /proc/uptime):$(rss_mb)"
    sleep 0.2
  done
  echo "$line"
  exit 0
fi
ip netns exec $NB iperf3 -s -D >/dev/null 2>&1; sleep 0.3
if [ "$S" -gt 0 ]; then
  g=$(mktemp /tmp/rss-iperf.XXXXXX)
  ip netns exec $NA iperf3 -c 10.233.0.2 -t "$S" -f g >"$g" 2>&1 &
  line="MB every 0.5 s from start (a ${S}-second forward run from 0 s):"
  for _ in $(seq 1 $((4 * S))); do line="$line $(rss_mb)"; sleep 0.5; done
  wait
  echo "$line; fwd $(awk '/receiver/{print $(NF-2)}' "$g") Gbit/s"
  exit 0
fi
line="start $(rss_mb) MB"
for i in $(seq 1 "$N"); do
  flag=""; [ $((i % 2)) = 0 ] && flag="-R"
  g=$(ip netns exec $NA iperf3 -c 10.233.0.2 -t "$T" $flag -f g | awk '/receiver/{print $(NF-2)}')
  line="$line | ${flag:-fwd} ${g:-?} Gbit/s, $(rss_mb) MB"
done
echo "$line" | sed 's/| -R/| rev/g'
