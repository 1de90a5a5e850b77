package dev.veil.routing;

/**
 * Text of IP addresses without {@code java.net}: dotted quads for IPv4, and for IPv6 the canonical form of RFC 5952
 * (lowercase hex, no leading zeros, the longest run of two or more zero groups, the first of equals, as {@code ::}),
 * with IPv4-mapped addresses as {@code ::ffff:192.0.2.1}. Stateless and thread-safe.
 */
public final class AddressText {
    private AddressText() {}

    /** The text of a 4- or 16-byte address. */
    public static String format(byte[] address) {
        return switch (address.length) {
            case 4 -> ipv4(address, 0);
            case 16 -> ipv6(address);
            default -> throw new IllegalArgumentException("IP address of " + address.length + " bytes");
        };
    }

    /** "a.b.c.d:port" or "[v6]:port", as endpoints are written. */
    public static String format(byte[] address, int port) {
        return address.length == 4 ? format(address) + ":" + port : "[" + format(address) + "]:" + port;
    }

    private static String ipv4(byte[] a, int off) {
        return (a[off] & 0xff) + "." + (a[off + 1] & 0xff) + "." + (a[off + 2] & 0xff) + "." + (a[off + 3] & 0xff);
    }

    private static String ipv6(byte[] a) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
        if (groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[4] == 0
                && groups[5] == 0xffff) {
            return "::ffff:" + ipv4(a, 12);
        }
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not compressed
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
