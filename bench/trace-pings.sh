#!/usr/bin/env bash
# Where a slow ping's time goes, from the kernel's own trace: brings up a tunnel between two namespaces with
# EXECUTABLE (wireguard-go's contract, as in compare.sh), sends ROUNDS x 200 pings at 5 ms, and traces the last round
# with ftrace (context switches and every system call of the implementation's threads). It prints the pings' RTT
# percentiles and, per thread name, how long the threads ran in user space between returning from one system call
# and entering the next: a data-path thread needs a few microseconds there, so a long stretch is time the thread was
# held up after waking (BENCHMARKS.md, "Where the slowest pings go").
#
# usage: sudo bench/trace-pings.sh EXECUTABLE [ROUNDS]     e.g. bin/veil-userspace, or a wireguard-go binary
# Environment: TRACE_FROM=N traces from round N on (default: the last round only); IPERF_FIRST=SECONDS runs iperf3
# through the tunnel before the pings; TRACE_EXTRA="group/event ..." adds ftrace events (e.g. exceptions/page_fault_user).
# Needs root, iproute2, wireguard-tools, iputils-ping, python3 (and iperf3 for IPERF_FIRST) and tracefs (mounted here
# if it is not).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns-lib.sh"
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }
exe=$1; rounds=${2:-3}
T=/sys/kernel/tracing
mounted=
if [ ! -e $T/trace ]; then
  mount -t tracefs nodev $T 2>/dev/null && mounted=1 || { echo "no tracefs at $T" >&2; exit 2; }
fi
NA=trpA; NB=trpB; out=$(mktemp -d /tmp/trace-pings.XXXX)
events="sched/sched_switch raw_syscalls/sys_enter raw_syscalls/sys_exit ${TRACE_EXTRA:-}"  # only these are turned off
buffer_kb=$(cat $T/buffer_size_kb); clock=$(sed 's/.*\[\(.*\)\].*/\1/' $T/trace_clock)
cleanup() {  # the trace settings as they were (the 40 MB a CPU of buffer given back)
  echo 0 > $T/tracing_on; echo > $T/set_event_pid; echo > $T/trace
  for e in $events; do echo 0 > $T/events/$e/enable; done
  echo "$buffer_kb" > $T/buffer_size_kb; echo "$clock" > $T/trace_clock
  tunnel_remove $NA $NB twa twb
  [ -n "$mounted" ] && umount $T; true
}
trap cleanup EXIT
"$exe" --version >/dev/null 2>&1  # a launcher that builds on first use does so here, outside the namespaces
tunnel_pair $NA $NB twa twb "$exe" 10.230.0 10.231.0 || exit 1
if [ -n "${IPERF_FIRST:-}" ]; then  # IPERF_FIRST=SECONDS: a TCP run through the tunnel before the pings
  ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.3
  ip netns exec $NA iperf3 -c 10.231.0.2 -t "$IPERF_FIRST" >/dev/null 2>&1
fi
for r in $(seq 1 "$rounds"); do
  if [ "$r" = "${TRACE_FROM:-$rounds}" ]; then
    echo 0 > $T/tracing_on; echo > $T/trace; echo mono > $T/trace_clock; echo 40000 > $T/buffer_size_kb
    for p in $(impl_pids $NA $NB); do ls /proc/$p/task; done | tr '\n' ' ' > $T/set_event_pid
    for e in $events; do echo 1 > $T/events/$e/enable; done
    echo 1 > $T/tracing_on
  fi
  ip netns exec $NA ping -c 200 -i 0.005 10.231.0.2 > "$out/ping-$r.txt"
done
echo 0 > $T/tracing_on
cat $T/trace > "$out/trace.txt"
python3 - "$out" "${TRACE_FROM:-$rounds}" "$rounds" <<'PY'
import collections, re, sys
out, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = sorted(float(x) for r in range(first, last + 1)
           for x in re.findall(r"time=([0-9.]+) ms", open(f"{out}/ping-{r}.txt").read()))
q = lambda v, p: v[int(p * (len(v) - 1))]
print(f"traced rounds {first}-{last}: {len(t)} pings, RTT ms p50 {q(t, .5):.3f} p90 {q(t, .9):.3f} p99 {q(t, .99):.3f} "
      f"max {t[-1]:.3f}, over 1 ms: {sum(1 for x in t if x > 1)}")
line = re.compile(r"^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$")
exited, gaps = {}, collections.defaultdict(list)
for l in open(f"{out}/trace.txt"):
    m = line.match(l)
    if not m: continue
    comm, tid, ts, ev, arg = m.group(1), m.group(2), float(m.group(3)), m.group(4), m.group(5)
    if ev == "sys_exit": exited[tid] = (ts, arg.split(" =")[0])
    elif ev == "sys_enter" and tid in exited:
        t0, nr = exited.pop(tid); gaps[comm].append(((ts - t0) * 1e6, nr))
    elif ev == "sched_switch" and arg.startswith(f"prev_comm={comm} prev_pid={tid} "): exited.pop(tid, None)
print(f"{'thread':<18}{'returns':>8}{'p50 us':>8}{'p99 us':>8}{'max us':>8}{'>200 us':>9}  after syscall (count)")
for comm, g in sorted(gaps.items(), key=lambda kv: -len(kv[1])):
    v = sorted(x for x, _ in g)
    slow = collections.Counter(nr for x, nr in g if x > 200)
    print(f"{comm:<18}{len(v):>8}{q(v, .5):>8.0f}{q(v, .99):>8.0f}{v[-1]:>8.0f}{sum(slow.values()):>9}  "
          + ", ".join(f"{nr} ({c})" for nr, c in slow.most_common(3)))
print(f"(trace and pings kept in {out})")
PY
