#!/usr/bin/env bash
# Time to configure PEERS peers with IPS allowed IPs each through the UAPI socket (`wg setconf`), on Veil and, for
# comparison, on wireguard-go (Debian's, or the one given), each in a namespace of its own.
# usage: bench/uapi-scale.sh [PEERS [IPS_PER_PEER [WIREGUARD_GO]]]   (root; defaults 10000 13 wireguard-go)
# Prints the seconds `wg setconf` took and that the interface then reports PEERS peers and PEERS*IPS allowed IPs.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "uapi-scale.sh: needs root (namespaces, TUN)" >&2; exit 1; }
peers=${1:-10000} ips=${2:-13} wggo=${3:-wireguard-go}
scripts/install-deps.sh
./veil --version >/dev/null   # build outside the measurement
work=$(mktemp -d /tmp/veil-uapi-scale.XXXXXX)
NS=veil-us-$$
cleanup() {
  set +e
  for p in $(ip netns pids $NS 2>/dev/null); do kill "$p" 2>/dev/null; done
  for _ in $(seq 50); do [ -z "$(ip netns pids $NS 2>/dev/null)" ] && break; sleep 0.1; done
  ip netns del $NS 2>/dev/null
  rm -f /var/run/wireguard/vus-veil.sock /var/run/wireguard/vus-wggo.sock
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add $NS
python3 - "$peers" "$ips" "$(wg genkey)" > "$work/big.conf" <<'PY'
import base64, os, sys
peers, ips, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = ["[Interface]", "PrivateKey = " + key, "ListenPort = 51999", ""]
n = 0
for p in range(peers):
    out.append("[Peer]")
    out.append("PublicKey = " + base64.b64encode(os.urandom(32)).decode())
    allowed = []
    for _ in range(ips):
        # distinct /32s in 10.0.0.0/8 and 172.16.0.0/12 (wraps into the second range after 16M)
        a = 0x0A000000 + n if n < (1 << 24) else 0xAC100000 + (n - (1 << 24))
        allowed.append("%d.%d.%d.%d/32" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
        n += 1
    out.append("AllowedIPs = " + ", ".join(allowed))
    out.append("")
print("\n".join(out))
PY
chmod 600 "$work/big.conf"
measure() {  # $1 = label, $2 = executable, $3 = interface
  ip netns exec $NS "$2" "$3" >/dev/null
  local t0 t1
  t0=$(date +%s%N)
  ip netns exec $NS wg setconf "$3" "$work/big.conf"
  t1=$(date +%s%N)
  local np na
  np=$(ip netns exec $NS wg show "$3" peers | wc -l)
  na=$(ip netns exec $NS wg show "$3" allowed-ips | awk '{n += NF - 1} END {print n}')
  printf '%-12s %d peers, %d allowed IPs configured in %d.%03d s\n' "$1" "$np" "$na" \
    $(( (t1 - t0) / 1000000000 )) $(( (t1 - t0) / 1000000 % 1000 ))
  ip -n $NS link del "$3"
}
measure veil bin/veil-userspace vus-veil
if command -v "$wggo" >/dev/null || [ -x "$wggo" ]; then
  measure wireguard-go "$(command -v "$wggo" || echo "$wggo")" vus-wggo
else
  echo "wireguard-go: not found ($wggo), skipped"
fi
