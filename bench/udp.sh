#!/usr/bin/env bash
# UdpTransport over loopback, datagrams per second and bytes allocated per datagram, for each path: UDP GSO/GRO
# with 64 messages per recvmmsg/sendmmsg, 64 per call without offload, and one datagram per call (the old path).
# usage: bench/udp.sh [JMH arguments; without any: three forks, -prof gc, datagrams of 100 and 1452 bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- -f 3 -wi 3 -w 2s -i 5 -r 2s -prof gc -p size=100,1452; fi
exec bench/jmh.sh UdpTransportBenchmark "$@"
