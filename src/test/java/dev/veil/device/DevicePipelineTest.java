package dev.veil.device;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.conn.MemoryNetwork;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Peer;
import dev.veil.core.Protocol;
import dev.veil.core.Result;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.tun.MemoryTun;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Devices running their own threads with crypto workers, on the in-memory TUN and network with a fake clock (so no
 * timer fires unless the test moves time): packets of several peers interleaved arrive in order per peer, a replay
 * racing its original through the workers is delivered once, keypairs rotated while packets are in flight never
 * let a packet through twice or under a wrong key, and close under load leaves no thread behind.
 */
class DevicePipelineTest {
    private static final long DEADLINE_SECONDS = 60;  // generous: the machine is shared

    private final FakeClock clock = new FakeClock();
    private final MemoryNetwork net = new MemoryNetwork();
    private final List<Host> hosts = new ArrayList<>();

    /** A device with its TUN, underlay endpoint 192.0.2.n:51820 and tunnel address 10.0.0.n. */
    private final class Host {
        final String name;
        final MemoryTun tun;
        final Endpoint underlay;
        final byte[] inner;
        final byte[] publicKey;
        final Device device;

        Host(String name, int workers) throws Exception {
            int n = hosts.size() + 1;
            this.name = name;
            tun = new MemoryTun(name, 1420);
            underlay = new Endpoint(new byte[] {(byte) 192, 0, 2, (byte) n}, 51820);
            inner = new byte[] {10, 0, 0, (byte) n};
            SeededRandom random = new SeededRandom(100 + n);
            byte[] priv = X25519.generatePrivateKey(random);
            publicKey = X25519.publicKey(priv);
            device = new Device(name, tun, net.factory(underlay.address(), underlay.port()), clock, random,
                Aead.defaultBackend(), workers);
            device.configure(node -> { node.setStaticKey(new MemoryStaticKey(priv)); return null; });
            hosts.add(this);
        }

        /** An IPv4 packet to another host carrying a sequence number in its first payload bytes. */
        byte[] packet(Host to, int seq, int payload) {
            byte[] p = Harness.ipv4(inner, to.inner, Math.max(payload, 4));
            p[20] = (byte) (seq >>> 24); p[21] = (byte) (seq >>> 16); p[22] = (byte) (seq >>> 8); p[23] = (byte) seq;
            return p;
        }

        long count(Result r) {
            return device.configure(node ->
                r instanceof Result.Ok ok ? node.count(ok) : node.count((Result.Dropped) r));
        }

        Peer peerOf(Host other) {
            return device.configure(node -> node.peer(other.publicKey));
        }
    }

    private static int seq(byte[] p) {
        return (p[20] & 0xff) << 24 | (p[21] & 0xff) << 16 | (p[22] & 0xff) << 8 | (p[23] & 0xff);
    }

    /** Each knows the other's endpoint and /32. */
    private static void link(Host x, Host y) {
        for (Host[] pair : new Host[][] {{x, y}, {y, x}}) {
            pair[0].device.configure(n -> {
                Peer p = n.addPeer(pair[1].publicKey);
                p.setEndpoint(pair[1].underlay);
                n.allowedIps().insert(pair[1].inner, 32, p);
                return null;
            });
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(5);  // polling a condition, with a deadline
        }
    }

    /**
     * Waits as {@link #await} does, but lets protocol time run meanwhile (a second per 100 ms of waiting) and
     * nudges again at each step, as a host with a real clock and traffic would: when both sides initiate at once
     * their handshakes cross and neither completes, and a timer or new traffic starts another.
     */
    private void awaitAdvancing(BooleanSupplier condition, Runnable nudge, String what) throws InterruptedException {
        int[] polls = {0};
        await(() -> {
            if (condition.getAsBoolean()) return true;
            if (++polls[0] % 20 == 0) {
                clock.advance(1, TimeUnit.SECONDS);
                nudge.run();
            }
            return false;
        }, what);
    }

