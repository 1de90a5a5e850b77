package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The offload TUN against the real kernel. Two offload TUNs in two test-made namespaces, joined by a relay in this
 * JVM that reads batches from one and writes them to the other, as Veil's data plane does minus the crypto. A TCP
 * connection (IPv4, then IPv6) from one namespace to the other makes the kernel hand over TSO super-packets: the
 * relay checks every segment it gets (no longer than the MTU, valid IP and TCP/UDP checksums by a routine of this
 * test), the other TUN takes the coalesced super-packets, and the bytes arrive intact (SHA-256). When the kernel
 * accepted USO, UDP datagrams sent with UDP_SEGMENT take the same path as USO super-packets. Needs root; skipped
 * with a printed reason otherwise.
 */
class OffloadTunTest {
    private static final int MTU = 1420;
    private static final long BYTES = 24L << 20;

    private final AtomicLong segmentsChecked = new AtomicLong();
    private final AtomicLong badSegments = new AtomicLong();
    private final AtomicReference<String> firstBad = new AtomicReference<>();

    @Test
    void tcpAndUdpThroughTwoOffloadTuns() throws Exception {
        Root.require("ip");
        int r = ThreadLocalRandom.current().nextInt(100000);
        int net = ThreadLocalRandom.current().nextInt(1, 250);
        String nsA = "veiloffa" + r, nsB = "veiloffb" + r, ifA = "vofa" + r, ifB = "vofb" + r;
        String a4 = "10.215." + net + ".1", b4 = "10.215." + net + ".2";
        String a6 = "fd00:215:" + Integer.toHexString(net) + "::1", b6 = "fd00:215:" + Integer.toHexString(net) + "::2";
        List<Thread> relays = new ArrayList<>();
        Root.must("ip", "netns", "add", nsA);
        try (LinuxTun ta = LinuxTun.open(ifA, true); LinuxTun tb = LinuxTun.open(ifB, true)) {
            Root.must("ip", "netns", "add", nsB);
            System.out.println("offloads: " + ta.offloads() + " (" + ta.offloadNote() + ")");
            assertNotEquals(LinuxTun.Offloads.NONE, ta.offloads(),
                "this kernel takes TSO on a TUN: " + ta.offloadNote());
            for (Object[] side : new Object[][] {{ta, nsA, ifA, a4, a6}, {tb, nsB, ifB, b4, b6}}) {
                LinuxTun t = (LinuxTun) side[0];
                String ns = (String) side[1], ifname = (String) side[2];
                t.setMtu(MTU);
                Root.must("ip", "link", "set", ifname, "netns", ns);
                Root.must("ip", "-n", ns, "link", "set", "lo", "up");
                Root.must("ip", "-n", ns, "addr", "add", side[3] + "/24", "dev", ifname);
                Root.must("ip", "-n", ns, "addr", "add", side[4] + "/64", "dev", ifname, "nodad");
                Root.must("ip", "-n", ns, "link", "set", ifname, "up");
            }
            relays.add(relay(ta, tb));
            relays.add(relay(tb, ta));

            long gsoReadsBefore = ta.offloadCounters().superPacketsRead();
            transferTcp(nsA, nsB, b4, 5201);
            transferTcp(nsA, nsB, "[" + b6 + "]", 5202);
            LinuxTun.OffloadCounters ca = ta.offloadCounters(), cb = tb.offloadCounters();
            System.out.println("sender side " + ca + ", receiver side " + cb + ", segments checked " + segmentsChecked);
            assertEquals(0, badSegments.get(), "every segment is valid: " + firstBad.get());
            assertTrue(ca.superPacketsRead() > gsoReadsBefore, "the kernel handed over TSO super-packets");
            assertTrue(ca.largestRead() > MTU + 10, "a read larger than the MTU: " + ca.largestRead());
            assertTrue(ca.packetsRead() > ca.superPacketsRead(), "super-packets were cut into several segments");
            assertEquals(0, ca.readDrops(), "nothing the kernel handed over was dropped");
            assertTrue(cb.superPacketsWritten() > 0, "coalesced super-packets were written");
            assertTrue(cb.packetsMerged() > cb.superPacketsWritten(), "they merged several segments each");
            assertEquals(0, cb.writeErrors(), "the kernel took every coalesced packet");

            if (ta.offloads() == LinuxTun.Offloads.TCP_UDP) {
                long written = tb.offloadCounters().superPacketsWritten();
                long read = ta.offloadCounters().superPacketsRead();
                transferUdp(nsA, nsB, b4, 5203);
                assertTrue(ta.offloadCounters().superPacketsRead() > read, "the kernel handed over USO super-packets");
                assertTrue(tb.offloadCounters().superPacketsWritten() > written, "UDP datagrams were coalesced (USO)");
                assertEquals(0, tb.offloadCounters().writeErrors(), "the kernel took every UDP_L4 packet");
                assertEquals(0, badSegments.get(), "every datagram is valid: " + firstBad.get());
            } else {
                System.out.println("USO not offered by this kernel: " + ta.offloadNote() + "; UDP part not run");
            }
        } finally {
            for (Thread t : relays) t.join(10_000);
            Root.run("ip", "netns", "del", nsA);
            Root.run("ip", "netns", "del", nsB);
        }
    }

