package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The FFM data plane against the real kernel: UDP over loopback (IPv4 and IPv6), and a TUN interface that a ping
 * in a test-made network namespace goes through. Needs root; skipped with a printed reason otherwise.
 */
class LinuxDataPlaneTest {
    @Test
    void udpLoopbackBothFamilies() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0); UdpTransport b = UdpTransport.open(0, 0)) {
            assertNotEquals(0, a.localPort());
            for (byte[] lo : new byte[][] {{127, 0, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}) {
                PacketBatch out = new PacketBatch(4, 2048);
                for (int i = 0; i < 3; i++) out.add(new byte[] {(byte) i, 42}, 0, 2, new Endpoint(lo, b.localPort()));
                a.send(out);
                PacketBatch in = new PacketBatch(8, 2048);
                int got = 0;
                while (got < 3) {
                    int n = b.receive(in);
                    assertTrue(n > 0);
                    for (int i = 0; i < n; i++) {
                        assertEquals(new Endpoint(lo, a.localPort()), in.endpoint(i), "the source is reported in its family");
                        assertEquals(got + i, in.buffer(i)[0]);
                    }
                    got += n;
                }
                assertEquals(3, got);
            }
        }
    }

    @Test
    void closeWakesABlockedReceive() throws Exception {
        UdpTransport t = UdpTransport.open(0, 0);
        CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> {
            try {
                return t.receive(new PacketBatch(1, 100));
            } catch (java.io.IOException e) {
                return -2;
            }
        });
        t.close();
        assertEquals(-1, r.get(10, TimeUnit.SECONDS));
    }

    /**
     * The device's rebind (wg set listen-port): one thread keeps receiving from whichever transport is current while
     * another closes it and opens the next one, which gets the closed one's descriptor numbers. Each datagram sent to
     * the new port must arrive. The bug this guards against: a poll(2) woken by the close but not yet run rechecks
     * the descriptor numbers, finds the new socket idle, and sleeps on the old socket's wait queue for ever. So each
     * round starts when the receiver sleeps in poll.
     */
    @Test
    void aReceiverFollowsRebindsThatReuseDescriptorNumbers() throws Exception {
        AtomicReference<UdpTransport> current = new AtomicReference<>(UdpTransport.open(0, 0));
        LinkedBlockingQueue<Byte> got = new LinkedBlockingQueue<>();
        CompletableFuture<Path> task = new CompletableFuture<>();
        Thread receiver = Thread.ofPlatform().daemon().start(() -> {
            try {
                task.complete(Path.of("/proc/thread-self").toRealPath());
            } catch (java.io.IOException e) {
                task.completeExceptionally(e);
            }
            PacketBatch in = new PacketBatch(8, 2048);
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    int n = current.get().receive(in);
                    for (int i = 0; i < n; i++) got.add(in.buffer(i)[0]);
                }
            } catch (java.io.IOException e) {
                got.add((byte) -1);
            }
        });
        try (UdpTransport sender = UdpTransport.open(0, 0)) {
            for (int round = 0; round < 300; round++) {
                UdpTransport old = current.get();
                awaitPolling(task.get(10, TimeUnit.SECONDS));
                old.close();
                current.set(UdpTransport.open(0, 0));
                PacketBatch out = new PacketBatch(1, 64);
                out.add(new byte[] {(byte) round}, 0, 1, new Endpoint(new byte[] {127, 0, 0, 1}, current.get().localPort()));
                sender.send(out);
                Byte b = got.poll(10, TimeUnit.SECONDS);
                assertEquals(Byte.valueOf((byte) round), b, "the datagram of rebind " + round + " arrived");
            }
        } finally {
            receiver.interrupt();
            current.get().close();
        }
    }

    /** Waits until the thread whose /proc task directory is given sleeps in poll(2). */
    private static void awaitPolling(Path task) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(task.resolve("wchan")).contains("poll")) {
            if (System.nanoTime() > deadline) fail("the receiver never waited in poll");
            LockSupport.parkNanos(200_000);  // leave the CPU to the receiver it waits for
        }
    }

    @Test
    void portInUseIsReported() throws Exception {
        try (UdpTransport a = UdpTransport.open(0, 0)) {
            assertThrows(UdpTransport.PortInUseException.class, () -> UdpTransport.open(a.localPort(), 0));
        }
    }

    @Test
    void fwmarkIsSetOnTheDualStackSocket() throws Exception {
        Root.require("ss");
        try (UdpTransport a = UdpTransport.open(0, 0x1234)) {
            String ss = Root.must("ss", "-uaen", "sport = :" + a.localPort());
            assertTrue(ss.contains("fwmark:0x1234"), "SO_MARK is set: " + ss);
            assertTrue(ss.contains("v6only:0"), "one socket serves IPv4 and IPv6: " + ss);
        }
    }

    @Test
    void tunCarriesAPingInsideATestNamespace() throws Exception {
        Root.require("ip", "ping");
        String ns = "veiltun" + ThreadLocalRandom.current().nextInt(100000);
        String ifname = "vt" + ThreadLocalRandom.current().nextInt(100000);
        Root.must("ip", "netns", "add", ns);
        try (LinuxTun tun = LinuxTun.open(ifname)) {
            assertEquals(ifname, tun.name());
            tun.setMtu(1400);
            assertEquals(1400, tun.mtu());
            Root.must("ip", "link", "set", ifname, "netns", ns);
            Root.must("ip", "-n", ns, "addr", "add", "10.211.0.1/24", "dev", ifname);
            Root.must("ip", "-n", ns, "link", "set", ifname, "up");
            // Answer echo requests for 10.211.0.2 from the TUN, as a peer behind the tunnel would.
            CompletableFuture<Integer> answered = CompletableFuture.supplyAsync(() -> {
                PacketBatch in = new PacketBatch(8, 65536), out = new PacketBatch(8, 65536);
                int n = 0;
                try {
                    while (n < 2) {
                        int c = tun.read(in);
                        if (c < 0) break;
                        for (int i = 0; i < c; i++) {
                            byte[] reply = dev.veil.cli.IcmpForTests.answer(java.util.Arrays.copyOf(in.buffer(i), in.length(i)));
                            if (reply != null) { out.add(reply, 0, reply.length, null); n++; }
                        }
                        tun.write(out);
                        out.clear();
                    }
                } catch (java.io.IOException e) {
                    return -1;
                }
                return n;
            });
            Root.Run ping = Root.run("ip", "netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "5", "10.211.0.2");
            assertEquals(0, ping.exit(), ping.output());
            assertEquals(2, answered.get(10, TimeUnit.SECONDS));
            // Deleting the interface makes reads fail, so the device can stop.
            CompletableFuture<String> gone = CompletableFuture.supplyAsync(() -> {
                try {
                    tun.read(new PacketBatch(1, 65536));
                    return "read returned";
                } catch (java.io.IOException e) {
                    return e.getMessage();
                }
            });
            Root.must("ip", "-n", ns, "link", "del", ifname);
            assertTrue(gone.get(10, TimeUnit.SECONDS).contains("gone"), "the reader learns the TUN is gone");
        } finally {
            Root.run("ip", "netns", "del", ns);
        }
    }
}
