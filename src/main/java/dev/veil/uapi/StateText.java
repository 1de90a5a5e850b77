package dev.veil.uapi;

import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Peer;
import dev.veil.device.Device;
import dev.veil.routing.AllowedIps;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The answer to a UAPI {@code get}: the device's state as {@code key=value} lines in wireguard-go's order, then
 * {@code errno=0} and a blank line. The text holds the private key, so it lives in a byte array that is wiped after
 * it is written (and on every growth), never in a String. Not thread-safe: one answer, one thread.
 */
final class StateText {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private byte[] buf = new byte[1024];
    private int length;

    /** Renders the device's state, read in one go under the device lock. */
    static StateText of(Device device) {
        StateText t = new StateText();
        device.inspect(node -> {
            if (node.staticKey() instanceof MemoryStaticKey m) {
                byte[] k = m.exportPrivateKey();
                t.key("private_key", k);
                Arrays.fill(k, (byte) 0);
            }
            if (device.listenPort() != 0) t.line("listen_port", Integer.toString(device.listenPort()));
            if (device.fwmark() != 0) t.line("fwmark", Integer.toUnsignedString(device.fwmark()));
            for (Peer p : node.peerList()) {
                t.key("public_key", p.publicKey());
                byte[] psk = p.presharedKey();
                t.key("preshared_key", psk);
                Arrays.fill(psk, (byte) 0);
                t.line("protocol_version", "1");
                if (p.endpoint() != null) t.line("endpoint", p.endpoint().toString());
                long handshake = p.lastHandshakeEpochNanos();
                t.line("last_handshake_time_sec", Long.toString(handshake / 1_000_000_000L));
                t.line("last_handshake_time_nsec", Long.toString(handshake % 1_000_000_000L));
                t.line("tx_bytes", Long.toUnsignedString(p.txBytes()));
                t.line("rx_bytes", Long.toUnsignedString(p.rxBytes()));
                t.line("persistent_keepalive_interval", Integer.toString(p.persistentKeepaliveSeconds()));
                for (AllowedIps.Prefix prefix : node.allowedIps().prefixes(p)) t.line("allowed_ip", prefix.toString());
            }
        });
        t.line("errno", "0");
        t.append('\n');
        return t;
    }

    /** Writes the text and wipes it. */
    void writeTo(OutputStream out) throws IOException {
        try {
            out.write(buf, 0, length);
        } finally {
            wipe();
        }
    }

    void wipe() {
        Arrays.fill(buf, (byte) 0);
        length = 0;
    }

    private void line(String key, String value) {
        ascii(key);
        append('=');
        ascii(value);
        append('\n');
    }

    private void key(String key, byte[] k) {
        ascii(key);
        append('=');
        for (byte b : k) {
            append(HEX[(b >> 4) & 0xf]);
            append(HEX[b & 0xf]);
        }
        append('\n');
    }

    private void ascii(String s) {
        for (int i = 0; i < s.length(); i++) append(s.charAt(i));
    }

    private void append(int b) {
        if (length == buf.length) {
            byte[] bigger = Arrays.copyOf(buf, 2 * buf.length);
            Arrays.fill(buf, (byte) 0);
            buf = bigger;
        }
        buf[length++] = (byte) b;
    }
}
