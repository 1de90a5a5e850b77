#!/usr/bin/env bash
# Installs, from Debian's packages, what Veil's tests and demo use: ip, ping, wg/wg-quick, wireguard-go, iperf3,
# ethtool, libsodium (one of the AEAD backends; its tests skip, saying why, without it) and libgcrypt (the default
# AEAD backend; Debian has it almost everywhere, as systemd and GnuPG use it; without it Veil uses OpenSSL).
# Does nothing when all of them are present or when we are not root (the tests that need them then skip, saying why).
set -euo pipefail
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v wg >/dev/null || need+=(wireguard-tools)
command -v wireguard-go >/dev/null || need+=(wireguard-go)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v python3 >/dev/null || need+=(python3)
command -v ethtool >/dev/null || need+=(ethtool)
# Read whole before grep (not `ldconfig -p | grep -q`: grep -q stops at the first match, ldconfig then dies of SIGPIPE,
# and pipefail counts that as "not found", so a present library was sometimes installed again).
libs=$(ldconfig -p 2>/dev/null || true)
grep -q 'libsodium\.so\.23 ' <<<"$libs" || need+=(libsodium23)
grep -q 'libgcrypt\.so\.20 ' <<<"$libs" || need+=(libgcrypt20)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-deps: missing ${need[*]} (not root or no apt-get; the tests that need them will skip)" >&2
  exit 0
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
