package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.crypto.Aead;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * The index table: indices stay unique over many allocations even when the randomness repeats itself, removing an
 * index frees it for reuse, and binding a keypair rebinds an index from the handshake to the keypair.
 */
class IndexTableTest {
    /** A SecureRandom whose ints come from a supplier, so a test can make it repeat values. */
    private static final class RiggedRandom extends SecureRandom {
        private final IntSupplier values;

        RiggedRandom(IntSupplier values) {
            super(new byte[0]);
            this.values = values;
        }

        @Override
        public int nextInt() {
            return values.getAsInt();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            for (int i = 0; i < bytes.length; i += 4) {
                int v = values.getAsInt();
                for (int j = 0; j < 4 && i + j < bytes.length; j++) bytes[i + j] = (byte) (v >>> (24 - 8 * j));
            }
        }
    }

    private static IntSupplier sequence(int... values) {
        int[] at = {0};
        return () -> values[at[0]++ % values.length];
    }

    private static Peer somePeer() {
        Node node = new Node(new FakeClock(), new SeededRandom(3), Aead.defaultBackend());
        return node.addPeer(new byte[32]);
    }

    @Test
    void repeatedRandomValuesAreSkipped() {
        Peer peer = somePeer();
        IndexTable t = new IndexTable(new RiggedRandom(sequence(5, 5, 5, 7, 5, 7, -1, 7, 5, -1, 0)));
        assertEquals(5, t.newHandshakeIndex(peer));
        assertEquals(7, t.newHandshakeIndex(peer));
        assertEquals(-1, t.newHandshakeIndex(peer));
        assertEquals(0, t.newHandshakeIndex(peer));
        assertEquals(4, t.size());
    }

    @Test
    void indicesStayUniqueWhenTheRandomnessCollidesOften() {
        Peer peer = somePeer();
        SplittableRandom r = new SplittableRandom(11);
        int n = 100_000;
        // Draws from only 1.5 n values: by the end, most draws are duplicates of an index in use.
        int[] draws = {0};
        IndexTable t = new IndexTable(new RiggedRandom(() -> {
            draws[0]++;
            return r.nextInt(n + n / 2);
        }));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < n; i++) assertTrue(seen.add(t.newHandshakeIndex(peer)), "index handed out twice");
        assertEquals(n, t.size());
        assertTrue(draws[0] > n + n / 4, "the generator did repeat itself (" + draws[0] + " draws)");
        for (int i : seen) assertSame(peer, t.get(i).peer());
    }

    @Test
    void indicesAreUniqueWithSeededRandomness() {
        Peer peer = somePeer();
        IndexTable t = new IndexTable(new SeededRandom(12));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) assertTrue(seen.add(t.newHandshakeIndex(peer)));
        assertEquals(100_000, t.size());
    }

    @Test
    void removeFreesAnIndex() {
        Peer peer = somePeer();
        IndexTable t = new IndexTable(new RiggedRandom(sequence(9, 9, 9, 4)));
        int first = t.newHandshakeIndex(peer);
        assertEquals(9, first);
        t.remove(first);
        assertNull(t.get(first));
        assertEquals(0, t.size());
        assertEquals(9, t.newHandshakeIndex(peer), "the freed value can be handed out again");
        assertEquals(4, t.newHandshakeIndex(peer));
        t.remove(12345);  // removing an absent index is harmless
        assertEquals(2, t.size());
    }

    @Test
    void bindKeypairRebindsTheIndex() {
        Peer peer = somePeer();
        IndexTable t = new IndexTable(new SeededRandom(4));
        int index = t.newHandshakeIndex(peer);
        IndexTable.Entry handshake = t.get(index);
        assertSame(peer, handshake.peer());
        assertNull(handshake.keypair(), "a fresh index names the handshake");
        Keypair kp = new Keypair(peer, new byte[32], new byte[32], true, 0, index, 77);
        t.bindKeypair(index, kp);
        assertSame(kp, t.get(index).keypair());
        assertSame(peer, t.get(index).peer());
        assertEquals(1, t.size(), "rebinding does not add an index");
        t.remove(index);
        assertNull(t.get(index));
    }

    @Test
    void randomInsertsAndRemovesAgreeWithAMap() {
        Peer peer = somePeer();
        SplittableRandom r = new SplittableRandom(5);
        // Few distinct values, so probe runs are long and removals shift entries back across them.
        IndexTable t = new IndexTable(new RiggedRandom(() -> r.nextInt(3000) * 1024));
        java.util.Map<Integer, IndexTable.Entry> model = new java.util.HashMap<>();
        java.util.List<Integer> live = new java.util.ArrayList<>();
        for (int step = 0; step < 50_000; step++) {
            if (live.isEmpty() || (live.size() < 2000 && r.nextInt(3) > 0)) {
                int i = t.newHandshakeIndex(peer);
                assertNull(model.put(i, t.get(i)), "fresh index " + i);
                live.add(i);
            } else {
                int i = live.remove(r.nextInt(live.size()));
                t.remove(i);
                model.remove(i);
                assertNull(t.get(i));
            }
            int probe = r.nextInt(3000) * 1024;
            assertSame(model.get(probe), t.get(probe), "lookup of " + probe);
        }
        assertEquals(model.size(), t.size());
        for (var e : model.entrySet()) assertSame(e.getValue(), t.get(e.getKey()));
    }

    @Test
    void aNodeFreesTheIndicesOfARemovedPeer() {
        Pair p = new Pair();
        p.completeHandshake();
        assertEquals(List.of(Result.Ok.RESPONSE), p.resultsAtA);
        assertEquals(1, p.a.indexCount(), "the current keypair's index");
        assertEquals(1, p.b.indexCount());
        p.a.removePeer(p.aPeer);
        assertEquals(0, p.a.indexCount());
    }
}
