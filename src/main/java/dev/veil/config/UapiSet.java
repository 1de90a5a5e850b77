package dev.veil.config;

import dev.veil.routing.AddressText;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Turns a {@link WgConfig} into the UAPI {@code set=1} request that {@code wg setconf} sends, key for key and in its
 * order. setconf replaces the whole device, so {@code private_key} (all zeros when the file has none, which clears
 * it), {@code listen_port} and {@code fwmark} (0 when absent) and {@code replace_peers=true} are always sent. Per
 * peer: {@code public_key}, then {@code preshared_key}, {@code endpoint} and {@code persistent_keepalive_interval}
 * when the file sets them ({@code off} is sent as 0), then {@code replace_allowed_ips=true} and one
 * {@code allowed_ip} per entry, as written. wg-quick's keys (Address, DNS, MTU, Table, the hooks, SaveConfig) are
 * not sent. Stateless and thread-safe.
 */
public final class UapiSet {
    private static final String NO_KEY = "0".repeat(2 * KeyText.LENGTH);

    private UapiSet() {}

    /** Turns an endpoint's host name into an address; the caller decides how (and how often) to ask DNS. */
    @FunctionalInterface
    public interface Resolver {
        /** The 4- or 16-byte address of {@code host}. */
        byte[] resolve(String host) throws UnknownHostException;
    }

    /**
     * The request: {@code set=1}, the key lines, and the empty line that ends it. Endpoints written as addresses are
     * used as they are; only names go to {@code resolver}, and an IPv6 result is written {@code [address]:port}.
     *
     * @throws UnknownHostException as {@code resolver} throws it
     */
    public static String request(WgConfig config, Resolver resolver) throws UnknownHostException {
        byte[] privateKey = config.iface().privateKey();
        try {
            return request(config, privateKey, resolver);
        } finally {
            if (privateKey != null) Arrays.fill(privateKey, (byte) 0);
        }
    }

    /**
     * The request with {@code privateKey} (32 bytes, or null for none) in place of the configuration's own, for a
     * configuration whose key is in a {@code PrivateKeyFile} (see {@link KeyFile#privateKey}). The caller keeps
     * {@code privateKey} and wipes it.
     */
    public static String request(WgConfig config, byte[] privateKey, Resolver resolver) throws UnknownHostException {
        InterfaceSection iface = config.iface();
        if (privateKey != null && privateKey.length != KeyText.LENGTH) {
            throw new IllegalArgumentException("private key of " + privateKey.length + " bytes");
        }
        StringBuilder out = new StringBuilder("set=1\n");
        line(out, "private_key", privateKey == null ? NO_KEY : KeyText.hex(privateKey));
        line(out, "listen_port", Integer.toString(iface.listenPort().orElse(0)));
        line(out, "fwmark", Long.toString(iface.fwmark().orElse(0)));
        line(out, "replace_peers", "true");
        for (PeerSection peer : config.peers()) {
            line(out, "public_key", KeyText.hex(peer.publicKey()));
            byte[] psk = peer.presharedKey();
            if (psk != null) line(out, "preshared_key", KeyText.hex(psk));
            if (peer.endpoint().isPresent()) line(out, "endpoint", endpoint(peer.endpoint().get(), resolver));
            peer.persistentKeepalive().ifPresent(k -> line(out, "persistent_keepalive_interval", Integer.toString(k)));
            line(out, "replace_allowed_ips", "true");
            for (Cidr ip : peer.allowedIps()) line(out, "allowed_ip", ip.toString());
        }
        return out.append('\n').toString();
    }

    private static String endpoint(HostPort endpoint, Resolver resolver) throws UnknownHostException {
        byte[] address = endpoint.literalAddress();
        if (address == null) {
            address = resolver.resolve(endpoint.host());
            if (address == null || (address.length != 4 && address.length != 16)) {
                throw new UnknownHostException(endpoint.host() + ": the resolver returned no IPv4 or IPv6 address");
            }
        }
        return AddressText.format(address, endpoint.port());
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(key).append('=').append(value).append('\n');
    }
}
