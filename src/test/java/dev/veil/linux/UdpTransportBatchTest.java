package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * {@link UdpTransport}'s batched path against the real kernel: recvmmsg/sendmmsg, UDP GSO runs on send, UDP GRO
 * super-datagrams split on receive, the fallbacks when GSO or GRO are off or refused, IPv4 and IPv6 endpoints on
 * the dual-stack socket. Loopback tests run as any user; the ones that change a loopback's MTU or checksum offload
 * do it in a namespace of their own and need root.
 */
class UdpTransportBatchTest {
    private static final byte[] LO4 = {127, 0, 0, 1};
    private static final byte[] LO6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    private static final UdpTransport.Options ALL = new UdpTransport.Options(64, true, true);
    private static final UdpTransport.Options NONE = new UdpTransport.Options(64, false, false);

    /** A datagram received: its bytes and source. */
    private record Got(byte[] data, Endpoint from) {}

    /** Bytes that differ for every stream, sequence number and length. */
    private static byte[] payload(int stream, int seq, int len) {
        byte[] b = new byte[len];
        new Random(stream * 1_000_003L + seq * 31L + len).nextBytes(b);
        return b;
    }

    /** Receives exactly count datagrams (20 s at most; then the transport is closed and the test fails). */
    private static List<Got> receive(UdpTransport t, int count, int batchCapacity) throws Exception {
        CompletableFuture<List<Got>> f = CompletableFuture.supplyAsync(() -> {
            List<Got> got = new ArrayList<>();
            PacketBatch in = new PacketBatch(batchCapacity, 65536);
            try {
                while (got.size() < count) {
                    int n = t.receive(in);
                    if (n < 0) break;
                    assertTrue(n <= batchCapacity);
                    for (int i = 0; i < n; i++) got.add(new Got(Arrays.copyOf(in.buffer(i), in.length(i)), in.endpoint(i)));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return got;
        });
        try {
            List<Got> got = f.get(20, TimeUnit.SECONDS);
            assertEquals(count, got.size(), "datagrams received before the transport closed");
            return got;
        } catch (TimeoutException e) {
            t.close();
            fail("only part of " + count + " datagrams arrived; stats " + t.stats());
            return null;
        }
    }

    private static void send(UdpTransport from, List<byte[]> datagrams, Endpoint to) {
        PacketBatch out = new PacketBatch(datagrams.size(), 65536);
        for (byte[] d : datagrams) assertTrue(out.add(d, 0, d.length, to));
        from.send(out);
    }

    private static List<byte[]> run(int stream, int count, int size) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < count; i++) l.add(payload(stream, i, size));
        return l;
    }

