#!/usr/bin/env python3
"""Bulk transfer over several parallel TCP streams, each checksummed, for Veil's network-fault tests.
serve ADDR PORT N        accept N connections (each opens with its 4-byte chunk number), read each to EOF;
                         print "listening", then "<chunk> <bytes> <sha256>" per chunk (sorted) and "total <bytes>"
send ADDR PORT N SIZE    send N chunks of SIZE pseudo-random bytes (chunk i from seed 20261123 + i) in parallel;
                         print the same lines for what was sent
Bounded: every socket gives up after 150 s without progress; the caller also runs it under timeout(1)."""
import hashlib, random, socket, struct, sys, threading

TIMEOUT = 150

def serve(addr, port, n):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(n)
    s.settimeout(TIMEOUT)
    print("listening", flush=True)
    results, threads = {}, []

    def read(c):
        c.settimeout(TIMEOUT)
        head = b""
        while len(head) < 4:
            b = c.recv(4 - len(head))
            if not b:
                return
            head += b
        h, total = hashlib.sha256(), 0
        for block in iter(lambda: c.recv(1 << 16), b""):
            h.update(block)
            total += len(block)
        c.close()
        results[struct.unpack("!I", head)[0]] = (total, h.hexdigest())

    for _ in range(n):
        c, _ = s.accept()
        t = threading.Thread(target=read, args=(c,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    report(results)

def send(addr, port, n, size):
    results, errors = {}, []

    def write(chunk):
        try:
            rnd = random.Random(20261123 + chunk)
            h = hashlib.sha256()
            c = socket.create_connection((addr, port), timeout=TIMEOUT)
            c.sendall(struct.pack("!I", chunk))
            for offset in range(0, size, 1 << 16):
                block = rnd.randbytes(min(1 << 16, size - offset))
                c.sendall(block)
                h.update(block)
            c.shutdown(socket.SHUT_WR)
            c.recv(1)  # the receiver closes once it has read everything
            c.close()
            results[chunk] = (size, h.hexdigest())
        except OSError as e:
            errors.append("chunk %d: %s" % (chunk, e))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("\n".join(errors), flush=True)
        sys.exit(1)
    report(results)

def report(results):
    for chunk in sorted(results):
        print(chunk, *results[chunk], flush=True)
    print("total", sum(r[0] for r in results.values()), flush=True)

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "serve":
    serve(addr, port, int(sys.argv[4]))
else:
    send(addr, port, int(sys.argv[4]), int(sys.argv[5]))
