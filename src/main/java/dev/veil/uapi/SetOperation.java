package dev.veil.uapi;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.veil.core.Endpoint;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Node;
import dev.veil.core.Peer;
import dev.veil.device.Device;
import dev.veil.routing.AllowedIps;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * One UAPI {@code set} operation, applied line by line as wireguard-go's {@code IpcSetOperation} does: each line
 * takes effect at once under the device lock, so a line that fails leaves the lines before it applied. Device keys
 * come first; each {@code public_key} line opens a peer section, and the lines after it apply to that peer.
 *
 * <p>A section's peer may be a placeholder that takes no changes but still checks its lines: our own public key,
 * a removed peer, or a new peer under {@code update_only}. A section ends at the next {@code public_key} or at the
 * end of the operation ({@link #finish}); then the persistent keepalive is applied (turning it on sends a keepalive,
 * as wireguard-go does after the section) and packets staged for the peer get a handshake. A set that fails stops
 * inside a section without finishing it: wireguard-go then sends no keepalive either (it does store the interval,
 * which Veil does not).
 *
 * <p>Not thread-safe: the handler runs one set at a time per device.
 */
final class SetOperation {
    /** wireguard-go's MaxPeers. */
    static final int MAX_PEERS = 1 << 16;

    private final Device device;
    private boolean deviceSection = true;
    private byte[] peerKey;
    /** The section's peer, or null for a placeholder (or before the first section). */
    private Peer peer;
    private boolean created;
    /** The section's persistent keepalive interval, or -1 when the section set none. */
    private int keepalive = -1;
    /**
     * The section's allowed_ip lines not yet applied: consecutive ones are applied together (up to
     * {@link #MAX_PENDING_IPS}), so 130,000 of them do not take the device lock 130,000 times. Any other line, the
     * end of the section and a failing line apply them first, so the effect is that of applying them one by one.
     */
    private final java.util.ArrayList<IpChange> pendingIps = new java.util.ArrayList<>();
    private static final int MAX_PENDING_IPS = 1024;

    private record IpChange(AllowedIps.Prefix prefix, boolean remove) {}

    SetOperation(Device device) {
        this.device = device;
    }

    /** Applies one {@code key=value} line, line[0, len), without its newline. */
    void line(byte[] line, int len) throws UapiException {
        try {
            line0(line, len);
        } catch (UapiException | RuntimeException e) {
            applyAllowedIps();  // the lines before the failing one stay applied
            throw e;
        }
    }

    private void line0(byte[] line, int len) throws UapiException {
        int eq = 0;
        while (eq < len && line[eq] != '=') eq++;
        if (eq == len) throw new UapiException(Errno.PROTOCOL, "a line without '='");
        String key = new String(line, 0, eq, ISO_8859_1);
        int off = eq + 1;
        if (!key.equals("allowed_ip")) applyAllowedIps();
        if (key.equals("public_key")) {
            deviceSection = false;
            finish();
            openPeer(line, off, len - off);
        } else if (deviceSection) {
            deviceLine(key, line, off, len - off);
        } else {
            peerLine(key, line, off, len - off);
        }
    }

    /** Ends the current peer section: applies its keepalive and starts a handshake for staged packets. */
    void finish() {
        applyAllowedIps();
        Peer p = peer;
        byte[] k = peerKey;
        int seconds = keepalive;
        peer = null;
        created = false;
        keepalive = -1;
        if (p == null) return;
        device.act((node, out) -> {
            if (node.peer(k) != p) return;
            if (seconds >= 0) node.setPersistentKeepalive(p, seconds, out);
            if (p.stagedPackets() > 0) node.initiateHandshake(p, out);
        });
    }

    private void deviceLine(String key, byte[] line, int off, int len) throws UapiException {
        switch (key) {
            case "private_key" -> {
                byte[] k = UapiText.hexKey(line, off, len);
                if (k == null) throw new UapiException(Errno.INVALID, "failed to set private_key: not 64 hex digits");
                try {
                    setPrivateKey(k);
                } finally {
                    Arrays.fill(k, (byte) 0);
                }
            }
            case "listen_port" -> {
                long port = UapiText.unsigned(value(line, off, len), 0xffff);
                if (port < 0) throw new UapiException(Errno.INVALID, "failed to parse listen_port");
                rebind("listen_port", () -> device.setListenPort((int) port));
            }
            case "fwmark" -> {
                long mark = UapiText.unsigned(value(line, off, len), 0xffff_ffffL);
                if (mark < 0) throw new UapiException(Errno.INVALID, "invalid fwmark");
                rebind("fwmark", () -> device.setFwmark((int) mark));
            }
            case "replace_peers" -> {
                requireTrue("replace_peers", line, off, len);
                device.configure(node -> {
                    for (Peer p : node.peerList()) node.removePeer(p);
                    return null;
                });
            }
            default -> throw new UapiException(Errno.INVALID, "invalid UAPI device key: " + shortened(key));
        }
    }

    private void setPrivateKey(byte[] k) {
        boolean zero = true;
        for (byte b : k) zero &= b == 0;
        boolean remove = zero;
        device.configure(node -> {
            if (remove) {
                if (node.staticKey() != null) node.setStaticKey(null);
            } else if (!(node.staticKey() instanceof MemoryStaticKey m && m.sameAs(k))) {
                node.setStaticKey(new MemoryStaticKey(k));
            }
            return null;
        });
    }

    private interface Rebind {
        void run() throws java.io.IOException;
    }

    /** Reopens the transport; a closed device only accepts the value, as a device that is down does in wireguard-go. */
    private void rebind(String what, Rebind change) throws UapiException {
        if (device.isClosed()) return;
        try {
            change.run();
        } catch (java.io.IOException | RuntimeException e) {
            throw new UapiException(Errno.PORT_IN_USE, "failed to set " + what + ": " + e.getMessage());
        }
    }

    private void openPeer(byte[] line, int off, int len) throws UapiException {
        byte[] k = UapiText.hexKey(line, off, len);
        if (k == null) throw new UapiException(Errno.INVALID, "failed to get peer by public key: not 64 hex digits");
        Peer[] found = new Peer[1];
        boolean ok = device.configure(node -> {
            if (Arrays.equals(k, node.publicKey())) return true;  // our own key: ignored
            found[0] = node.peer(k);
            if (found[0] != null) return true;
            if (device.isClosed() || node.peers().size() >= MAX_PEERS) return false;
            found[0] = node.addPeer(k);
            created = true;
            return true;
        });
        if (!ok) throw new UapiException(Errno.INVALID, "failed to create new peer");
        peerKey = k;
        peer = found[0];
    }

    private void peerLine(String key, byte[] line, int off, int len) throws UapiException {
        switch (key) {
            case "update_only" -> {
                requireTrue("update_only", line, off, len);
                if (created) removePeer();
            }
            case "remove" -> {
                requireTrue("remove", line, off, len);
                removePeer();
            }
            case "preshared_key" -> {
                byte[] psk = UapiText.hexKey(line, off, len);
                if (psk == null) throw new UapiException(Errno.INVALID, "failed to set preshared key: not 64 hex digits");
                try {
                    onPeer((node, p) -> p.setPresharedKey(psk));
                } finally {
                    Arrays.fill(psk, (byte) 0);
                }
            }
            case "endpoint" -> {
                Endpoint e = UapiText.endpoint(value(line, off, len));
                if (e == null) throw new UapiException(Errno.INVALID, "failed to set endpoint " + shortened(value(line, off, len)));
                onPeer((node, p) -> p.setEndpoint(e));
            }
            case "persistent_keepalive_interval" -> {
                long seconds = UapiText.unsigned(value(line, off, len), 0xffff);
                if (seconds < 0) throw new UapiException(Errno.INVALID, "failed to set persistent keepalive interval");
                if (peer != null) keepalive = (int) seconds;
            }
            case "replace_allowed_ips" -> {
                requireTrue("replace_allowed_ips", line, off, len);
                onPeer((node, p) -> node.allowedIps().removeAll(p));
            }
            case "allowed_ip" -> {
                boolean remove = len > 0 && line[off] == '-';
                String text = remove ? value(line, off + 1, len - 1) : value(line, off, len);
                AllowedIps.Prefix prefix = UapiText.prefix(text);
                if (prefix == null) throw new UapiException(Errno.INVALID, "failed to set allowed ip " + shortened(text));
                if (peer != null) {
                    pendingIps.add(new IpChange(prefix, remove));
                    if (pendingIps.size() >= MAX_PENDING_IPS) applyAllowedIps();
                }
            }
            case "protocol_version" -> {
                if (!value(line, off, len).equals("1")) throw new UapiException(Errno.INVALID, "invalid protocol version");
            }
            default -> throw new UapiException(Errno.INVALID, "invalid UAPI peer key: " + shortened(key));
        }
    }

    /** Removes the section's peer from the device; the rest of the section applies to a placeholder. */
    private void removePeer() {
        onPeer(Node::removePeer);
        peer = null;
    }

    /** Applies the queued allowed_ip lines of the section's peer, in order, under one hold of the device lock. */
    private void applyAllowedIps() {
        if (pendingIps.isEmpty()) return;
        onPeer((node, p) -> {
            for (IpChange c : pendingIps) {
                if (c.remove) node.allowedIps().remove(c.prefix.address(), c.prefix.cidr(), p);
                else node.allowedIps().insert(c.prefix.address(), c.prefix.cidr(), p);
            }
        });
        pendingIps.clear();
    }

    /** Runs a change on the section's peer under the device lock, unless it is a placeholder or already gone. */
    private void onPeer(BiConsumer<Node, Peer> change) {
        Peer p = peer;
        if (p == null) return;
        device.configure(node -> {
            if (node.peer(peerKey) == p) change.accept(node, p);
            return null;
        });
    }

    private static void requireTrue(String key, byte[] line, int off, int len) throws UapiException {
        if (!value(line, off, len).equals("true")) {
            throw new UapiException(Errno.INVALID, "failed to set " + key + ", invalid value");
        }
    }

    private static String value(byte[] line, int off, int len) {
        return new String(line, off, len, ISO_8859_1);
    }

    /** Client text for a log message: at most 40 characters, control characters as '?'. */
    private static String shortened(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return '"' + t.replaceAll("[\\p{Cntrl}]", "?") + '"';
    }
}
