package dev.veil.config;

import java.util.List;
import java.util.Objects;

/**
 * A parsed {@code wg} / {@code wg-quick} configuration file: its {@code [Interface]} section (empty when the file has
 * none) and its peers in file order. An immutable value; {@link #toString()} shows no private or preshared key.
 */
public record WgConfig(InterfaceSection iface, List<PeerSection> peers) {
    public WgConfig {
        Objects.requireNonNull(iface, "iface");
        peers = List.copyOf(peers);
    }
}