    private void transferTcp(String nsA, String nsB, String host, int port) throws Exception {
        Process sink = start(nsB, "sink", String.valueOf(port));
        try {
            Root.Run source = Root.run(command(nsA, "source", host.replace("[", "").replace("]", ""),
                String.valueOf(port), String.valueOf(BYTES)).toArray(String[]::new));
            assertEquals(0, source.exit(), source.output());
            String result = lastLine(sink);
            assertEquals(BYTES + " " + TcpPipe.expectedHash(BYTES), result, "the bytes arrived intact over " + host);
        } finally {
            sink.destroyForcibly();
        }
    }

    private void transferUdp(String nsA, String nsB, String host, int port) throws Exception {
        int count = 400;
        Process sink = start(nsB, "udp-sink", String.valueOf(port), String.valueOf(count), "5");
        try {
            Root.Run source = Root.run(command(nsA, "uso-source", host, String.valueOf(port), String.valueOf(count),
                "1200").toArray(String[]::new));
            assertEquals(0, source.exit(), source.output());
            String[] result = lastLine(sink).split(" ");
            int good = Integer.parseInt(result[0]), bad = Integer.parseInt(result[1]);
            System.out.println("UDP: " + good + " of " + count + " datagrams arrived intact, " + bad + " corrupt");
            assertEquals(0, bad, "no datagram arrived corrupted");
            // UDP may lose datagrams when the receiver falls behind; most must arrive.
            assertTrue(good >= count * 9 / 10, good + " of " + count + " arrived");
        } finally {
            sink.destroyForcibly();
        }
    }

    private static List<String> command(String ns, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classes = Path.of(TcpPipe.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + ":"
            + Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "--enable-native-access=ALL-UNNAMED",
            "-cp", classes, TcpPipe.class.getName()));
        c.addAll(List.of(args));
        return c;
    }

    /** Starts a sink and waits for its "ready" line. */
    private static Process start(String ns, String... args) throws Exception {
        Process p = new ProcessBuilder(command(ns, args)).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertEquals("ready", line, "the sink started");
        return p;
    }

    private static String lastLine(Process p) throws Exception {
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the sink finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return out.substring(out.lastIndexOf('\n') + 1);
    }

    /** Copies batches from one TUN to the other until the source closes, checking each packet. */
    private Thread relay(LinuxTun from, LinuxTun to) {
        return Thread.ofPlatform().daemon().name("offload-relay-" + from.name()).start(() -> {
            PacketBatch batch = new PacketBatch(64, 65536);
            try {
                while (from.read(batch) > 0) {
                    for (int i = 0; i < batch.count(); i++) check(batch.buffer(i), batch.length(i));
                    to.write(batch);
                }
            } catch (java.io.IOException e) {
                // the interface went away with its namespace
            }
        });
    }

    private void check(byte[] p, int len) {
        segmentsChecked.incrementAndGet();
        String why = len > MTU ? "longer than the MTU: " + len : checksumProblem(p, len);
        if (why != null) {
            badSegments.incrementAndGet();
            firstBad.compareAndSet(null, why);
        }
    }

    /** Null when the IPv4 header checksum and the TCP or UDP checksum verify (other packets pass). */
    static String checksumProblem(byte[] p, int len) {
        int version = (p[0] & 0xf0) >>> 4;
        if (version != 4 && version != 6) return "not IP";
        boolean v6 = version == 6;
        int t = v6 ? 40 : (p[0] & 0x0f) * 4;
        int proto = v6 ? p[6] : p[9];
        if (!v6 && sum(p, 0, t, 0) != 0xffff) return "bad IPv4 header checksum";
        if (proto != 6 && proto != 17) return null;
        int pseudo = sum(p, v6 ? 8 : 12, v6 ? 32 : 8, proto + len - t);
        return sum(p, t, len - t, pseudo) == 0xffff ? null : "bad " + (proto == 6 ? "TCP" : "UDP") + " checksum";
    }

    private static int sum(byte[] b, int off, int len, int initial) {
        long s = initial;
        for (int i = 0; i < len; i += 2) s += (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }
}
