package dev.veil.cli;

import dev.veil.conn.MemoryNetwork;
import dev.veil.core.Endpoint;
import dev.veil.core.NodeEvents;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.ThreadPriority;
import dev.veil.offload.OffloadWarmUp;
import dev.veil.tun.MemoryTun;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs the data path hot before real traffic arrives: two devices in this JVM, on an in-memory network, complete a
 * handshake and exchange a few thousand full-size packets, so that the JIT compiles routing, sealing, opening and
 * the device's batching (then {@link OffloadWarmUp} does the same for TUN segmentation and coalescing), and the first pings through a fresh interface do not run in the interpreter (they took
 * milliseconds instead of a fraction of one). Nothing leaves the JVM: the devices use throw-away keys and the
 * in-memory TUN and network. Runs once, on the calling thread; thread-safe.
 */
final class WarmUp {
    private WarmUp() {}

    /** Packets sent each way; enough for the JIT's C2 thresholds on the per-packet methods. */
    static final int PACKETS = 6000;
    private static final int BURST = 48;
    /** Super-packets segmented and merged back (each way, IPv4 and IPv6): past C2's thresholds for the offload code. */
    static final int OFFLOAD_ROUNDS = 400;

    /** Runs the warm-up; returns the number of echo replies that came back (for tests), or -1 when it gave up. */
    static int run(Aead aead) {
        SecureRandom random = new SecureRandom();
        MemoryNetwork net = new MemoryNetwork();
        Endpoint aUnder = new Endpoint(new byte[] {127, 0, 0, 1}, 1), bUnder = new Endpoint(new byte[] {127, 0, 0, 2}, 1);
        byte[] aIp = {10, 0, 0, 1}, bIp = {10, 0, 0, 2};
        MemoryTun aTun = new MemoryTun("warm-a", 1420), bTun = new MemoryTun("warm-b", 1420);
        bTun.setHost(Icmp::answer);
        byte[] aKey = X25519.generatePrivateKey(random), bKey = X25519.generatePrivateKey(random);
        byte[] aPub = X25519.publicKey(aKey), bPub = X25519.publicKey(bKey);
        // The path the real device takes: crypto on the reading threads when it has no workers, else one worker
        // each (the worker path gets compiled, with the fewest batches in memory).
        int workers = Math.min(1, Device.workersFromProperty());
        try (Device a = new Device("warm-a", aTun, net.factory(aUnder.address(), 1), SystemClock.INSTANCE, random, aead, workers);
             Device b = new Device("warm-b", bTun, net.factory(bUnder.address(), 1), SystemClock.INSTANCE, random, aead, workers)) {
            InMemoryLink.configure(a, aKey, NodeEvents.NONE, bPub, bUnder, bIp);
            InMemoryLink.configure(b, bKey, NodeEvents.NONE, aPub, null, aIp);
            a.start();
            b.start();
            int replies = 0;
            for (int seq = 1; seq <= PACKETS; seq++) {
                aTun.inject(Icmp.echoRequest(aIp, bIp, 0x7761, seq & 0xffff, 1372));
                if (seq % BURST == 0 || seq == PACKETS) {
                    int last = seq & 0xffff;
                    if (aTun.awaitDelivered(p -> Icmp.isReply(p, last), 5, TimeUnit.SECONDS) == null) return -1;
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
                run(aead);
                OffloadWarmUp.run(OFFLOAD_ROUNDS, Device.DEFAULT_MAX_PACKET);
                System.gc();
            });
        }
    }
}
