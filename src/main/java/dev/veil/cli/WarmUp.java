package dev.veil.cli;

import dev.veil.conn.MemoryNetwork;
import dev.veil.conn.TransportFactory;
import dev.veil.core.Endpoint;
import dev.veil.core.NodeEvents;
import dev.veil.core.Result;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.EmulatedTun;
import dev.veil.linux.LinuxTun;
import dev.veil.linux.NativeHeap;
import dev.veil.linux.ThreadPriority;
import dev.veil.linux.UdpTransport;
import dev.veil.offload.OffloadWarmUp;
import dev.veil.offload.VirtioNetHdr;
import dev.veil.tun.MemoryTun;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

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
    /** Milliseconds a later burst of the ping warm-up (and the in-memory one's first) waits for its replies. */
    static final long BURST_MS = 5000;
    /** Super-packets segmented and merged back (each way, IPv4 and IPv6): past C2's thresholds for the offload code. */
    static final int OFFLOAD_ROUNDS = 400;
    /** Rounds of bulk TCP each way through emulated TUNs (see {@link #runThroughTun}). */
    static final int TUN_ROUNDS = 600;
    /** How long a round of {@link #runThroughTun} waits for its last frames: the first (the handshake), the others. */
    static final int TUN_FIRST_MS = 2000, TUN_ROUND_MS = 500;

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
        return run(aead, loopback, loopback ? TimeUnit.SECONDS.toMillis(LOOPBACK_FIRST_S) : BURST_MS, BURST_MS);
    }

    /**
     * {@link #run(Aead, boolean)} with its own patience: how long it waits for the first burst's replies (which
     * include the handshake's) and for each later burst's, before it gives up. Tests pass longer ones than the
     * daemon, whose start must not hang on a warm-up.
     */
    static int run(Aead aead, boolean loopback, long firstMs, long burstMs) {
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
                    long wait = replies == 0 ? firstMs : burstMs;
                    if (aTun.awaitDelivered(p -> Icmp.isReply(p, last), wait, TimeUnit.MILLISECONDS) == null) return -1;
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
     * Runs bulk TCP both ways through two devices whose TUNs are {@link EmulatedTun}s (the TUN's real read,
     * segmentation, coalescing and write code on a socket pair) and whose transports are UDP sockets on 127.0.0.1:
     * each round, each side's "kernel" hands its TUN what a bulk sender's kernel hands over with TSO (a 64 KB
     * super-packet and the 17 segments after it, IPv4, every fourth round IPv6), the pure ACK of the other direction's
     * data, and a ping; then it reads what the other side's TUN wrote, until that side's ping is through (or
     * {@value #TUN_ROUND_MS} ms, {@value #TUN_FIRST_MS} ms for the first round, which includes the handshake). This is
     * the shape of compare.sh's iperf3 traffic, so the JIT compiles the branches real traffic takes. Returns the
     * pings that came through (two a round when nothing was lost), or -1 when the first round had none (no loopback
     * here, or no socket pairs), with the super-packets both TUNs read and wrote and the packets dropped for want of
     * a route (each side's one a round to {@link #UNROUTED}).
     */
    static TunRun runThroughTun(Aead aead, int rounds) {
        return runThroughTun(aead, rounds, TUN_FIRST_MS, TUN_ROUND_MS);
    }

    /** {@link #runThroughTun(Aead, int)} with its own patience for the first round and each later one (tests). */
    static TunRun runThroughTun(Aead aead, int rounds, long firstMs, long roundMs) {
        SecureRandom random = new SecureRandom();
        byte[] aIp = {10, 0, 0, 1}, bIp = {10, 0, 0, 2};
        byte[] aIp6 = new byte[16], bIp6 = new byte[16];
        aIp6[0] = bIp6[0] = (byte) 0xfd;
        aIp6[15] = 1;
        bIp6[15] = 2;
        byte[] aKey = X25519.generatePrivateKey(random), bKey = X25519.generatePrivateKey(random);
        byte[] aPub = X25519.publicKey(aKey), bPub = X25519.publicKey(bKey);
        int workers = Math.min(1, Device.workersFromProperty());
        TransportFactory loopback = (port, mark) -> UdpTransport.openLoopback();
        try (EmulatedTun aTun = EmulatedTun.open("warm-a", 1420); EmulatedTun bTun = EmulatedTun.open("warm-b", 1420);
             Device a = new Device("warm-a", aTun.tun(), loopback, SystemClock.INSTANCE, random, aead, workers);
             Device b = new Device("warm-b", bTun.tun(), loopback, SystemClock.INSTANCE, random, aead, workers)) {
            InMemoryLink.configure(a, aKey, NodeEvents.NONE, bPub, new Endpoint(new byte[] {127, 0, 0, 1}, b.listenPort()),
                bIp, bIp6);
            InMemoryLink.configure(b, bKey, NodeEvents.NONE, aPub, null, aIp, aIp6);
            a.start();
            b.start();
            byte[][][] aFrames = new byte[2][][], bFrames = new byte[2][][];
            for (int v = 0; v < 2; v++) {
                aFrames[v] = tunFrames(v == 1, false, Icmp.echoRequest(aIp, bIp, 0x7761, 1),
                    Icmp.echoRequest(aIp, UNROUTED, 0x7763, 1));
                bFrames[v] = tunFrames(v == 1, true, Icmp.echoRequest(bIp, aIp, 0x7762, 1),
                    Icmp.echoRequest(bIp, UNROUTED, 0x7764, 1));
            }
            byte[] buf = new byte[1 << 17];
            int pings = 0;
            for (int r = 0; r < rounds; r++) {
                int v = r % 4 == 3 ? 1 : 0;
                for (byte[] f : aFrames[v]) aTun.inject(f, 0, f.length);
                for (byte[] f : bFrames[v]) bTun.inject(f, 0, f.length);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(r == 0 ? firstMs : roundMs);
                boolean aDone = false, bDone = false;
                while (!(aDone && bDone) && System.nanoTime() < deadline) {
                    if (!aDone && isPing(buf, aTun.receive(buf, 1))) aDone = true;
                    if (!bDone && isPing(buf, bTun.receive(buf, 1))) bDone = true;
                }
                if (r == 0 && !aDone && !bDone) return new TunRun(-1, 0, 0, 0);
                pings += (aDone ? 1 : 0) + (bDone ? 1 : 0);
            }
            LinuxTun.OffloadCounters ac = aTun.tun().offloadCounters(), bc = bTun.tun().offloadCounters();
            long[] unrouted = new long[1];
            for (Device d : new Device[] {a, b}) {
                d.inspect(n -> unrouted[0] += n.drops().getOrDefault(Result.Dropped.NO_ROUTE, 0L));
            }
            return new TunRun(pings, ac.superPacketsRead() + bc.superPacketsRead(),
                ac.superPacketsWritten() + bc.superPacketsWritten(), unrouted[0]);
        } catch (IOException e) {
            return new TunRun(-1, 0, 0, 0);
        } finally {
            java.util.Arrays.fill(aKey, (byte) 0);
            java.util.Arrays.fill(bKey, (byte) 0);
        }
    }

    /**
     * The destination of a packet each side sends every round that no peer's allowed IPs cover: a real interface
     * gets such packets as soon as it is up (the kernel's IPv6 router solicitations and multicast reports), and when
     * the warm-up had sent none, C2 had compiled the routing step for a peer always found, and the first one made it
     * deoptimise and compile again (BENCHMARKS.md).
     */
    private static final byte[] UNROUTED = {10, 0, 0, 99};

    /**
     * What one side's kernel hands its TUN in a round: a round of its bulk flow (from 10.0.0.1, or back with
     * {@code reverse}), its ACK of the other side's round, a packet without a route, and the ping, each behind its
     * vnet header.
     */
    private static byte[][] tunFrames(boolean v6, boolean reverse, byte[] ping, byte[] stray) {
        byte[][] bulk = OffloadWarmUp.bulkRound(v6, reverse);
        return new byte[][] {bulk[0], bulk[1], OffloadWarmUp.ackOfBulkRound(v6, !reverse), framed(stray), framed(ping)};
    }

    /** The packet behind an empty vnet header. */
    private static byte[] framed(byte[] packet) {
        byte[] frame = new byte[VirtioNetHdr.LENGTH + packet.length];
        System.arraycopy(packet, 0, frame, VirtioNetHdr.LENGTH, packet.length);
        return frame;
    }

    /** Whether the frame of length n in buf is an IPv4 ICMP packet (the round's last), behind its vnet header. */
    private static boolean isPing(byte[] buf, int n) {
        return n > VirtioNetHdr.LENGTH + 20 && (buf[VirtioNetHdr.LENGTH] & 0xf0) == 0x40 && buf[VirtioNetHdr.LENGTH + 9] == 1;
    }

    /**
     * The whole warm-up on the calling thread: through emulated TUNs over loopback sockets; where that cannot run,
     * the in-memory TUNs' pings over loopback sockets (else an in-memory network) and the offload code on its own.
     */
    static void runInForeground(Aead aead) {
        if (runThroughTun(aead, TUN_ROUNDS).pings() >= 0) return;
        if (run(aead, true) < 0) run(aead, false);
        OffloadWarmUp.run(OFFLOAD_ROUNDS, Device.DEFAULT_MAX_PACKET);
    }

    /**
     * What {@link #runThroughTun} did: pings through (-1: it could not run), super-packets the TUNs read and wrote,
     * and packets the devices dropped for want of a route (two a round, when every other frame was addressed right).
     */
    record TunRun(int pings, long superPacketsRead, long superPacketsWritten, long unrouted) {}

    /** How long the interface must carry no traffic before the collection after the warm-up runs. */
    static final long QUIET_MS = 200;
    /** The longest the collection waits for a quiet moment; then it runs under traffic all the same. */
    static final long QUIET_GIVE_UP_MS = 5_000;

    /**
     * Starts the warm-up on a daemon thread named {@code veil-warmup} at the lowest CPU priority, unless
     * {@code -Dveil.warmup=false}. Afterwards, at the first moment the interface has carried no traffic for
     * {@value #QUIET_MS} ms ({@code batchesRead} unchanged), or after {@value #QUIET_GIVE_UP_MS} ms of traffic without
     * one, a full collection frees the two devices' buffers and what native memory they held (about 8 MB of a
     * daemon's RSS): it stops every thread for 15-30 ms, which pings sent during it would see, so it waits for a
     * quiet moment, but not for long. The C heap's free pages, which the JIT's compilations left behind, go back to the kernel as soon as
     * the warm-up ends (a trim stops no thread) and again after the collection, instead of at the JVM's next periodic
     * trim (about 14 MB less for the two instances of a tunnel, measured a few seconds after start).
     */
    static void startInBackground(Aead aead, LongSupplier batchesRead) {
        if (Boolean.parseBoolean(System.getProperty("veil.warmup", "true"))) {
            Thread.ofPlatform().name("veil-warmup").daemon().start(() -> {
                // Best effort: at nice 19 (its devices' threads inherit it) it takes only CPU nobody else wants, so
                // it does not slow `veil up` or the first real packets (compare.sh's pings right after start).
                ThreadPriority.lowerCurrentThread();
                runInForeground(aead);
                NativeHeap.trim();  // no pause: the compilations' free C heap goes back now, traffic or not
                try {
                    awaitQuiet(batchesRead, QUIET_MS, QUIET_GIVE_UP_MS);
                } catch (InterruptedException e) {
                    return;
                }
                System.gc();
                NativeHeap.trim();
            });
        }
    }

    /**
     * Waits until activity has not changed for quietMs (true), or for giveUpMs without such a moment (false). The
     * counter is read once each quietMs.
     */
    static boolean awaitQuiet(LongSupplier activity, long quietMs, long giveUpMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(giveUpMs);
        long last = activity.getAsLong();
        while (System.nanoTime() - deadline < 0) {
            Thread.sleep(quietMs);
            long now = activity.getAsLong();
            if (now == last) return true;
            last = now;
        }
        return false;
    }
}
