#!/usr/bin/env bash
# Where Veil's time goes in a whole tunnel: two Veil daemons in namespaces, iperf3 TCP from A to B for SECONDS while
# JFR samples both JVMs; prints, per side, the share of samples by top frame (self time) and by thread.
# usage: bench/profile.sh [SECONDS]   (root; default 10; KEEP_JFR=1 keeps the recordings and prints where)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "profile.sh: needs root (namespaces, TUN)" >&2; exit 1; }
T=${1:-10}
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
. scripts/java-home.sh
JAVA_HOME=$(find_jdk25)
NA=veil-prof-a NB=veil-prof-b
work=$(mktemp -d /tmp/veil-profile.XXXXXX)
cleanup() {
  set +e
  netns_remove $NA $NB
  rm -f /var/run/wireguard/vpra.sock /var/run/wireguard/vprb.sock
  if [ -n "${KEEP_JFR:-}" ]; then echo "recordings kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
java_pid() {  # the JVM in namespace $1
  local p
  for p in $(ip netns pids "$1"); do
    if [ "$(cat /proc/$p/comm 2>/dev/null)" = java ]; then echo "$p"; return 0; fi
  done
  return 1
}
. bench/netns-lib.sh
netns_pair $NA $NB vpr-a vpr-b 10.232.0.1/24 10.232.0.2/24
VEIL_JAVA_OPTS="-XX:StartFlightRecording=filename=$work/a.jfr,settings=profile" ip netns exec $NA bin/veil-userspace vpra
VEIL_JAVA_OPTS="-XX:StartFlightRecording=filename=$work/b.jfr,settings=profile" ip netns exec $NB bin/veil-userspace vprb
wg_pair $NA $NB vpra vprb 10.232.0.1 10.232.0.2 10.233.0
ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.5
ip netns exec $NA iperf3 -c 10.233.0.2 -t 3 >/dev/null   # past the warm-up
ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.5
for side in a b; do
  ns=$([ $side = a ] && echo $NA || echo $NB)
  pid=$(java_pid $ns)
  "$JAVA_HOME/bin/jcmd" "$pid" JFR.stop >/dev/null 2>&1 || true
  "$JAVA_HOME/bin/jcmd" "$pid" JFR.start name=tunnel settings=profile filename="$work/$side-tunnel.jfr" >/dev/null
done
ip netns exec $NA iperf3 -c 10.233.0.2 -t "$T" | grep -E 'sender|receiver'
for side in a b; do
  ns=$([ $side = a ] && echo $NA || echo $NB)
  pid=$(java_pid $ns)
  "$JAVA_HOME/bin/jcmd" "$pid" JFR.dump name=tunnel filename="$work/$side-tunnel.jfr" >/dev/null
  "$JAVA_HOME/bin/jfr" print --json --events jdk.ExecutionSample,jdk.NativeMethodSample "$work/$side-tunnel.jfr" > "$work/$side.json"
  python3 - "$work/$side.json" "$([ $side = a ] && echo 'A (sends the data)' || echo 'B (receives it)')" <<'PY'
import json, sys, collections
events = json.load(open(sys.argv[1]))["recording"]["events"]
top, threads = collections.Counter(), collections.Counter()
for e in events:
    v = e["values"]
    frames = (v.get("stackTrace") or {}).get("frames") or []
    if not frames: continue
    m = frames[0]["method"]
    name = m["type"]["name"].split(".")[-1] + "." + m["name"]
    top[name] += 1
    t = (v.get("sampledThread") or {}).get("javaName") or "?"
    threads[t.split("-")[-2] if t.count("-") >= 2 else t] += 1
n = sum(top.values()) or 1
print(f"== {sys.argv[2]}: {n} samples (Java and native)")
print("   by thread: " + ", ".join(f"{k} {100*c/n:.0f}%" for k, c in threads.most_common(8)))
for k, c in top.most_common(15):
    print(f"   {100*c/n:5.1f}%  {k}")
PY
done
