package dev.veil.uapi;

import dev.veil.core.Result;
import dev.veil.device.Device;
import java.util.Locale;

/**
 * Veil's extension of the UAPI: the operation {@code veil-stats=1} (then a blank line) is answered with the device's
 * counters as {@code key=value} lines, then {@code errno=0} and a blank line. {@code wg} never sends it, and
 * wireguard-go closes the connection on it, so the stock tools are unaffected. {@code veil show --json} reads it.
 *
 * <pre>
 * under_load=0|1                  the node asks for cookies now
 * cookie_replies_sent=N           handshake messages answered with a cookie reply under load
 * handshake_backlog=N             handshake messages waiting in the device's queue now
 * handshake_queue_drops=N         handshake messages dropped because that queue was full
 * dropped_REASON=N                datagrams and packets dropped, one line per reason (bad_mac1, unknown_index, ...)
 * </pre>
 *
 * No key material. Stateless.
 */
final class StatsText {
    static final String OPERATION = "veil-stats=1";

    private StatsText() {}

    static String of(Device device) {
        StringBuilder b = new StringBuilder();
        device.inspect(node -> {
            line(b, "under_load", node.underLoad() ? 1 : 0);
            line(b, "cookie_replies_sent", node.count(Result.Ok.COOKIE_SENT));
        });
        line(b, "handshake_backlog", device.handshakeBacklog());
        line(b, "handshake_queue_drops", device.handshakeQueueDrops());
        device.inspect(node -> {
            for (Result.Dropped d : Result.Dropped.values()) {
                line(b, "dropped_" + d.name().toLowerCase(Locale.ROOT), node.count(d));
            }
        });
        return b.append("errno=0\n\n").toString();
    }

    private static void line(StringBuilder b, String key, long value) {
        b.append(key).append('=').append(value).append('\n');
    }
}
