package dev.veil.config;

import java.util.Arrays;

/**
 * Parses IP address text as {@code inet_pton} does, without {@code java.net} (which would try DNS on a name): IPv4
 * only as a dotted quad of decimal octets without leading zeros, IPv6 as up to eight hex groups with at most one
 * {@code ::} and an optional trailing dotted quad, and no zone. Stateless and thread-safe.
 */
final class IpText {
    private IpText() {}

    /** The 4 or 16 bytes of {@code text}, or null if it is not an address. IPv6 is chosen by a ':' in the text. */
    static byte[] parse(String text) {
        return text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text, 0, text.length());
    }

    /** The bytes of a dotted quad in {@code text[from, to)}, or null. */
    static byte[] ipv4(String text, int from, int to) {
        byte[] out = new byte[4];
        int octet = 0;
        int i = from;
        while (octet < 4) {
            int start = i;
            int value = 0;
            while (i < to && i - start < 3 && isDigit(text.charAt(i))) value = value * 10 + text.charAt(i++) - '0';
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text.charAt(start) == '0')) return null;
            out[octet++] = (byte) value;
            if (octet < 4) {
                if (i >= to || text.charAt(i) != '.') return null;
                i++;
            }
        }
        return i == to ? out : null;
    }

    private static byte[] ipv6(String text) {
        byte[] out = new byte[16];
        int n = text.length();
        int pos = 0; // next byte of out
        int gap = -1; // where "::" stood, as a byte offset
        int i = 0;
        if (text.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == n) return out;
        } else if (text.startsWith(":")) {
            return null;
        }
        while (i < n) {
            if (pos == 16) return null;
            int start = i;
            int value = 0;
            while (i < n && i - start < 4 && Character.digit(text.charAt(i), 16) >= 0 && text.charAt(i) < 0x80) {
                value = value << 4 | Character.digit(text.charAt(i++), 16);
            }
            if (i < n && text.charAt(i) == '.') { // a trailing dotted quad fills the last four bytes
                if (pos > 12) return null;
                byte[] v4 = ipv4(text, start, n);
                if (v4 == null) return null;
                System.arraycopy(v4, 0, out, pos, 4);
                pos += 4;
                break;
            }
            if (i == start) return null;
            out[pos++] = (byte) (value >>> 8);
            out[pos++] = (byte) value;
            if (i == n) break;
            if (text.charAt(i) != ':') return null;
            i++;
            if (i < n && text.charAt(i) == ':') {
                if (gap >= 0) return null;
                gap = pos;
                i++;
            } else if (i == n) {
                return null; // a single trailing ':'
            }
        }
        if (gap < 0) return pos == 16 ? out : null;
        if (pos == 16) return null; // "::" must stand for at least one group
        int tail = pos - gap;
        System.arraycopy(out, gap, out, 16 - tail, tail);
        Arrays.fill(out, gap, 16 - tail, (byte) 0);
        return out;
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
