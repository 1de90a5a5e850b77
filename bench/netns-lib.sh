# Sourced by the bench scripts. netns_pair NS_A NS_B VETH_A VETH_B ADDR_A/LEN ADDR_B/LEN: two network namespaces
# joined by a veth pair, with the addresses given and every link up (the caller removes them).
netns_pair() {
  ip netns add "$1"; ip netns add "$2"
  ip link add "$3" type veth peer name "$4"
  ip link set "$3" netns "$1"; ip link set "$4" netns "$2"
  ip -n "$1" addr add "$5" dev "$3"; ip -n "$2" addr add "$6" dev "$4"
  ip -n "$1" link set lo up; ip -n "$2" link set lo up
  ip -n "$1" link set "$3" up; ip -n "$2" link set "$4" up
}

# netns_remove NS...: stops every process in the namespaces (waiting up to 5 s for them to go) and deletes them.
netns_remove() {
  local ns p
  for ns in "$@"; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done; done
  for ns in "$@"; do
    for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}

# wg_pair NS_A NS_B IF_A IF_B UNDER_A UNDER_B INNER_PREFIX: fresh keys for the interfaces IF_A in NS_A and IF_B in
# NS_B (already created by a userspace implementation), each the other's peer at UNDER_x:51820, inner addresses
# INNER_PREFIX.1/24 and .2/24, MTU 1420, up; returns once a ping crosses.
wg_pair() {
  local ka kb
  ka=$(wg genkey); kb=$(wg genkey)
  ip netns exec "$1" wg set "$3" private-key <(echo "$ka") listen-port 51820 peer "$(echo "$kb" | wg pubkey)" \
    endpoint "$6:51820" allowed-ips "$7.2/32"
  ip netns exec "$2" wg set "$4" private-key <(echo "$kb") listen-port 51820 peer "$(echo "$ka" | wg pubkey)" \
    endpoint "$5:51820" allowed-ips "$7.1/32"
  ip -n "$1" addr add "$7.1/24" dev "$3"; ip -n "$2" addr add "$7.2/24" dev "$4"
  ip -n "$1" link set "$3" mtu 1420 up; ip -n "$2" link set "$4" mtu 1420 up
  ip netns exec "$1" ping -c 3 -W 2 "$7.2" >/dev/null
}

# tunnel_pair NS_A NS_B IF_A IF_B EXECUTABLE UNDER_PREFIX INNER_PREFIX: netns_pair with UNDER_PREFIX.1/24 and .2/24
# on a veth pair named vIF_A/vIF_B, an instance of EXECUTABLE in each namespace (wireguard-go's contract:
# `EXECUTABLE IF` creates the interface and returns), and wg_pair between them. Fails, saying so, when an instance
# does not start. tunnel_remove NS_A NS_B IF_A IF_B undoes it.
tunnel_pair() {
  netns_pair "$1" "$2" "v$3" "v$4" "$6.1/24" "$6.2/24"
  if ! ip netns exec "$1" "$5" "$3" >/dev/null 2>&1 || ! ip netns exec "$2" "$5" "$4" >/dev/null 2>&1; then
    echo "$(basename "$0"): $5 did not start" >&2
    return 1
  fi
  wg_pair "$1" "$2" "$3" "$4" "$6.1" "$6.2" "$7"
}

tunnel_remove() {
  netns_remove "$1" "$2"
  rm -f "/var/run/wireguard/$3.sock" "/var/run/wireguard/$4.sock"
}

# impl_pids NS...: the processes in the namespaces other than iperf3 and ping (the implementation under test).
impl_pids() {
  local ns p
  for ns in "$@"; do for p in $(ip netns pids "$ns"); do
    case "$(cat /proc/$p/comm 2>/dev/null)" in iperf3|ping|"") ;; *) echo "$p";; esac
  done; done
}
