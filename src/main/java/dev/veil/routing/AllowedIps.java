package dev.veil.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * WireGuard's cryptokey routing table: IPv4 and IPv6 prefixes, each mapped to one value (a peer), with longest-prefix
 * match. Outbound, the destination of a packet from the TUN picks the peer; inbound, the source of a decrypted packet
 * must map back to the peer that sent it.
 *
 * <p>One path-compressed binary trie per family, as in the kernel and wireguard-go. Prefixes are stored with their
 * host bits cleared ({@code 10.0.0.5/24} is {@code 10.0.0.0/24}). Each prefix has exactly one value, so inserting an
 * existing prefix moves it to the new value. Values are compared with {@code equals} and must not be null.
 *
 * <p>Owns its tries and a per-value index of prefixes in insertion order (the order {@code wg show} lists them). Keeps
 * no reference to caller arrays. Not thread-safe: callers serialise all calls, reads included.
 */
public final class AllowedIps<T> {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final int IPV4_HEADER = 20;
    private static final int IPV6_HEADER = 40;

    /**
     * An IP prefix: a 4- or 16-byte address with its host bits cleared, and a prefix length. The array is copied in
     * and out, so a prefix is immutable; equality is by content.
     */
    public record Prefix(byte[] address, int cidr) {
        /** Copies the address and clears its host bits; throws IllegalArgumentException for a bad length or cidr. */
        public Prefix {
            checkPrefix(address, cidr);
            address = address.clone();
            for (int i = 0; i < address.length; i++) {
                int keep = Math.clamp(cidr - 8 * i, 0, 8);
                address[i] &= (byte) (0xff00 >>> keep);
            }
        }

        /** A copy of the address. */
        @Override
        public byte[] address() {
            return address.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix p && cidr == p.cidr && Arrays.equals(address, p.address);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(address) + cidr;
        }

        /** Like {@code 10.0.0.0/24} or {@code fd00::/64}. */
        @Override
        public String toString() {
            return AddressText.format(address) + "/" + cidr;
        }
    }

    private final PrefixTrie<T> ipv4 = new PrefixTrie<>(32);
    private final PrefixTrie<T> ipv6 = new PrefixTrie<>(128);
    private final Map<T, LinkedHashSet<PrefixTrie.Node<T>>> byValue = new HashMap<>();
    private int size;

    /**
     * Maps a prefix to {@code value}, replacing the value it had. The address is 4 or 16 bytes; bits past
     * {@code cidr} are ignored. Throws IllegalArgumentException for a bad length or cidr.
     */
    public void insert(byte[] address, int cidr, T value) {
        Objects.requireNonNull(value, "value");
        PrefixTrie<T> trie = trieFor(address, cidr);
        PrefixTrie.Node<T> node = trie.insert(hi(address, 0, address.length), lo(address, 0, address.length), cidr);
        if (node.value != null) unindex(node);
        else size++;
        node.value = value;
        byValue.computeIfAbsent(value, v -> new LinkedHashSet<>()).add(node);
    }

    /** Removes a prefix if it maps to {@code value}; returns whether it did. Host bits of the address are ignored. */
    public boolean remove(byte[] address, int cidr, T value) {
        PrefixTrie<T> trie = trieFor(address, cidr);
        PrefixTrie.Node<T> node = trie.find(hi(address, 0, address.length), lo(address, 0, address.length), cidr);
        if (node == null || node.value == null || !node.value.equals(value)) return false;
        unindex(node);
        node.trie.remove(node);
        size--;
        return true;
    }

    /** Removes every prefix of {@code value}. */
    public void removeAll(T value) {
        LinkedHashSet<PrefixTrie.Node<T>> nodes = byValue.remove(value);
        if (nodes == null) return;
        for (PrefixTrie.Node<T> node : nodes) node.trie.remove(node);
        size -= nodes.size();
    }

    /**
     * The value of the longest prefix containing the address at {@code buf[off, off + len)}, or null. {@code len} is 4
     * or 16 (else IllegalArgumentException). Allocates nothing.
     */
    public T lookup(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        return switch (len) {
            case 4, 16 -> trie(len).lookup(hi(buf, off, len), lo(buf, off, len));
            default -> throw new IllegalArgumentException("IP address of " + len + " bytes");
        };
    }

    /**
     * The value for the source address of the IP packet at {@code packet[off, off + len)}: null when the version is
     * neither 4 nor 6 or the packet is shorter than its fixed header (20 or 40 bytes). Allocates nothing.
     */
    public T lookupPacketSource(byte[] packet, int off, int len) {
        return lookupPacket(packet, off, len, 12, 8);
    }

    /** As {@link #lookupPacketSource}, for the destination address. */
    public T lookupPacketDestination(byte[] packet, int off, int len) {
        return lookupPacket(packet, off, len, 16, 24);
    }

    /** The prefixes of {@code value}, in the order they were inserted (a replaced prefix counts as new). */
    public List<Prefix> prefixes(T value) {
        LinkedHashSet<PrefixTrie.Node<T>> nodes = byValue.get(value);
        if (nodes == null) return List.of();
        return nodes.stream().map(node -> new Prefix(node.address(), node.cidr)).toList();
    }

    /** How many prefixes are mapped. */
    public int size() {
        return size;
    }

    private T lookupPacket(byte[] packet, int off, int len, int ipv4Offset, int ipv6Offset) {
        Objects.checkFromIndexSize(off, len, packet.length);
        if (len == 0) return null;
        return switch ((packet[off] & 0xff) >>> 4) {
            case 4 -> len < IPV4_HEADER ? null : ipv4.lookup(hi(packet, off + ipv4Offset, 4), 0);
            case 6 -> len < IPV6_HEADER ? null
                    : ipv6.lookup(hi(packet, off + ipv6Offset, 16), lo(packet, off + ipv6Offset, 16));
            default -> null;
        };
    }

    private void unindex(PrefixTrie.Node<T> node) {
        LinkedHashSet<PrefixTrie.Node<T>> nodes = byValue.get(node.value);
        nodes.remove(node);
        if (nodes.isEmpty()) byValue.remove(node.value);
    }

    /** The trie of a 4- or 16-byte family (package-private for invariant checks in tests). */
    PrefixTrie<T> trie(int len) {
        return len == 4 ? ipv4 : ipv6;
    }

    /** Checks an address length and prefix length; returns the trie of that family. */
    private PrefixTrie<T> trieFor(byte[] address, int cidr) {
        checkPrefix(address, cidr);
        return trie(address.length);
    }

    private static void checkPrefix(byte[] address, int cidr) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("IP address of " + address.length + " bytes");
        }
        if (cidr < 0 || cidr > 8 * address.length) {
            throw new IllegalArgumentException("prefix length " + cidr + " for a " + address.length + "-byte address");
        }
    }

    /** The upper 64 bits of the address at buf[off, off + len): an IPv4 address sits in the top 32. */
    private static long hi(byte[] buf, int off, int len) {
        return len == 4 ? (long) (int) INT.get(buf, off) << 32 : (long) LONG.get(buf, off);
    }

    /** The lower 64 bits of the address at buf[off, off + len): zero for IPv4. */
    private static long lo(byte[] buf, int off, int len) {
        return len == 4 ? 0 : (long) LONG.get(buf, off + 8);
    }
}
