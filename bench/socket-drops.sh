#!/usr/bin/env bash
# Datagrams the kernel dropped at a tunnel's UDP sockets for want of buffer space: one forward iperf3 TCP run
# through a tunnel between two namespaces, then each namespace's UdpRcvbufErrors and UdpSndbufErrors (IPv4 and IPv6)
# from nstat, counted over the run, and the run's throughput. Any userspace implementation (Veil's
# bin/veil-userspace by default); VEIL_JAVA_OPTS reaches Veil's JVMs, e.g. -Dveil.udp.buffer=0 for the kernel's
# default buffers.
# usage: bench/socket-drops.sh [-e EXECUTABLE] [-t SECONDS]   (root; default 3 s)
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" = 0 ] || { echo "socket-drops.sh: needs root (namespaces, TUN)" >&2; exit 1; }
IMPL=$PWD/bin/veil-userspace T=3
while getopts "e:t:" o; do case $o in e) IMPL=$OPTARG;; t) T=$OPTARG;; *) exit 2;; esac; done
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
. bench/netns-lib.sh
NA=veil-drop-a NB=veil-drop-b
trap 'tunnel_remove $NA $NB vdra vdrb' EXIT
tunnel_pair $NA $NB vdra vdrb "$IMPL" 10.232.0 10.233.0 || exit 1
ip netns exec $NB iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.3
for ns in $NA $NB; do ip netns exec $ns nstat -n >/dev/null; done  # the counters from now on
g=$(ip netns exec $NA iperf3 -c 10.233.0.2 -t "$T" -f g | awk '/receiver/{print $(NF-2)}')
echo "forward ${g:-?} Gbit/s over $T s"
for ns in $NA $NB; do
  echo "$ns: $(ip netns exec $ns nstat -az UdpRcvbufErrors Udp6RcvbufErrors UdpSndbufErrors Udp6SndbufErrors \
    | awk 'NR > 1 {printf "%s %s  ", $1, $2}')"
done
