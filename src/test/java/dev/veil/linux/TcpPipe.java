package dev.veil.linux;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A small program that tests run inside a network namespace ({@code ip netns exec NS java ... TcpPipe ...}):
 * {@code sink PORT} accepts one TCP connection and prints the byte count and SHA-256 of what arrived;
 * {@code source HOST PORT BYTES} sends {@link #pattern} bytes; {@code udp-sink PORT COUNT SECONDS} prints how many
 * of COUNT numbered datagrams arrived intact and how many were corrupt (waiting up to 60 s for the first, then until
 * SECONDS pass without one); {@code uso-source HOST PORT COUNT SIZE} sends them 40 at a time through one IPv4 socket
 * with UDP_SEGMENT (UDP GSO, through {@link Libc}), so the kernel builds USO super-packets. Sinks print "ready" once
 * listening.
 */
public final class TcpPipe {
    private TcpPipe() {}

    /** The byte at stream position i. */
    static byte pattern(long i) {
        return (byte) (i * 131 + (i >>> 9) * 7);
    }

    static byte[] chunk(long from, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = pattern(from + i);
        return b;
    }

    /** The SHA-256 of the first n pattern bytes. */
    static String expectedHash(long n) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (long at = 0; at < n; at += 65536) md.update(chunk(at, (int) Math.min(65536, n - at)));
        return HexFormat.of().formatHex(md.digest());
    }

    private static final int SOL_UDP = 17, UDP_SEGMENT = 103;

    private static void usoSource(String[] args) throws Exception {
        int count = Integer.parseInt(args[3]), size = Integer.parseInt(args[4]);
        byte[] to = InetAddress.getByName(args[1]).getAddress();
        int port = Integer.parseInt(args[2]);
        byte[] sockaddr = new byte[16];
        sockaddr[0] = (byte) Libc.AF_INET;  // sa_family, little-endian
        sockaddr[2] = (byte) (port >>> 8);
        sockaddr[3] = (byte) port;
        System.arraycopy(to, 0, sockaddr, 4, 4);
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        try {
            Libc.setsockopt(fd, SOL_UDP, UDP_SEGMENT, size);
            for (int first = 0; first < count; first += 40) {
                int n = Math.min(40, count - first);
                byte[] buf = new byte[n * size];
                for (int k = 0; k < n; k++) {
                    int d = first + k;
                    buf[k * size] = (byte) (d >>> 8);
                    buf[k * size + 1] = (byte) d;
                    System.arraycopy(chunk(d * 7919L, size - 2), 0, buf, k * size + 2, size - 2);
                }
                long r = Libc.sendto(fd, buf, 0, buf.length, sockaddr, 16);
                if (r != buf.length) throw new java.io.IOException("sendto: " + (r < 0 ? Libc.strerror((int) -r) : r));
                Thread.sleep(2);  // give the receiver time to keep up
            }
        } finally {
            Libc.close(fd);
        }
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "sink" -> {
                try (ServerSocket ss = new ServerSocket(Integer.parseInt(args[1]))) {
                    System.out.println("ready");
                    System.out.flush();
                    try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                        MessageDigest md = MessageDigest.getInstance("SHA-256");
                        byte[] buf = new byte[1 << 16];
                        long n = 0;
                        for (int r; (r = in.read(buf)) > 0; n += r) md.update(buf, 0, r);
                        System.out.println(n + " " + HexFormat.of().formatHex(md.digest()));
                    }
                }
            }
            case "source" -> {
                long total = Long.parseLong(args[3]);
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(args[1], Integer.parseInt(args[2])), 10_000);
                    OutputStream out = s.getOutputStream();
                    for (long at = 0; at < total; at += 1 << 18) {
                        out.write(chunk(at, (int) Math.min(1 << 18, total - at)));
                    }
                    s.shutdownOutput();
                    new DataInputStream(s.getInputStream()).read();  // wait for the sink to close
                }
            }
            case "udp-sink" -> {
                int count = Integer.parseInt(args[2]);
                try (DatagramSocket s = new DatagramSocket(Integer.parseInt(args[1]))) {
                    s.setReceiveBufferSize(1 << 22);
                    // The first datagram comes once the source's JVM has started (slow on a loaded machine); after
                    // it, SECONDS without one ends the count.
                    s.setSoTimeout(60_000);
                    int idleMs = Integer.parseInt(args[3]) * 1000;
                    System.out.println("ready");
                    System.out.flush();
                    boolean[] seen = new boolean[count];
                    int good = 0, bad = 0;
                    byte[] buf = new byte[65536];
                    try {
                        while (good < count) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            s.receive(p);
                            s.setSoTimeout(idleMs);
                            int n = (buf[0] & 0xff) << 8 | (buf[1] & 0xff);
                            byte[] want = chunk(n * 7919L, p.getLength() - 2);
                            if (n < count && java.util.Arrays.equals(buf, 2, p.getLength(), want, 0, want.length)) {
                                if (!seen[n]) good++;
                                seen[n] = true;
                            } else {
                                bad++;
                            }
                        }
                    } catch (java.net.SocketTimeoutException e) {
                        // report what arrived
                    }
                    System.out.println(good + " " + bad);
                }
            }
            case "uso-source" -> usoSource(args);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
