#!/usr/bin/env bash
# Time from `veil up CONFIG` to the first completed handshake, against wireguard-go in a second namespace.
# usage: bench/startup.sh [RUNS]   (root; default 5 runs; prints each run and the median, in milliseconds)
# The config has PersistentKeepalive, so Veil starts its handshake as soon as the interface is up; the clock stops
# when `wg show IF latest-handshakes` on Veil's side is non-zero. Everything is created here and removed on exit.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "startup.sh: needs root (namespaces, TUN)" >&2; exit 1; }
runs=${1:-5}
scripts/install-deps.sh
./veil --version >/dev/null   # build outside the measurement
A=veil-su-a B=veil-su-b IFA=vsu-a IFB=vsu-b
work=$(mktemp -d /tmp/veil-startup.XXXXXX)
cleanup() {
  set +e
  ip netns exec $A ./veil down "$work/$IFA.conf" >/dev/null 2>&1
  for ns in $A $B; do for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null; done; done
  for ns in $A $B; do
    for _ in $(seq 50); do [ -z "$(ip netns pids $ns 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del $ns 2>/dev/null
  done
  rm -f /var/run/wireguard/$IFA.sock /var/run/wireguard/$IFB.sock
  rm -rf "$work"
}
trap cleanup EXIT
. bench/netns-lib.sh
netns_pair $A $B vsu-ab vsu-ba 192.168.241.1/30 192.168.241.2/30
ka=$(wg genkey); kb=$(wg genkey); pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)
umask 077
echo "$kb" > "$work/b.key"
ip netns exec $B wireguard-go $IFB >/dev/null 2>&1
ip netns exec $B wg set $IFB private-key "$work/b.key" listen-port 51820 peer "$pa" allowed-ips 10.98.0.1/32
ip -n $B addr add 10.98.0.2/24 dev $IFB; ip -n $B link set $IFB up
cat > "$work/$IFA.conf" <<CONF
[Interface]
PrivateKey = $ka
Address = 10.98.0.1/24

[Peer]
PublicKey = $pb
Endpoint = 192.168.241.2:51820
AllowedIPs = 10.98.0.2/32
PersistentKeepalive = 25
CONF
times=()
for r in $(seq 1 "$runs"); do
  t0=$(date +%s%N)
  ip netns exec $A ./veil up "$work/$IFA.conf" >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
  tup=$(date +%s%N)
  deadline=$((t0 + 10000000000))
  while :; do
    hs=$(ip netns exec $A wg show $IFA latest-handshakes 2>/dev/null | awk '{print $2}')
    [ -n "$hs" ] && [ "$hs" != 0 ] && break
    [ "$(date +%s%N)" -gt $deadline ] && { echo "run $r: no handshake within 10 s" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 )); upms=$(( (tup - t0) / 1000000 ))
  # CPU time of the processes that serve the interface (the JVM), up to now: a figure less sensitive to load.
  ticks=0
  for p in $(ip netns pids $A); do
    t=$(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0); ticks=$((ticks + t))
  done
  echo "run $r: veil up returned after $upms ms, first handshake after $ms ms, CPU $(( ticks * 1000 / $(getconf CLK_TCK) )) ms"
  times+=("$ms")
  ip netns exec $A ./veil down "$work/$IFA.conf" >/dev/null 2>&1
  # wireguard-go forgets the session so that the next run starts from scratch: re-add the peer.
  ip netns exec $B wg set $IFB peer "$pa" remove
  ip netns exec $B wg set $IFB peer "$pa" allowed-ips 10.98.0.1/32
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "veil up -> first handshake: median $median ms over $runs runs"
