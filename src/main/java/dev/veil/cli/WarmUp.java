package dev.veil.cli;

import dev.veil.conn.MemoryNetwork;
import dev.veil.conn.TransportFactory;
import dev.veil.core.Endpoint;
import dev.veil.core.NodeEvents;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.ThreadPriority;
import dev.veil.linux.UdpTransport;
import dev.veil.offload.OffloadWarmUp;
import dev.veil.tun.MemoryTun;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs the data path hot before real traffic arrives: two devices in this JVM complete a handshake and exchange a few
 * thousand full-size packets, so that the JIT compiles routing, sealing, opening, the device's batching and the UDP
 * socket code, and then {@link OffloadWarmUp} does the same for TUN segmentation and coalescing; the first packets
 * through a fresh interface then do not run in the interpreter (they took milliseconds instead of a fraction of
 * one). The devices talk through UDP sockets bound to 127.0.0.1, else (when the loopback interface does not carry
 * them) through an in-memory network; their TUNs are in memory and their keys thrown away, so nothing leaves the
 * host. Runs once, on the calling thread; thread-safe.
 */
final class WarmUp {
    private WarmUp() {}

    /** Packets sent each way; enough for the JIT's C2 thresholds on the per-packet methods. */
    static final int PACKETS = 6000;
    private static final int BURST = 48;
    /** Seconds the loopback warm-up waits for its first replies (the handshake) before it gives up. */
    static final int LOOPBACK_FIRST_S = 2;
    /** Super-packets segmented and merged back (each way, IPv4 and IPv6): past C2's thresholds for the offload code. */
    static final int OFFLOAD_ROUNDS = 400;

    /** Runs the warm-up on the in-memory network; see {@link #run(Aead, boolean)}. */
    static int run(Aead aead) {
        return run(aead, false);
    }

    /**
     * Runs the warm-up; returns the number of echo replies that came back (for tests), or -1 when it gave up. With
     * {@code loopback} the two devices talk through real UDP sockets on 127.0.0.1 (the socket code the data path
     * uses gets compiled too; nothing leaves the loopback interface), and it gives up after {@value #LOOPBACK_FIRST_S} s
     * without a first reply (the loopback interface may be down in this network namespace).
     */
    static int run(Aead aead, boolean loopback) {
        SecureRandom random = new SecureRandom();
        MemoryNetwork net = new MemoryNetwork();
        Endpoint aUnder = new Endpoint(new byte[] {127, 0, 0, 1}, 1), bUnder = new Endpoint(new byte[] {127, 0, 0, 2}, 1);
        TransportFactory aNet = loopback ? (port, mark) -> UdpTransport.openLoopback() : net.factory(aUnder.address(), 1);
        TransportFactory bNet = loopback ? (port, mark) -> UdpTransport.openLoopback() : net.factory(bUnder.address(), 1);
        byte[] aIp = {10, 0, 0, 1}, bIp = {10, 0, 0, 2};
        MemoryTun aTun = new MemoryTun("warm-a", 1420), bTun = new MemoryTun("warm-b", 1420);
        bTun.setHost(Icmp::answer);
        byte[] aKey = X25519.generatePrivateKey(random), bKey = X25519.generatePrivateKey(random);
        byte[] aPub = X25519.publicKey(aKey), bPub = X25519.publicKey(bKey);
        // The path the real device takes: crypto on the reading threads when it has no workers, else one worker
        // each (the worker path gets compiled, with the fewest batches in memory).
        int workers = Math.min(1, Device.workersFromProperty());
        try (Device a = new Device("warm-a", aTun, aNet, SystemClock.INSTANCE, random, aead, workers);
             Device b = new Device("warm-b", bTun, bNet, SystemClock.INSTANCE, random, aead, workers)) {
            Endpoint toB = loopback ? new Endpoint(new byte[] {127, 0, 0, 1}, b.listenPort()) : bUnder;
            InMemoryLink.configure(a, aKey, NodeEvents.NONE, bPub, toB, bIp);
            InMemoryLink.configure(b, bKey, NodeEvents.NONE, aPub, null, aIp);
            a.start();
            b.start();
            int replies = 0;
            for (int seq = 1; seq <= PACKETS; seq++) {
                aTun.inject(Icmp.echoRequest(aIp, bIp, 0x7761, seq & 0xffff, 1372));
                if (seq % BURST == 0 || seq == PACKETS) {
                    int last = seq & 0xffff;
                    long wait = loopback && replies == 0 ? LOOPBACK_FIRST_S : 5;
                    if (aTun.awaitDelivered(p -> Icmp.isReply(p, last), wait, TimeUnit.SECONDS) == null) return -1;
                    replies += aTun.drainDelivered().size();
                    bTun.drainDelivered();
                }
            }
            return replies;
        } catch (IOException e) {
            return -1;
        } finally {
            java.util.Arrays.fill(aKey, (byte) 0);
            java.util.Arrays.fill(bKey, (byte) 0);
        }
    }

    /**
     * Starts the warm-up on a daemon thread named {@code veil-warmup} at the lowest CPU priority, unless
     * {@code -Dveil.warmup=false}. Afterwards
     * a full collection returns the two devices' buffers, so the heap (and the resident memory) shrinks back.
     */
    static void startInBackground(Aead aead) {
        if (Boolean.parseBoolean(System.getProperty("veil.warmup", "true"))) {
            Thread.ofPlatform().name("veil-warmup").daemon().start(() -> {
                // Best effort: at nice 19 (its devices' threads inherit it) it takes only CPU nobody else wants, so
                // it does not slow `veil up` or the first real packets (compare.sh's pings right after start).
                ThreadPriority.lowerCurrentThread();
                if (run(aead, true) < 0) run(aead, false);
                OffloadWarmUp.run(OFFLOAD_ROUNDS, Device.DEFAULT_MAX_PACKET);
                System.gc();
            });
        }
    }
}
