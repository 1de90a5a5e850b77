package dev.veil.routing;

import dev.veil.routing.AllowedIps.Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Test oracle: the allowed-IPs semantics as a plain list in insertion order, searched linearly. */
final class NaiveAllowedIps<T> {
    private record Entry<T>(Prefix prefix, T value) {}

    private final List<Entry<T>> entries = new ArrayList<>();

    void insert(Prefix prefix, T value) {
        entries.removeIf(e -> e.prefix().equals(prefix));
        entries.add(new Entry<>(prefix, value));
    }

    boolean remove(Prefix prefix, T value) {
        return entries.removeIf(e -> e.prefix().equals(prefix) && Objects.equals(e.value(), value));
    }

    void removeAll(T value) {
        entries.removeIf(e -> e.value().equals(value));
    }

    T lookup(byte[] address) {
        Entry<T> best = null;
        for (Entry<T> e : entries) {
            if (contains(e.prefix(), address) && (best == null || e.prefix().cidr() > best.prefix().cidr())) best = e;
        }
        return best == null ? null : best.value();
    }

    List<Prefix> prefixes(T value) {
        return entries.stream().filter(e -> e.value().equals(value)).map(Entry::prefix).toList();
    }

    int size() {
        return entries.size();
    }

    static boolean contains(Prefix prefix, byte[] address) {
        byte[] network = prefix.address();
        if (network.length != address.length) return false;
        for (int i = 0; i < prefix.cidr(); i++) {
            if (bit(network, i) != bit(address, i)) return false;
        }
        return true;
    }

    static int bit(byte[] a, int i) {
        return a[i / 8] >> (7 - i % 8) & 1;
    }
}
