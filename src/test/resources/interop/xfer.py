#!/usr/bin/env python3
"""Bulk transfer with a checksum, for Veil's interop tests.
serve ADDR PORT      accept one TCP connection, read to EOF, print "<bytes> <sha256>"
send ADDR PORT N     send N pseudo-random bytes (fixed seed), print "<bytes> <sha256>"
Bounded: the server gives up after 120 s; the client after 120 s."""
import hashlib, random, socket, sys

def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    h = hashlib.sha256()
    total = 0
    if mode == "serve":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(1)
        s.settimeout(120)
        print("listening", flush=True)
        c, _ = s.accept()
        c.settimeout(120)
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            h.update(b)
            total += len(b)
    else:
        n = int(sys.argv[4])
        rnd = random.Random(20261122)
        c = socket.create_connection((addr, port), timeout=120)
        while total < n:
            b = rnd.randbytes(min(1 << 16, n - total))
            c.sendall(b)
            h.update(b)
            total += len(b)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
    print(total, h.hexdigest(), flush=True)

main()
