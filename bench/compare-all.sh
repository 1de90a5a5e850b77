#!/usr/bin/env bash
# The table BENCHMARKS.md quotes: Veil against wireguard-go 0.0.20250522 (the baseline: ratios are to it) and
# Debian's wireguard-go, iperf3 TCP both directions with one stream and with four, in one invocation.
# usage: bench/compare-all.sh [-t SECONDS] [-r RUNS]   (root; defaults 8 s, 1 run)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
T=8 R=1
while getopts "t:r:" o; do case $o in t) T=$OPTARG;; r) R=$OPTARG;; *) exit 2;; esac; done
scripts/install-deps.sh
VEIL_BUILD_ONLY=1 ./veil
wggo2025=$(readlink -f ../shared/bench/bin/wireguard-go-0.0.20250522)
impls=("wggo-2025=$wggo2025" "wggo-debian=$(command -v wireguard-go)" "veil=$PWD/bin/veil-userspace")
date -u +"%Y-%m-%d %H:%M UTC, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for p in 1 4; do
  bench/compare.sh -t "$T" -r "$R" -P "$p" "${impls[@]}"
done
