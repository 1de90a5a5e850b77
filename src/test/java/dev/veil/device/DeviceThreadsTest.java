package dev.veil.device;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.conn.MemoryNetwork;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Peer;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.tun.MemoryTun;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Two devices running their own threads on the real clock ping each other, then shut down cleanly; the data-path
 * threads ask for their scheduler slices as the traffic goes.
 */
class DeviceThreadsTest {
    @Test
    void twoDevicesPingEachOtherAndStopCleanly() throws Exception {
        SecureRandom random = new SecureRandom();
        MemoryNetwork net = new MemoryNetwork();
        Endpoint ea = new Endpoint(new byte[] {127, 0, 0, 1}, 51820), eb = new Endpoint(new byte[] {127, 0, 0, 2}, 51820);
        MemoryTun ta = new MemoryTun("ta", 1420), tb = new MemoryTun("tb", 1420);
        byte[] ka = X25519.generatePrivateKey(random), kb = X25519.generatePrivateKey(random);
        byte[] ia = {10, 0, 0, 1}, ib = {10, 0, 0, 2};
        // B's host echoes every packet back with source and destination swapped.
        tb.setHost(p -> {
            byte[] r = p.clone();
            System.arraycopy(p, 16, r, 12, 4);
            System.arraycopy(p, 12, r, 16, 4);
            return r;
        });
        Device a = new Device("ta", ta, net.factory(ea.address(), ea.port()), SystemClock.INSTANCE, random, Aead.defaultBackend());
        Device b = new Device("tb", tb, net.factory(eb.address(), eb.port()), SystemClock.INSTANCE, random, Aead.defaultBackend());
        try {
            a.configure(n -> {
                n.setStaticKey(new MemoryStaticKey(ka));
                Peer p = n.addPeer(X25519.publicKey(kb));
                p.setEndpoint(eb);
                n.allowedIps().insert(ib, 32, p);
                return null;
            });
            b.configure(n -> {
                n.setStaticKey(new MemoryStaticKey(kb));
                n.allowedIps().insert(ia, 32, n.addPeer(X25519.publicKey(ka)));
                return null;
            });
            a.start();
            b.start();
            for (int i = 0; i < 50; i++) {
                byte[] p = Harness.ipv4(ia, ib, 100 + i);
                ta.inject(p);
                byte[] echoed = ta.awaitDelivered(q -> q.length == p.length && Arrays.equals(q, 20, q.length, p, 20, p.length),
                    10, TimeUnit.SECONDS);
                assertNotNull(echoed, "echo " + i + " came back");
            }
            assertEquals(50, ta.delivered().size());
        } finally {
            a.close();
            b.close();
        }
        assertTrue(a.isClosed() && b.isClosed());
        assertNull(a.failure());
        assertNull(b.failure());
    }

    /**
     * Each reading, crypto and writing thread asks for the short slice once before its first batch; the timer's
     * thread asks for none.
     */
    @ParameterizedTest(name = "{0} crypto workers")
    @ValueSource(ints = {0, 2})
    void eachDataThreadStartsOnTheShortSliceAndTheTimerOnNone(int workers) throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        MemoryTun tun = new MemoryTun("ts", 1420);
        Device d = new Device("ts", tun, net.factory(new byte[] {127, 0, 0, 3}, 51820), SystemClock.INSTANCE,
            new SecureRandom(), Aead.defaultBackend(), workers);
        Map<String, List<Long>> slices = new ConcurrentHashMap<>();
        d.setDataThreadSlices(123_000, n -> slices.computeIfAbsent(Thread.currentThread().getName(),
            k -> new CopyOnWriteArrayList<>()).add(n));
        Set<String> expected = new TreeSet<>(Set.of("veil-ts-tun-0", "veil-ts-net-0"));
        if (workers > 0) {
            for (int i = 0; i < workers; i++) expected.add("veil-ts-crypto-" + i);
            expected.addAll(Set.of("veil-ts-netwrite-0", "veil-ts-tunwrite-0"));
        }
        try {
            d.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (slices.size() < expected.size() && System.nanoTime() - deadline < 0) Thread.onSpinWait();
        } finally {
            d.close();
        }
        assertEquals(expected, new TreeSet<>(slices.keySet()));
        slices.forEach((thread, asked) -> assertEquals(List.of(123_000L), asked, thread));
    }

    /**
     * The TUN reader, given batch after batch, takes the default slice (0); after a quiet gap the next batch gives it
     * the short slice back. The device's clock is a fake one the test moves.
     */
    @Test
    void theTunReaderTakesTheDefaultSliceWhileBusyAndTheShortOneWhenQuiet() throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        MemoryTun tun = new MemoryTun("tq", 1420);
        FakeClock clock = new FakeClock();
        Device d = new Device("tq", tun, net.factory(new byte[] {127, 0, 0, 4}, 51820), clock, new SecureRandom(),
            Aead.defaultBackend(), 0);
        List<Long> asked = new CopyOnWriteArrayList<>();
        d.setDataThreadSlices(123_000, n -> {
            if (Thread.currentThread().getName().equals("veil-tq-tun-0")) asked.add(n);
        });
        // packets to an address no peer has: the reader drops them, one batch each as the test waits for each
        byte[] packet = Harness.ipv4(new byte[] {10, 9, 0, 1}, new byte[] {10, 9, 0, 2}, 7);
        try {
            d.start();
            for (int i = 0; i < SlicePacer.BUSY_ROUNDS; i++) {
                long before = d.batchesRead();
                tun.inject(packet);
                awaitBatch(d, before);
            }
            assertEquals(List.of(123_000L, 0L), await(asked, 2), "busy: the default slice");
            clock.advance(1, TimeUnit.SECONDS);
            long before = d.batchesRead();
            tun.inject(packet);
            awaitBatch(d, before);
            assertEquals(List.of(123_000L, 0L, 123_000L), await(asked, 3), "quiet again: the short slice");
        } finally {
            d.close();
        }
    }

    private static void awaitBatch(Device d, long before) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (d.batchesRead() == before && System.nanoTime() - deadline < 0) Thread.onSpinWait();
        assertTrue(d.batchesRead() > before, "the reader took no batch within 10 s");
    }

    /** The list once it has {@code size} elements (within 10 s), as it is then. */
    private static List<Long> await(List<Long> list, int size) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (list.size() < size && System.nanoTime() - deadline < 0) Thread.onSpinWait();
        return List.copyOf(list);
    }
}