    /** Sends one packet and waits for it, so the session exists before a burst (nothing is staged). */
    private static void warmUp(Host from, Host to) throws InterruptedException {
        int before = to.tun.delivered().size();
        from.tun.inject(from.packet(to, -1, 10));
        await(() -> to.tun.delivered().size() > before, from.name + " reaches " + to.name);
    }

    /** Links and starts two hosts, then waits until a packet from a reached b. */
    private static void startWithSession(Host a, Host b) throws InterruptedException {
        link(a, b);
        a.device.start();
        b.device.start();
        warmUp(a, b);
    }

    @Test
    void jumboPacketsUpToTheBatchBufferPassAndLargerOnesAreDroppedWithoutHarm() throws Exception {
        Host a = new Host("a", 2), b = new Host("b", 2);
        startWithSession(a, b);
        int before = b.tun.delivered().size();
        byte[] jumbo = a.packet(b, 1, Device.DEFAULT_MAX_PACKET - 20);  // the largest inner packet the buffers are sized for
        a.tun.inject(jumbo);
        a.tun.inject(a.packet(b, 2, Device.DEFAULT_MAX_PACKET + 100));  // longer than the buffers: dropped
        a.tun.inject(a.packet(b, 3, 100));
        await(() -> b.tun.delivered().size() >= before + 2, "the jumbo packet and the one after the dropped one");
        List<byte[]> got = b.tun.delivered().subList(before, b.tun.delivered().size());
        assertEquals(2, got.size(), "the over-long packet is not delivered");
        assertArrayEquals(jumbo, got.get(0));
        assertEquals(3, seq(got.get(1)));
    }

    @AfterEach
    void closeAll() {
        for (Host h : hosts) h.device.close();
    }

    @ParameterizedTest(name = "{0} crypto workers")
    @ValueSource(ints = {0, 1, 3})
    void packetsOfSeveralPeersInterleavedArriveInOrderPerPeer(int workers) throws Exception {
        Host hub = new Host("hub" + workers, workers);
        List<Host> spokes = new ArrayList<>();
        for (int i = 0; i < 3; i++) spokes.add(new Host("sp" + i + "w" + workers, workers));
        for (Host s : spokes) link(hub, s);
        for (Host h : hosts) h.device.start();
        for (Host s : spokes) warmUp(hub, s);
        long batchesBefore = hub.device.batchesRead();
        int n = 600;
        for (int k = 0; k < n; k++) for (Host s : spokes) hub.tun.inject(hub.packet(s, k, 40 + k % 1300));
        for (Host s : spokes) {
            await(() -> s.tun.delivered().size() == n + 1, s.name + " got all " + n);
            List<byte[]> got = s.tun.delivered();
            for (int k = 0; k < n; k++) assertEquals(k, seq(got.get(k + 1)), s.name + " in order");
        }
        // And back: the spokes' packets interleave at the hub; each spoke's stay in order.
        for (int k = 0; k < n; k++) for (Host s : spokes) s.tun.inject(s.packet(hub, k, 1300 - k % 1000));
        await(() -> hub.tun.delivered().size() == spokes.size() * n, "the hub got all");
        int[] next = new int[spokes.size()];
        for (byte[] p : hub.tun.delivered()) {
            int from = p[15] - 2;  // spokes are 10.0.0.2 to 10.0.0.4
            assertEquals(next[from]++, seq(p), "order from spoke " + from);
        }
        // The hub read at least one batch from its TUN (the packets out) and one from its socket (the packets back).
        assertTrue(hub.device.batchesRead() - batchesBefore >= 2, "batches read: " + hub.device.batchesRead());
        if (workers > 0) {
            assertTrue(threadsOf(hub.name).stream().anyMatch(t -> t.getName().contains("-crypto-")), "workers ran");
        }
    }