    private static void assertArrived(List<byte[]> sent, List<Got> got, Endpoint from) {
        assertEquals(sent.size(), got.size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), got.get(i).data(), "datagram " + i + " arrived byte-identical and in order");
            assertEquals(from, got.get(i).from(), "datagram " + i + " has its source");
        }
    }

    @Test
    void mixedSizesAndEndpointsArriveByteIdenticalAndInOrderPerSource() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, ALL); UdpTransport a6 = UdpTransport.open(0, 0, ALL);
             UdpTransport gro = UdpTransport.open(0, 0, ALL); UdpTransport plain = UdpTransport.open(0, 0, NONE)) {
            UdpTransport[] receivers = {gro, plain};
            UdpTransport[] senders = {a, a6};
            int[] sizes = {1, 60, 148, 1200, 1452, 3000, 8000};
            Random r = new Random(7);
            // stream = sender * 4 + receiver * 2 + family; each stream's datagrams must arrive in order
            Map<Integer, List<byte[]>> expected = new HashMap<>();
            List<List<Got>> gotBy = List.of(new ArrayList<>(), new ArrayList<>());
            for (int round = 0; round < 6; round++) {
                for (int s = 0; s < 2; s++) {
                    PacketBatch out = new PacketBatch(64, 65536);
                    int[] perReceiver = new int[2];
                    while (!out.isFull()) {
                        int receiver = r.nextInt(2);
                        int family = r.nextInt(2);
                        int stream = s * 4 + receiver * 2 + family;
                        Endpoint to = new Endpoint(family == 0 ? LO4 : LO6, receivers[receiver].localPort());
                        int size = sizes[r.nextInt(sizes.length)];
                        int runLength = 1 + r.nextInt(12);
                        for (int k = 0; k < runLength && !out.isFull(); k++) {
                            int len = k == runLength - 1 && r.nextBoolean() ? 1 + r.nextInt(size) : size;
                            List<byte[]> l = expected.computeIfAbsent(stream, x -> new ArrayList<>());
                            byte[] d = payload(stream, l.size(), len);
                            l.add(d);
                            out.add(d, 0, len, to);
                            perReceiver[receiver]++;
                        }
                    }
                    senders[s].send(out);
                    // received batch by batch, so that little waits in the socket buffer (small without root)
                    for (int receiver = 0; receiver < 2; receiver++) {
                        gotBy.get(receiver).addAll(receive(receivers[receiver], perReceiver[receiver], 64));
                    }
                }
            }
            for (int receiver = 0; receiver < 2; receiver++) {
                List<Got> got = gotBy.get(receiver);
                for (int s = 0; s < 2; s++) {
                    for (int family = 0; family < 2; family++) {
                        Endpoint source = new Endpoint(family == 0 ? LO4 : LO6, senders[s].localPort());
                        List<byte[]> want = expected.getOrDefault(s * 4 + receiver * 2 + family, List.of());
                        List<Got> fromSource = got.stream().filter(g -> g.from().equals(source)).toList();
                        assertEquals(want.size(), fromSource.size(), "datagrams from " + source);
                        assertArrived(want, fromSource, source);
                    }
                }
            }
            assertTrue(a.stats().gsoMessages() > 0, "runs went out as GSO messages: " + a.stats());
            assertTrue(gro.stats().groMessages() > 0, "the GRO socket got super-datagrams: " + gro.stats());
            assertEquals(0, plain.stats().groMessages(), "the plain socket got single datagrams");
            assertEquals(0, a.stats().sendDrops() + a6.stats().sendDrops());
        }
    }

    @Test
    void aRunOfEqualDatagramsGoesOutAsOneGsoMessageAndIsSplitOnReceive() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, ALL); UdpTransport gro = UdpTransport.open(0, 0, ALL);
             UdpTransport plain = UdpTransport.open(0, 0, NONE)) {
            assertTrue(a.gso() && gro.gro(), "the kernel offers UDP GSO and GRO");
            Endpoint source = new Endpoint(LO4, a.localPort());
            List<byte[]> burst = run(1, 64, 1000);
            burst.add(payload(1, 64, 700));  // a shorter last datagram still joins; 65 do not fit 64 segments
            send(a, burst, new Endpoint(LO4, gro.localPort()));
            UdpTransport.Stats s = a.stats();
            assertEquals(1, s.sendCalls(), "one sendmmsg: " + s);
            assertEquals(2, s.sentMessages(), "64 segments, then the 65th alone: " + s);
            assertEquals(65, s.sentDatagrams());
            assertEquals(1, s.gsoMessages());
            // a batch of 8 at the receiver: the rest of the super-datagram waits for the next calls
            assertArrived(burst, receive(gro, 65, 8), source);
            UdpTransport.Stats g = gro.stats();
            assertEquals(2, g.receivedMessages(), "the GRO socket got one super-datagram and one datagram: " + g);
            assertEquals(1, g.groMessages());
            assertEquals(65, g.receivedDatagrams());

            // the same burst to a socket without GRO: the kernel cuts the GSO message into separate datagrams
            send(a, burst, new Endpoint(LO4, plain.localPort()));
            assertEquals(2, a.stats().gsoMessages());
            assertArrived(burst, receive(plain, 65, 64), source);
            assertEquals(65, plain.stats().receivedMessages(), "a plain socket sees separate datagrams");
        }
    }

    @Test
    void underGroTheReceiverAsksForOnlyTheMessagesItsBatchHasRoomFor() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, ALL); UdpTransport gro = UdpTransport.open(0, 0, ALL);
             UdpTransport plain = UdpTransport.open(0, 0, ALL)) {
            assertTrue(a.gso() && gro.gro(), "the kernel offers UDP GSO and GRO");
            Endpoint source = new Endpoint(LO4, a.localPort());
            List<byte[]> all = new ArrayList<>();
            for (int burst = 0; burst < 6; burst++) {
                List<byte[]> b = run(burst, 40, 1200);  // one GSO message of 40 datagrams each
                send(a, b, new Endpoint(LO4, gro.localPort()));
                all.addAll(b);
            }
            assertArrived(all, receive(gro, all.size(), 64), source);
            assertTrue(gro.stats().groMessages() >= 2, "super-datagrams arrived: " + gro.stats());
            assertTrue(gro.lastReceiveRequest() <= 2,
                "40 datagrams a message, a batch of 64: at most 2 messages asked for, not 64: " + gro.lastReceiveRequest());

            // single datagrams (different sizes cannot coalesce) keep asking for the batch's room
            List<byte[]> singles = new ArrayList<>();
            for (int i = 0; i < 40; i++) singles.add(payload(9, i, 300 + i));
            send(a, singles, new Endpoint(LO4, plain.localPort()));
            assertArrived(singles, receive(plain, singles.size(), 64), source);
            assertTrue(plain.lastReceiveRequest() > 2, "one datagram a message: " + plain.lastReceiveRequest());
        }
    }

    @Test
    void gsoRunsEndAtALongerDatagramAnotherEndpointOrTheSizeLimits() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, ALL); UdpTransport b = UdpTransport.open(0, 0, NONE)) {
            Endpoint to = new Endpoint(LO6, b.localPort());
            Endpoint other = new Endpoint(LO4, b.localPort());
            record Case(List<byte[]> datagrams, List<Endpoint> to, int messages) {}
            List<byte[]> shortThenLong = new ArrayList<>(run(2, 3, 1000));
            shortThenLong.add(payload(2, 3, 500));
            shortThenLong.add(payload(2, 4, 1000));
            List<byte[]> alternating = run(3, 10, 300);
            List<Endpoint> alternatingTo = new ArrayList<>();
            for (int i = 0; i < 10; i++) alternatingTo.add(i % 2 == 0 ? to : other);
            List<Case> cases = List.of(
                new Case(shortThenLong, null, 2),                // [1000 1000 1000 500] [1000]
                new Case(run(4, 100, 100), null, 2),             // 64 segments at most
                new Case(run(5, 50, 1400), null, 2),             // 46 x 1400 = 64,400 bytes; 64 KB at most
                new Case(alternating, alternatingTo, 10),        // one endpoint per message
                new Case(run(6, 5, 65000), null, 5));            // one 65,000-byte datagram per message
            for (Case c : cases) {
                long before = a.stats().sentMessages();
                PacketBatch out = new PacketBatch(c.datagrams().size(), 65536);
                for (int i = 0; i < c.datagrams().size(); i++) {
                    byte[] d = c.datagrams().get(i);
                    out.add(d, 0, d.length, c.to() == null ? to : c.to().get(i));
                }
                a.send(out);
                assertEquals(c.messages(), a.stats().sentMessages() - before, "messages for " + c.datagrams().size()
                    + " datagrams of " + c.datagrams().getFirst().length + " bytes");
                List<Got> got = receive(b, c.datagrams().size(), 64);
                for (int i = 0; i < got.size(); i++) assertArrayEquals(c.datagrams().get(i), got.get(i).data());
            }
            assertEquals(0, a.stats().sendDrops());
        }
    }

    @Test
    void withOffloadOffEachDatagramIsAMessageStillManyPerCall() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, NONE); UdpTransport b = UdpTransport.open(0, 0, NONE)) {
            assertFalse(a.gso());
            assertFalse(b.gro());
            List<byte[]> burst = run(7, 64, 1200);
            send(a, burst, new Endpoint(LO4, b.localPort()));
            UdpTransport.Stats s = a.stats();
            assertEquals(1, s.sendCalls(), "64 datagrams in one sendmmsg: " + s);
            assertEquals(64, s.sentMessages());
            assertEquals(0, s.gsoMessages());
            assertArrived(burst, receive(b, 64, 64), new Endpoint(LO4, a.localPort()));
            assertEquals(64, b.stats().receivedMessages());
            assertTrue(b.stats().receiveCalls() < 64, "recvmmsg took several datagrams per call: " + b.stats());
        }
    }

    @Test
    void gsoWithoutGroAndGroWithoutGso() throws Exception {
        UdpTransport.Options gsoOnly = new UdpTransport.Options(64, true, false);
        UdpTransport.Options groOnly = new UdpTransport.Options(64, false, true);
        try (UdpTransport a = UdpTransport.open(0, 0, gsoOnly); UdpTransport b = UdpTransport.open(0, 0, groOnly)) {
            assertTrue(a.gso());
            assertFalse(a.gro());
            assertFalse(b.gso());
            assertTrue(b.gro());
            List<byte[]> burst = run(8, 20, 1000);
            send(a, burst, new Endpoint(LO6, b.localPort()));
            assertEquals(1, a.stats().gsoMessages());
            assertArrived(burst, receive(b, 20, 64), new Endpoint(LO6, a.localPort()));
            send(b, burst, new Endpoint(LO6, a.localPort()));
            assertEquals(20, b.stats().sentMessages(), "no GSO from the GRO-only socket");
            assertArrived(burst, receive(a, 20, 64), new Endpoint(LO6, b.localPort()));
            assertEquals(20, a.stats().receivedMessages(), "no GRO on the GSO-only socket");
        }
    }

    @Test
    void theIpv4OnlyFallbackSocketBatchesToo() throws Exception {
        try (UdpTransport a = UdpTransport.openIpv4Only(0, 0, ALL); UdpTransport b = UdpTransport.openIpv4Only(0, 0, ALL);
             UdpTransport dual = UdpTransport.open(0, 0, ALL)) {
            List<byte[]> burst = run(17, 40, 1200);
            burst.add(payload(17, 40, 9));
            send(a, burst, new Endpoint(LO4, b.localPort()));
            assertEquals(1, a.stats().gsoMessages(), "GSO on the AF_INET socket: " + a.stats());
            assertArrived(burst, receive(b, 41, 16), new Endpoint(LO4, a.localPort()));
            assertEquals(1, b.stats().groMessages());
            PacketBatch out = new PacketBatch(2, 64);
            out.add(new byte[] {1}, 0, 1, new Endpoint(LO6, dual.localPort()));  // unreachable from AF_INET: dropped
            out.add(new byte[] {2}, 0, 1, new Endpoint(LO4, dual.localPort()));
            a.send(out);
            assertEquals(1, a.stats().sendDrops());
            List<Got> got = receive(dual, 1, 4);
            assertEquals(2, got.getFirst().data()[0]);
            assertEquals(new Endpoint(LO4, a.localPort()), got.getFirst().from(), "an AF_INET source on the dual-stack socket");
        }
    }

    @Test
    void theOffloadPropertyTurnsGsoAndGroOff() throws Exception {
        String old = System.getProperty("veil.udp.offload");
        System.setProperty("veil.udp.offload", "false");
        try (UdpTransport t = UdpTransport.open(0, 0)) {
            assertEquals(new UdpTransport.Options(64, false, false), UdpTransport.Options.fromSystemProperties());
            assertFalse(t.gso());
            assertFalse(t.gro());
        } finally {
            if (old == null) System.clearProperty("veil.udp.offload");
            else System.setProperty("veil.udp.offload", old);
        }
        assertEquals(ALL, UdpTransport.Options.fromSystemProperties(), "on by default");
    }

    /**
     * The socket's buffers are 4 MiB by default (the kernel reports twice what was asked), the kernel's default
     * with {@code veil.udp.buffer=0}, and the property is read as documented.
     */
    @Test
    void theSocketBuffersAreFourMebibytesOrTheKernelsDefault() throws Exception {
        int plain = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        int kernelDefault;
        try {
            kernelDefault = Libc.getsockopt(plain, Libc.SOL_SOCKET, Libc.SO_RCVBUF);
        } finally {
            Libc.close(plain);
        }
        UdpTransport.Options none = new UdpTransport.Options(64, false, false, 0);
        try (UdpTransport big = UdpTransport.open(0, 0, NONE); UdpTransport untouched = UdpTransport.open(0, 0, none)) {
            int forced = 2 * UdpTransport.Options.DEFAULT_BUFFER;
            if (!"root".equals(System.getProperty("user.name"))) {  // without CAP_NET_ADMIN: up to rmem_max
                int max = Integer.parseInt(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/core/rmem_max")).strip());
                forced = 2 * Math.min(UdpTransport.Options.DEFAULT_BUFFER, max);
            }
            assertEquals(forced, Libc.getsockopt(big.fd(), Libc.SOL_SOCKET, Libc.SO_RCVBUF));
            assertEquals(kernelDefault, Libc.getsockopt(untouched.fd(), Libc.SOL_SOCKET, Libc.SO_RCVBUF));
        }
        String old = System.getProperty("veil.udp.buffer");
        try {
            System.setProperty("veil.udp.buffer", "0");
            assertEquals(0, UdpTransport.Options.fromSystemProperties().bufferBytes());
            System.setProperty("veil.udp.buffer", "1048576");
            assertEquals(1 << 20, UdpTransport.Options.fromSystemProperties().bufferBytes());
            System.clearProperty("veil.udp.buffer");
            assertEquals(UdpTransport.Options.DEFAULT_BUFFER, UdpTransport.Options.fromSystemProperties().bufferBytes());
        } finally {
            if (old == null) System.clearProperty("veil.udp.buffer");
            else System.setProperty("veil.udp.buffer", old);
        }
    }

    @Test
    void aRepeatSourceGetsTheSameEndpoint() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, NONE); UdpTransport b = UdpTransport.open(0, 0, NONE)) {
            send(a, run(9, 2, 10), new Endpoint(LO4, b.localPort()));
            List<Got> first = receive(b, 2, 1);
            send(a, run(9, 1, 10), new Endpoint(LO4, b.localPort()));
            List<Got> second = receive(b, 1, 1);
            assertSame(first.get(0).from(), first.get(1).from());
            assertSame(first.get(0).from(), second.get(0).from(), "no new Endpoint for a source seen before");
        }
    }

    @Test
    void socketAddressesOfBothFamiliesAndOfTheIpv4OnlyFallback() {
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
        java.lang.foreign.MemorySegment m = arena.allocate(Mmsg.NAME_ROOM, 8);
        SockAddrs dual = new SockAddrs(true, arena);
        SockAddrs v4only = new SockAddrs(false, arena);
        Endpoint e4 = new Endpoint(new byte[] {10, 1, 2, (byte) 200}, 51820);
        Endpoint e6 = new Endpoint(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, 443);
        assertEquals(28, dual.encode(e4, m, 0), "IPv4 goes out as a mapped address on the dual-stack socket");
        assertEquals(Libc.AF_INET6, m.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 0));
        assertEquals((byte) 0xff, m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 19));
        assertEquals(e4, dual.decode(m, 0), "a mapped source is a 4-byte endpoint");
        assertEquals(28, dual.encode(e6, m, 0));
        assertEquals(e6, dual.decode(m, 0));
        assertEquals(16, v4only.encode(e4, m, 0));
        assertEquals(Libc.AF_INET, m.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 0));
        assertEquals(e4, v4only.decode(m, 0));
        assertEquals(-1, v4only.encode(e6, m, 0), "the IPv4-only socket cannot reach IPv6");
        m.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) 1);  // AF_UNIX
        assertNull(dual.decode(m, 0));
    }

    @Test
    void closedTransportNeitherSendsNorReceives() throws Exception {
        try (UdpTransport b = UdpTransport.open(0, 0, ALL)) {
            UdpTransport a = UdpTransport.open(0, 0, ALL);
            a.close();
            send(a, run(10, 3, 100), new Endpoint(LO4, b.localPort()));
            assertEquals(0, a.stats().sendCalls(), "a send after close does not touch the (maybe reused) descriptor");
            assertEquals(-1, a.receive(new PacketBatch(4, 2048)));
        }
    }

    /** A receive blocked in poll with a GRO super-datagram half handed out returns -1 when the transport closes. */
    @Test
    void closeWakesAReceiverBlockedAfterASplitSuperDatagram() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0, ALL)) {
            UdpTransport b = UdpTransport.open(0, 0, ALL);
            List<byte[]> burst = run(11, 16, 500);
            send(a, burst, new Endpoint(LO4, b.localPort()));
            List<Got> got = receive(b, 16, 4);
            assertArrived(burst, got, new Endpoint(LO4, a.localPort()));
            CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.receive(new PacketBatch(4, 2048));
                } catch (java.io.IOException e) {
                    return -2;
                }
            });
            b.close();
            assertEquals(-1, blocked.get(10, TimeUnit.SECONDS));
        }
    }

    /**
     * The kernel refuses a GSO message whose segments do not fit the route's MTU (EINVAL). On first use that turns
     * GSO off for the socket and the datagrams are resent one by one (fragmented); the loopback of a namespace of the
     * test's own has the small MTU.
     */
    @Test
    void einvalOnFirstUseTurnsGsoOffAndResends() throws Exception {
        try (UdpNetns ns = new UdpNetns()) {
            ns.in("ip", "link", "set", "lo", "mtu", "1280");
            try (UdpTransport a = ns.open(ALL); UdpTransport b = ns.open(ALL)) {
                assertTrue(a.gso());
                List<byte[]> burst = run(12, 10, 1400);
                send(a, burst, new Endpoint(LO4, b.localPort()));
                assertFalse(a.gso(), "GSO is off after the kernel refused it: " + a.stats());
                assertArrived(burst, receive(b, 10, 64), new Endpoint(LO4, a.localPort()));
                assertEquals(10, a.stats().sentMessages(), "resent one datagram per message: " + a.stats());
                List<byte[]> next = run(13, 10, 1000);
                send(a, next, new Endpoint(LO6, b.localPort()));
                assertEquals(0, a.stats().gsoMessages(), "and stays off");
                assertArrived(next, receive(b, 10, 64), new Endpoint(LO6, a.localPort()));
            }
        }
    }

    /** After GSO has worked, an EINVAL (a run larger than the MTU) resends that run but keeps GSO on. */
    @Test
    void einvalAfterGsoWorkedOnlyResendsThatMessage() throws Exception {
        try (UdpNetns ns = new UdpNetns()) {
            ns.in("ip", "link", "set", "lo", "mtu", "1400");
            try (UdpTransport a = ns.open(ALL); UdpTransport b = ns.open(ALL)) {
                Endpoint to = new Endpoint(LO4, b.localPort());
                Endpoint source = new Endpoint(LO4, a.localPort());
                List<byte[]> small = run(14, 10, 1000);
                send(a, small, to);
                assertEquals(1, a.stats().gsoMessages());
                assertArrived(small, receive(b, 10, 64), source);
                List<byte[]> large = run(15, 10, 1600);
                send(a, large, to);
                assertTrue(a.gso(), "GSO stays on");
                assertArrived(large, receive(b, 10, 64), source);
                send(a, small, to);
                assertEquals(2, a.stats().gsoMessages(), "and is used again");
                assertArrived(small, receive(b, 10, 64), source);
            }
        }
    }

    /**
     * A device without TX checksum offload: older kernels refuse UDP GSO with EIO (then GSO goes off and the run is
     * resent datagram by datagram), newer ones checksum in software and take it. Either way nothing is lost.
     */
    @Test
    void aDeviceWithoutChecksumOffloadLosesNothing() throws Exception {
        Root.require("ip", "ethtool");
        try (UdpNetns ns = new UdpNetns()) {
            ns.in("ethtool", "-K", "lo", "tx", "off");
            try (UdpTransport a = ns.open(ALL); UdpTransport b = ns.open(ALL)) {
                for (int round = 0; round < 2; round++) {
                    List<byte[]> burst = run(16 + round, 30, 1200);
                    send(a, burst, new Endpoint(LO6, b.localPort()));
                    assertArrived(burst, receive(b, 30, 64), new Endpoint(LO6, a.localPort()));
                }
                UdpTransport.Stats s = a.stats();
                assertEquals(0, s.sendDrops());
                if (a.gso()) {
                    assertEquals(2, s.gsoMessages(), "the kernel took the GSO runs: " + s);
                } else {
                    assertEquals(0, s.gsoMessages(), "the kernel refused GSO: " + s);
                    assertEquals(60, s.sentMessages());
                }
            }
        }
    }
}
