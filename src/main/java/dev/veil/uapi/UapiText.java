package dev.veil.uapi;

import dev.veil.core.Endpoint;
import dev.veil.routing.AllowedIps;

/**
 * Parses the values of UAPI set lines as strictly as wireguard-go does (Go's {@code hex}, {@code strconv.ParseUint},
 * {@code netip.ParseAddr}, {@code ParseAddrPort} and {@code ParsePrefix}): numeric addresses only, no IPv6 zones
 * (Veil's endpoints have none). Every method returns null or -1 for bad input and never throws. Stateless.
 */
final class UapiText {
    private UapiText() {}

    /** 32 bytes from exactly 64 hex digits (either case) at b[off, off + len), or null. */
    static byte[] hexKey(byte[] b, int off, int len) {
        if (len != 64) return null;
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            int hi = hexDigit(b[off + 2 * i]);
            int lo = hexDigit(b[off + 2 * i + 1]);
            if (hi < 0 || lo < 0) {
                java.util.Arrays.fill(key, (byte) 0);
                return null;
            }
            key[i] = (byte) (hi << 4 | lo);
        }
        return key;
    }

    /** The value of an ASCII hex digit, or -1. */
    private static int hexDigit(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** A decimal number of 0 to max (no sign, leading zeros allowed), or -1. */
    static long unsigned(String s, long max) {
        if (s.isEmpty()) return -1;
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
            if (v > max) return -1;
        }
        return v;
    }

    /** A 4-byte IPv4 or 16-byte IPv6 address, or null. */
    static byte[] address(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') return ipv4(s, 0, s.length());
            if (c == ':') return ipv6(s);
            if (c == '%') return null;
        }
        return null;
    }

    /** {@code a.b.c.d:port} or {@code [v6]:port}, or null. */
    static Endpoint endpoint(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) return null;
        String host = s.substring(0, colon);
        boolean bracketed = host.charAt(0) == '[';
        if (bracketed) {
            if (host.length() < 2 || host.charAt(host.length() - 1) != ']') return null;
            host = host.substring(1, host.length() - 1);
        }
        long port = unsigned(s.substring(colon + 1), 0xffff);
        byte[] a = address(host);
        if (port < 0 || a == null || bracketed != (a.length == 16)) return null;
        return new Endpoint(a, (int) port);
    }

    /** {@code address/bits}, with bits written without a sign or leading zeros, or null. */
    static AllowedIps.Prefix prefix(String s) {
        int slash = s.lastIndexOf('/');
        if (slash < 0) return null;
        byte[] a = address(s.substring(0, slash));
        String bits = s.substring(slash + 1);
        if (a == null || (bits.length() > 1 && (bits.charAt(0) < '1' || bits.charAt(0) > '9'))) return null;
        long cidr = unsigned(bits, 8L * a.length);
        return cidr < 0 ? null : new AllowedIps.Prefix(a, (int) cidr);
    }

    /** Four decimal fields of 0 to 255 without leading zeros in s[from, to), or null. */
    private static byte[] ipv4(String s, int from, int to) {
        byte[] a = new byte[4];
        int i = from;
        for (int field = 0; field < 4; field++) {
            if (field > 0) {
                if (i == to || s.charAt(i) != '.') return null;
                i++;
            }
            int start = i;
            int v = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                v = v * 10 + (s.charAt(i++) - '0');
                if (v > 255) return null;
            }
            if (i == start || (i - start > 1 && s.charAt(start) == '0')) return null;
            a[field] = (byte) v;
        }
        return i == to ? a : null;
    }

    /**
     * Up to eight groups of one to four hex digits separated by ':', one "::" standing for at least one zero group,
     * and optionally a dotted IPv4 address as the last 32 bits; or null.
     */
    private static byte[] ipv6(String s) {
        byte[] a = new byte[16];
        int gap = -1;  // where "::" stands, as a byte offset into a
        int i = 0;
        int n = 0;     // bytes filled
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == s.length()) return a;
        }
        while (n < 16) {
            int start = i;
            int v = 0;
            while (i < s.length() && i - start < 5 && hexDigit(s.charAt(i)) >= 0) {
                v = v << 4 | hexDigit(s.charAt(i++));
            }
            if (i == start || i - start > 4) return null;
            if (i < s.length() && s.charAt(i) == '.') {
                if ((gap < 0 && n != 12) || n + 4 > 16) return null;
                byte[] v4 = ipv4(s, start, s.length());
                if (v4 == null) return null;
                System.arraycopy(v4, 0, a, n, 4);
                n += 4;
                i = s.length();
                break;
            }
            a[n++] = (byte) (v >>> 8);
            a[n++] = (byte) v;
            if (i == s.length()) break;
            if (s.charAt(i) != ':' || i + 1 == s.length()) return null;
            i++;
            if (s.charAt(i) == ':') {
                if (gap >= 0) return null;
                gap = n;
                i++;
                if (i == s.length()) break;
            }
        }
        if (i != s.length()) return null;
        if (n < 16) {
            if (gap < 0) return null;
            int shift = 16 - n;
            System.arraycopy(a, gap, a, gap + shift, n - gap);
            java.util.Arrays.fill(a, gap, gap + shift, (byte) 0);
        } else if (gap >= 0) {
            return null;
        }
        return a;
    }
}
