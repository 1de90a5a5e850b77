package dev.veil.core;

/** Inner packets for tests in any package. Stateless. */
public final class TestPackets {
    private TestPackets() {}

    /** A minimal IPv4 packet (20-byte header, UDP protocol number, then payloadLen patterned bytes). */
    public static byte[] ipv4(byte[] src, byte[] dst, int payloadLen) {
        byte[] p = new byte[20 + payloadLen];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        for (int i = 20; i < p.length; i++) p[i] = (byte) (i * 13 + payloadLen);
        return p;
    }
}
