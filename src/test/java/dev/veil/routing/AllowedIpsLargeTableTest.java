package dev.veil.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.routing.AllowedIps.Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A seeded random table of a few thousand prefixes, checked against {@link NaiveAllowedIps}. */
class AllowedIpsLargeTableTest {
    private static final int PEERS = 50;

    private final Random random = new Random(0x5eed_a11e_d1b5L);

    /** A prefix near one of a few hundred clusters, so prefixes nest and share long common runs. */
    private Prefix randomPrefix(List<byte[]> clusters) {
        byte[] a = clusters.get(random.nextInt(clusters.size())).clone();
        int bits = 8 * a.length;
        int flips = random.nextInt(3);
        for (int i = 0; i < flips; i++) {
            int bit = random.nextInt(bits);
            a[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        }
        int cidr = random.nextInt(4) == 0 ? bits : random.nextInt(bits + 1);
        return new Prefix(a, cidr);
    }

    /** An address inside {@code p}, with random host bits. */
    private byte[] addressIn(Prefix p) {
        byte[] a = p.address();
        for (int i = p.cidr(); i < 8 * a.length; i++) {
            if (random.nextBoolean()) a[i / 8] ^= (byte) (0x80 >>> (i % 8));
        }
        return a;
    }

    @Test
    void thousandsOfPrefixesAgreeWithALinearTable() {
        List<byte[]> clusters = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] a = new byte[i % 2 == 0 ? 4 : 16];
            random.nextBytes(a);
            clusters.add(a);
        }
        AllowedIps<Integer> table = new AllowedIps<>();
        NaiveAllowedIps<Integer> reference = new NaiveAllowedIps<>();
        List<Prefix> inserted = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            Prefix p = randomPrefix(clusters);
            int peer = random.nextInt(PEERS);
            table.insert(p.address(), p.cidr(), peer);
            reference.insert(p, peer);
            inserted.add(p);
        }
        for (int i = 0; i < 1500; i++) {
            Prefix p = inserted.get(random.nextInt(inserted.size()));
            int peer = random.nextInt(PEERS);
            assertEquals(reference.remove(p, peer), table.remove(p.address(), p.cidr(), peer), "remove " + p);
        }
        for (int i = 0; i < 5; i++) {
            int peer = random.nextInt(PEERS);
            table.removeAll(peer);
            reference.removeAll(peer);
        }
        assertEquals(reference.size(), table.size());
        TrieInvariants.check(table);
        int matched = 0;
        for (int i = 0; i < 30_000; i++) {
            byte[] a;
            if (i % 10 == 0) {
                a = new byte[random.nextBoolean() ? 4 : 16];
                random.nextBytes(a);
            } else {
                a = addressIn(inserted.get(random.nextInt(inserted.size())));
            }
            Integer expected = reference.lookup(a);
            if (expected != null) matched++;
            assertEquals(expected, table.lookup(a, 0, a.length), "lookup of " + AddressText.format(a));
        }
        assertEquals(true, matched > 20_000, "most probes match something: " + matched);
        for (int peer = 0; peer < PEERS; peer++) {
            assertEquals(reference.prefixes(peer), table.prefixes(peer), "prefixes of " + peer);
        }
    }
}
