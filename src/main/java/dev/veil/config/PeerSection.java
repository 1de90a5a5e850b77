package dev.veil.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One {@code [Peer]} section. An immutable value: arrays are copied in and out, the list is an unmodifiable copy,
 * and {@link #toString()} never shows the preshared key.
 *
 * @param publicKey           32 bytes, required
 * @param presharedKey        32 bytes, or null when absent
 * @param allowedIps          every {@code AllowedIPs} entry, in order, host bits kept
 * @param endpoint            the endpoint as written (names are resolved later)
 * @param persistentKeepalive seconds, 0 to 65535; {@code PersistentKeepalive = off} is 0
 */
public record PeerSection(
        byte[] publicKey,
        byte[] presharedKey,
        List<Cidr> allowedIps,
        Optional<HostPort> endpoint,
        OptionalInt persistentKeepalive) {

    /** Copies everything; throws for a missing public key, a key that is not 32 bytes, or a keepalive out of range. */
    public PeerSection {
        Objects.requireNonNull(publicKey, "public key");
        publicKey = KeyText.copyOf(publicKey, "public key");
        presharedKey = KeyText.copyOf(presharedKey, "preshared key");
        allowedIps = List.copyOf(allowedIps);
        Objects.requireNonNull(endpoint, "endpoint");
        persistentKeepalive.ifPresent(k -> InterfaceSection.checkRange(k, 0, 65535, "persistent keepalive"));
    }

    /** A copy of the public key. */
    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the preshared key, or null when there is none. */
    @Override
    public byte[] presharedKey() {
        return presharedKey == null ? null : presharedKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerSection p && Arrays.equals(publicKey, p.publicKey)
                && Arrays.equals(presharedKey, p.presharedKey) && allowedIps.equals(p.allowedIps)
                && endpoint.equals(p.endpoint) && persistentKeepalive.equals(p.persistentKeepalive);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(publicKey), Arrays.hashCode(presharedKey), allowedIps, endpoint,
                persistentKeepalive);
    }

    /** The public key in base64 and every other field, but only the presence of the preshared key. */
    @Override
    public String toString() {
        return "PeerSection[publicKey=" + KeyText.base64(publicKey) + ", presharedKey="
                + (presharedKey == null ? "none" : "(hidden)") + ", allowedIps=" + allowedIps + ", endpoint="
                + endpoint + ", persistentKeepalive=" + persistentKeepalive + "]";
    }

    /** The section while the parser fills it in. Not thread-safe. */
    static final class Builder {
        /** The line of the {@code [Peer]} header, for the error when the public key is missing. */
        final int line;
        byte[] publicKey;
        byte[] presharedKey;
        final List<Cidr> allowedIps = new ArrayList<>();
        Optional<HostPort> endpoint = Optional.empty();
        OptionalInt persistentKeepalive = OptionalInt.empty();

        Builder(int line) {
            this.line = line;
        }

        PeerSection build() {
            return new PeerSection(publicKey, presharedKey, allowedIps, endpoint, persistentKeepalive);
        }
    }
}
