package dev.veil.core;

/** Text forms of IP addresses without java.net: dotted quads and RFC 5952 IPv6. Stateless. */
public final class Inet {
    private Inet() {}

    /** "a.b.c.d" or the compact IPv6 form. */
    public static String format(byte[] a) {
        if (a.length == 4) return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) w[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && w[j] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) { sb.append("::"); i += bestLen - 1; continue; }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(w[i]));
        }
        return sb.toString();
    }

    /** "a.b.c.d:port" or "[v6]:port". */
    public static String format(byte[] a, int port) {
        return a.length == 4 ? format(a) + ":" + port : "[" + format(a) + "]:" + port;
    }
}
