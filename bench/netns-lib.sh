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