    @Test
    void aReplayRacingItsOriginalThroughTwoWorkersIsDeliveredOnce() throws Exception {
        Host a = new Host("ra", 2), b = new Host("rb", 2);
        startWithSession(a, b);
        ConcurrentLinkedQueue<MemoryNetwork.Datagram> held = new ConcurrentLinkedQueue<>();
        net.setFilter(d -> {
            boolean data = d.from().equals(a.underlay) && d.data()[0] == Protocol.MESSAGE_TRANSPORT
                && d.data().length > 32;
            if (data) held.add(d);
            return !data;
        });
        int n = 100;
        for (int k = 0; k < n; k++) a.tun.inject(a.packet(b, k, 100 + k));
        await(() -> held.size() == n, "A sealed all");
        net.setFilter(d -> true);
        List<MemoryNetwork.Datagram> originals = List.copyOf(held);
        // Each datagram three times: copies land in the same batch and in later ones, on different workers.
        for (int round = 0; round < 3; round++) {
            for (MemoryNetwork.Datagram d : originals) net.inject(d.from(), d.to(), d.data());
        }
        await(() -> b.count(Result.Dropped.REPLAYED) == 2L * n, "B dropped every copy");
        List<byte[]> got = b.tun.delivered();
        Set<Integer> seen = new HashSet<>();
        for (byte[] p : got.subList(1, got.size())) assertTrue(seen.add(seq(p)), "delivered twice: " + seq(p));
        assertEquals(n, seen.size());
        assertEquals(n + 1, b.count(Result.Ok.DATA));
    }

    @Test
    void keypairsRotatedWhilePacketsAreInFlightDeliverNothingTwiceAndNothingUnderAWrongKey() throws Exception {
        Host a = new Host("ka", 2), b = new Host("kb", 2);
        startWithSession(a, b);
        Peer aToB = a.peerOf(b), bToA = b.peerOf(a);
        List<byte[]> sent = new ArrayList<>();
        int rotations = 12, perRound = 150;
        for (int r = 0; r < rotations; r++) {
            for (int k = 0; k < perRound; k++) {
                byte[] p = a.packet(b, sent.size(), 60 + (sent.size() * 7) % 1300);
                sent.add(p);
                a.tun.inject(p);
            }
            // A new handshake while that burst is being sealed and opened; the sides take turns initiating.
            clock.advance(Protocol.REKEY_TIMEOUT + 1_000_000, TimeUnit.NANOSECONDS);
            Host initiator = r % 2 == 0 ? a : b;
            Peer peer = initiator == a ? aToB : bToA;
            long since = clock.epochNanos();
            Runnable initiate = () -> initiator.device.act((node, out) -> node.initiateHandshake(peer, out));
            initiate.run();
            awaitAdvancing(() -> initiator.device.configure(node -> peer.lastHandshakeEpochNanos()) >= since,
                initiate, "rotation " + r + " completes");
        }
        byte[] last = a.packet(b, sent.size(), 10);
        Runnable resend = () -> a.tun.inject(last.clone());
        resend.run();
        awaitAdvancing(() -> b.tun.delivered().stream().anyMatch(q -> seq(q) == sent.size()), resend,
            "traffic flows after the last rotation");
        List<byte[]> got = b.tun.delivered();
        Set<Integer> seen = new HashSet<>();
        for (byte[] p : got.subList(1, got.size())) {
            int s = seq(p);
            if (s == sent.size()) continue;
            assertTrue(seen.add(s), "delivered twice: " + s);
            assertArrayEquals(sent.get(s), p, "packet " + s + " intact");
        }
        assertEquals(0, b.count(Result.Dropped.DECRYPT_FAILED), "nothing was sealed under a wrong or zeroed key");
        assertEquals(0, b.count(Result.Dropped.REPLAYED), "nothing was sealed twice under one counter");
        // Back-to-back rotations delete keypairs that packets in flight were sealed with (as in WireGuard); those
        // are dropped as unknown or expired. Every packet not delivered must be one of them.
        long lostToRotation = b.count(Result.Dropped.UNKNOWN_INDEX) + b.count(Result.Dropped.KEY_EXPIRED);
        assertTrue(seen.size() + lostToRotation >= sent.size(),
            seen.size() + " delivered + " + lostToRotation + " dropped for a deleted keypair, of " + sent.size());
        assertTrue(seen.size() >= perRound, "traffic got through: " + seen.size());
        // A round may also end with the responder's key confirmation of the previous round's handshake.
        long completed = a.count(Result.Ok.RESPONSE) + b.count(Result.Ok.RESPONSE);
        assertTrue(completed >= rotations / 2, "keys rotated: " + completed + " handshakes");
    }

