package dev.veil.device;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.conn.MemoryNetwork;
import dev.veil.core.Endpoint;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Peer;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.tun.MemoryTun;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Two devices running their own threads on the real clock ping each other, then shut down cleanly. */
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

    /** The data-thread setup runs once on each reading, crypto and writing thread, and not on the timer's. */
    @ParameterizedTest(name = "{0} crypto workers")
    @ValueSource(ints = {0, 2})
    void theDataThreadSetupRunsOnTheDataPathOnly(int workers) throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        MemoryTun tun = new MemoryTun("ts", 1420);
        Device d = new Device("ts", tun, net.factory(new byte[] {127, 0, 0, 3}, 51820), SystemClock.INSTANCE,
            new SecureRandom(), Aead.defaultBackend(), workers);
        Set<String> ran = ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        d.setDataThreadSetup(() -> {
            ran.add(Thread.currentThread().getName());
            runs.incrementAndGet();
        });
        Set<String> expected = new TreeSet<>(Set.of("veil-ts-tun-0", "veil-ts-net-0"));
        if (workers > 0) {
            for (int i = 0; i < workers; i++) expected.add("veil-ts-crypto-" + i);
            expected.addAll(Set.of("veil-ts-netwrite-0", "veil-ts-tunwrite-0"));
        }
        try {
            d.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ran.size() < expected.size() && System.nanoTime() - deadline < 0) Thread.onSpinWait();
        } finally {
            d.close();
        }
        assertEquals(expected, new TreeSet<>(ran));
        assertEquals(expected.size(), runs.get(), "once on each thread");
    }
}
