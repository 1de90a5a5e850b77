package dev.veil.routing;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH cost of {@link AllowedIps} with a table of {@value #PREFIXES} seeded random prefixes per family, 1,000 peers:
 * IPv4 mostly /24 to /32 and IPv6 mostly /48 to /128 (one in ten shorter). The lookups route prebuilt packets by
 * destination with {@link AllowedIps#lookupPacketDestination}, cycling over {@value #DESTINATIONS} addresses that
 * each fall inside an inserted prefix (so every lookup hits), or repeating one address (a single flow, the trie path
 * stays in cache). The insert benchmarks build a whole table of {@value #PREFIXES} prefixes per operation. Run it
 * with {@code bench/jmh.sh AllowedIpsBenchmark -prof gc}. Public because JMH requires it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AllowedIpsBenchmark {
    static final int PREFIXES = 100_000;
    static final int DESTINATIONS = 4096;
    static final int PEERS = 1000;

    /** The seeded prefixes of one family and a table holding them, shared by the lookup and insert states. */
    static final class Prefixes {
        final byte[][] addresses = new byte[PREFIXES][];
        final int[] cidrs = new int[PREFIXES];
        final Integer[] values = new Integer[PREFIXES];

        Prefixes(Random random, int bytes) {
            int bits = 8 * bytes;
            int longFrom = bytes == 4 ? 24 : 48;
            for (int i = 0; i < PREFIXES; i++) {
                addresses[i] = new byte[bytes];
                random.nextBytes(addresses[i]);
                cidrs[i] = random.nextInt(10) == 0
                    ? 8 + random.nextInt(longFrom - 8)
                    : longFrom + random.nextInt(bits - longFrom + 1);
                values[i] = random.nextInt(PEERS);
            }
        }

        AllowedIps<Integer> table() {
            AllowedIps<Integer> t = new AllowedIps<>();
            for (int i = 0; i < PREFIXES; i++) t.insert(addresses[i], cidrs[i], values[i]);
            return t;
        }

        /** An address inside prefix i, with random host bits. */
        byte[] addressIn(int i, Random random) {
            byte[] a = addresses[i].clone();
            for (int bit = cidrs[i]; bit < 8 * a.length; bit++) {
                if (random.nextBoolean()) a[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
            }
            return a;
        }
    }

    /** A full table per family and {@value #DESTINATIONS} packets whose destinations hit it. */
    @State(Scope.Thread)
    public static class Lookup {
        AllowedIps<Integer> ipv4;
        AllowedIps<Integer> ipv6;
        /** Packets back to back: 20-byte IPv4 headers, 40-byte IPv6 headers. */
        final byte[] packets4 = new byte[DESTINATIONS * 20];
        final byte[] packets6 = new byte[DESTINATIONS * 40];
        int next;

        @Setup
        public void setUp() {
            Random random = new Random(0x5eed);
            Prefixes p4 = new Prefixes(random, 4);
            Prefixes p6 = new Prefixes(random, 16);
            ipv4 = p4.table();
            ipv6 = p6.table();
            for (int i = 0; i < DESTINATIONS; i++) {
                int off4 = i * 20;
                packets4[off4] = 0x45;
                System.arraycopy(p4.addressIn(random.nextInt(PREFIXES), random), 0, packets4, off4 + 16, 4);
                if (ipv4.lookupPacketDestination(packets4, off4, 20) == null) throw new IllegalStateException("IPv4 miss");
                int off6 = i * 40;
                packets6[off6] = 0x60;
                System.arraycopy(p6.addressIn(random.nextInt(PREFIXES), random), 0, packets6, off6 + 24, 16);
                if (ipv6.lookupPacketDestination(packets6, off6, 40) == null) throw new IllegalStateException("IPv6 miss");
            }
        }

        int nextIndex() {
            int i = next;
            next = (i + 1) & (DESTINATIONS - 1);
            return i;
        }
    }

    /** The prefixes alone, and a fresh empty table before each insert operation. */
    @State(Scope.Thread)
    public static class Insert {
        Prefixes p4;
        Prefixes p6;

        @Setup
        public void setUp() {
            Random random = new Random(0x5eed);
            p4 = new Prefixes(random, 4);
            p6 = new Prefixes(random, 16);
        }
    }

    /** One IPv4 lookup by destination, a different destination each time. */
    @Benchmark
    public Integer lookupIpv4(Lookup s) {
        return s.ipv4.lookupPacketDestination(s.packets4, s.nextIndex() * 20, 20);
    }

    /** One IPv6 lookup by destination, a different destination each time. */
    @Benchmark
    public Integer lookupIpv6(Lookup s) {
        return s.ipv6.lookupPacketDestination(s.packets6, s.nextIndex() * 40, 40);
    }

    /** One IPv4 lookup of the same destination again and again. */
    @Benchmark
    public Integer lookupIpv4OneFlow(Lookup s) {
        return s.ipv4.lookupPacketDestination(s.packets4, 0, 20);
    }

    /** One IPv6 lookup of the same destination again and again. */
    @Benchmark
    public Integer lookupIpv6OneFlow(Lookup s) {
        return s.ipv6.lookupPacketDestination(s.packets6, 0, 40);
    }

    /** Builds a table of {@value #PREFIXES} IPv4 prefixes from empty; divide by 100,000 for one insert. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public AllowedIps<Integer> insert100kIpv4(Insert s) {
        return s.p4.table();
    }

    /** Builds a table of {@value #PREFIXES} IPv6 prefixes from empty; divide by 100,000 for one insert. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public AllowedIps<Integer> insert100kIpv6(Insert s) {
        return s.p6.table();
    }
}
