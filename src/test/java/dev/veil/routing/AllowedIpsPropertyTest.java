package dev.veil.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.veil.routing.AllowedIps.Prefix;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random operation sequences against {@link NaiveAllowedIps}. Prefixes come from a few seed addresses with one bit
 * flipped, so they nest and part at every depth; probe addresses mostly lie inside pool prefixes so that matches,
 * including competing longer and shorter ones, are actually exercised.
 */
class AllowedIpsPropertyTest {
    private static final int VALUES = 4;

    sealed interface Op permits Insert, Remove, RemoveAll {}

    record Insert(int prefix, int value) implements Op {}

    record Remove(int prefix, int value) implements Op {}

    record RemoveAll(int value) implements Op {}

    /** An address: inside pool prefix {@code prefix} with host bits from {@code noise}, or all noise when -1. */
    record Probe(int prefix, byte[] noise, boolean ipv6) {
        byte[] address(List<Prefix> pool) {
            if (prefix < 0) return Arrays.copyOf(noise, ipv6 ? 16 : 4);
            Prefix p = pool.get(prefix % pool.size());
            byte[] a = p.address();
            for (int i = p.cidr(); i < 8 * a.length; i++) {
                int bit = NaiveAllowedIps.bit(noise, i);
                a[i / 8] = (byte) (a[i / 8] & ~(0x80 >>> (i % 8)) | bit << (7 - i % 8));
            }
            return a;
        }
    }

    private static final List<String> SEEDS = List.of(
            "10.0.0.0", "10.0.0.255", "192.168.1.1", "0.0.0.0", "255.255.255.255", "128.0.0.1",
            "fd00::", "fd00::1", "2001:db8::ffff", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::",
            "fd00:0:0:1::", "fd00:0:0:0:8000::");

    @Provide
    Arbitrary<Prefix> prefixes() {
        Arbitrary<byte[]> seeds = Arbitraries.of(SEEDS).map(Ip::parse);
        Arbitrary<byte[]> randoms = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(4), Arbitraries.bytes().array(byte[].class).ofSize(16));
        Arbitrary<byte[]> addresses = Arbitraries.frequencyOf(
                Tuple.of(5, seeds), Tuple.of(1, randoms));
        return Combinators.combine(addresses, Arbitraries.integers().between(0, 128),
                        Arbitraries.integers().between(-1, 127), Arbitraries.integers().between(0, 6))
                .as((address, cidrSeed, flip, shape) -> {
                    int bits = 8 * address.length;
                    // Favour the ends and byte boundaries as well as uniform lengths.
                    int cidr = switch (shape) {
                        case 0 -> 0;
                        case 1 -> bits;
                        case 2 -> Math.min(bits, (cidrSeed / 8) * 8);
                        default -> cidrSeed % (bits + 1);
                    };
                    byte[] a = address.clone();
                    if (flip >= 0 && flip < bits) a[flip / 8] ^= (byte) (0x80 >>> (flip % 8));
                    return new Prefix(a, cidr);
                });
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 59);
        Arbitrary<Integer> value = Arbitraries.integers().between(0, VALUES - 1);
        Arbitrary<Op> insert = Combinators.combine(index, value).as(Insert::new);
        Arbitrary<Op> remove = Combinators.combine(index, value).as(Remove::new);
        Arbitrary<Op> removeAll = value.map(RemoveAll::new);
        return Arbitraries.frequencyOf(
                        Tuple.of(12, insert),
                        Tuple.of(5, remove),
                        Tuple.of(1, removeAll))
                .list().ofMinSize(1).ofMaxSize(80);
    }

    @Provide
    Arbitrary<List<Probe>> probes() {
        Arbitrary<Integer> target = Arbitraries.integers().between(-1, 59);
        return Combinators.combine(target, Arbitraries.bytes().array(byte[].class).ofSize(16), Arbitraries.of(true, false))
                .as(Probe::new)
                .list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 400)
    void agreesWithALinearTableAfterEveryOperation(
            @ForAll("pools") List<Prefix> pool, @ForAll("ops") List<Op> ops, @ForAll("probes") List<Probe> probes) {
        AllowedIps<Integer> table = new AllowedIps<>();
        NaiveAllowedIps<Integer> reference = new NaiveAllowedIps<>();
        List<byte[]> addresses = probes.stream().map(p -> p.address(pool)).toList();
        for (int step = 0; step < ops.size(); step++) {
            Op op = ops.get(step);
            switch (op) {
                case Insert(int i, int v) -> {
                    Prefix p = pool.get(i % pool.size());
                    table.insert(p.address(), p.cidr(), v);
                    reference.insert(p, v);
                }
                case Remove(int i, int v) -> {
                    Prefix p = pool.get(i % pool.size());
                    assertEquals(reference.remove(p, v), table.remove(p.address(), p.cidr(), v), "step " + step + ": " + op);
                }
                case RemoveAll(int v) -> {
                    table.removeAll(v);
                    reference.removeAll(v);
                }
            }
            for (byte[] a : addresses) {
                assertEquals(reference.lookup(a), table.lookup(a, 0, a.length),
                        "step " + step + " (" + op + "): lookup of " + AddressText.format(a));
            }
            assertEquals(reference.size(), table.size(), "step " + step + ": size");
        }
        for (int v = 0; v < VALUES; v++) assertEquals(reference.prefixes(v), table.prefixes(v), "prefixes of " + v);
        TrieInvariants.check(table);
        for (int v = 0; v < VALUES; v++) table.removeAll(v);
        assertEquals(0, table.size());
        TrieInvariants.check(table);
        assertNull(table.trie(4).root(), "nothing left behind in the IPv4 trie");
        assertNull(table.trie(16).root(), "nothing left behind in the IPv6 trie");
    }

    @Provide
    Arbitrary<List<Prefix>> pools() {
        return prefixes().list().ofMinSize(1).ofMaxSize(60);
    }
}
