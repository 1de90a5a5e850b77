package dev.veil.config;

import java.util.Objects;

/**
 * A peer's {@code Endpoint}: a host and a UDP port. The host is an IP address (the parser keeps IPv6 in its RFC 5952
 * form, without the brackets the file needs) or a DNS name that is resolved later, when the configuration is
 * applied; the parser never resolves anything. An immutable value.
 */
public record HostPort(String host, int port) {
    /** Throws IllegalArgumentException for an empty host or a port outside 0 to 65535. */
    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) throw new IllegalArgumentException("empty host");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
    }

    /** The 4 or 16 bytes of the host when it is an IP address, or null when it is a name to resolve. */
    public byte[] literalAddress() {
        return IpText.parse(host);
    }

    /** {@code host:port}, or {@code [host]:port} for an IPv6 host, as the file writes it. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