    @Test
    void closeUnderLoadLeavesNoThread() throws Exception {
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        Host a = new Host("cla" + suffix, 2), b = new Host("clb" + suffix, 2);
        link(a, b);
        b.tun.setHost(p -> {  // b's host echoes everything back
            byte[] r = p.clone();
            System.arraycopy(p, 16, r, 12, 4);
            System.arraycopy(p, 12, r, 16, 4);
            return r;
        });
        a.device.start();
        b.device.start();
        AtomicBoolean stop = new AtomicBoolean();
        Thread producer = Thread.ofPlatform().name("test-producer").start(() -> {
            for (int k = 0; !stop.get(); k++) {
                // At most about a thousand packets waiting: on a loaded machine the device reads slowly, and an
                // unbounded queue would fill the heap instead of loading the device.
                while (a.tun.queued() > 1000 && !stop.get()) LockSupport.parkNanos(100_000);
                a.tun.inject(a.packet(b, k, 1300));
            }
        });
        try {
            await(() -> a.tun.delivered().size() > 500, "echoes flow");
            assertFalse(threadsOf(a.name).isEmpty());
            a.device.close();
            b.device.close();
        } finally {
            stop.set(true);
            producer.join();
        }
        await(() -> threadsOf(a.name).isEmpty() && threadsOf(b.name).isEmpty(), "no veil thread is left");
        assertNull(a.device.failure());
        assertNull(b.device.failure());
    }

    @Test
    void theWorkersPropertyIsANumberOfThreads() {
        String old = System.getProperty(Device.WORKERS_PROPERTY);
        try {
            System.setProperty(Device.WORKERS_PROPERTY, "3");
            assertEquals(3, Device.workersFromProperty());
            System.setProperty(Device.WORKERS_PROPERTY, "0");
            assertEquals(0, Device.workersFromProperty());
            for (String bad : new String[] {"many", "-1", "2.5"}) {
                System.setProperty(Device.WORKERS_PROPERTY, bad);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Device::workersFromProperty);
                assertTrue(e.getMessage().startsWith(Device.WORKERS_PROPERTY + ": ") && !e.getMessage().contains("\n"));
            }
            System.clearProperty(Device.WORKERS_PROPERTY);
            assertEquals(Device.defaultWorkers(Runtime.getRuntime().availableProcessors()), Device.workersFromProperty());
        } finally {
            if (old == null) System.clearProperty(Device.WORKERS_PROPERTY);
            else System.setProperty(Device.WORKERS_PROPERTY, old);
        }
    }

    @Test
    void byDefaultTwoProcessorsSealAndOpenOnTheReadingThreadsAndMoreGetAWorkerEach() {
        assertEquals(0, Device.defaultWorkers(1));
        assertEquals(0, Device.defaultWorkers(2));
        assertEquals(4, Device.defaultWorkers(4));
        assertEquals(16, Device.defaultWorkers(16));
    }

    private static List<Thread> threadsOf(String iface) {
        List<Thread> l = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("veil-" + iface + "-") && t.isAlive()) l.add(t);
        }
        return l;
    }
}
