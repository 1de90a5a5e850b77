package dev.veil.routing;

import java.util.ArrayList;
import java.util.List;

/** Test helper: parses address text (dotted quads; IPv6 with {@code ::} and a trailing dotted quad) into bytes. */
final class Ip {
    private Ip() {}

    /** The bytes of "10.0.0.1" or "fd00::1". */
    static byte[] parse(String text) {
        return text.contains(":") ? ipv6(text) : ipv4(text);
    }

    /** The address part of "10.0.0.0/8". */
    static byte[] address(String prefix) {
        return parse(prefix.substring(0, prefix.indexOf('/')));
    }

    /** The length part of "10.0.0.0/8". */
    static int cidr(String prefix) {
        return Integer.parseInt(prefix.substring(prefix.indexOf('/') + 1));
    }

    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) throw new IllegalArgumentException(text);
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v < 0 || v > 255) throw new IllegalArgumentException(text);
            out[i] = (byte) v;
        }
        return out;
    }

    private static byte[] ipv6(String text) {
        int gap = text.indexOf("::");
        List<Integer> head = groups(gap < 0 ? text : text.substring(0, gap));
        List<Integer> tail = gap < 0 ? List.of() : groups(text.substring(gap + 2));
        int missing = 8 - head.size() - tail.size();
        if (gap < 0 ? missing != 0 : missing < 1) throw new IllegalArgumentException(text);
        List<Integer> all = new ArrayList<>(head);
        for (int i = 0; i < missing; i++) all.add(0);
        all.addAll(tail);
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = (byte) (all.get(i) >>> 8);
            out[2 * i + 1] = (byte) (int) all.get(i);
        }
        return out;
    }

    private static List<Integer> groups(String text) {
        List<Integer> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        String[] parts = text.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i == parts.length - 1 && parts[i].contains(".")) {
                byte[] v4 = ipv4(parts[i]);
                out.add((v4[0] & 0xff) << 8 | (v4[1] & 0xff));
                out.add((v4[2] & 0xff) << 8 | (v4[3] & 0xff));
            } else {
                int v = Integer.parseInt(parts[i], 16);
                if (parts[i].length() > 4 || v > 0xffff) throw new IllegalArgumentException(text);
                out.add(v);
            }
        }
        return out;
    }
}
