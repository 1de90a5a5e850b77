package dev.veil.core;

import java.security.SecureRandom;

/**
 * The device-wide table of local session indices: random 32-bit values, unique within the device, each naming a
 * peer's pending handshake or one of its keypairs. An int-keyed open-addressing map (linear probing, deletion by
 * backward shift), so a lookup on the data path neither boxes nor allocates. Not thread-safe: the owner serialises
 * access.
 */
public final class IndexTable {
    /** What an index names: a peer's handshake (keypair null) or one of its keypairs. */
    record Entry(Peer peer, Keypair keypair) {}

    private static final int MIN_CAPACITY = 16;

    private final SecureRandom random;
    /** Slot i holds keys[i] when entries[i] is not null; the capacity is a power of two, at most half full. */
    private int[] keys = new int[MIN_CAPACITY];
    private Entry[] entries = new Entry[MIN_CAPACITY];
    private int size;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** A fresh random index, unique in the table, bound to the peer's handshake. */
    int newHandshakeIndex(Peer peer) {
        while (true) {
            int i = random.nextInt();
            if (slotOf(i) < 0) {
                put(i, new Entry(peer, null));
                return i;
            }
        }
    }

    /** Rebinds an index from a handshake to the keypair derived from it. */
    void bindKeypair(int index, Keypair keypair) {
        put(index, new Entry(keypair.peer, keypair));
    }

    Entry get(int index) {
        int s = slotOf(index);
        return s < 0 ? null : entries[s];
    }

    void remove(int index) {
        int s = slotOf(index);
        if (s < 0) return;
        int mask = keys.length - 1;
        // Backward-shift deletion: move later members of the probe run into the hole, so no tombstones are needed.
        int hole = s;
        for (int j = (s + 1) & mask; entries[j] != null; j = (j + 1) & mask) {
            int home = home(keys[j], mask);
            // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
            boolean homeBetween = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!homeBetween) {
                keys[hole] = keys[j];
                entries[hole] = entries[j];
                hole = j;
            }
        }
        entries[hole] = null;
        keys[hole] = 0;
        size--;
    }

    /** Number of live indices. */
    public int size() {
        return size;
    }

    private void put(int index, Entry e) {
        int s = slotOf(index);
        if (s >= 0) {
            entries[s] = e;
            return;
        }
        if (2 * (size + 1) > keys.length) grow();
        int mask = keys.length - 1;
        int j = home(index, mask);
        while (entries[j] != null) j = (j + 1) & mask;
        keys[j] = index;
        entries[j] = e;
        size++;
    }

    /** The slot holding index, or -1. */
    private int slotOf(int index) {
        int mask = keys.length - 1;
        for (int j = home(index, mask); entries[j] != null; j = (j + 1) & mask) {
            if (keys[j] == index) return j;
        }
        return -1;
    }

    private void grow() {
        int[] oldKeys = keys;
        Entry[] oldEntries = entries;
        keys = new int[oldKeys.length * 2];
        entries = new Entry[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldEntries[i] == null) continue;
            int j = home(oldKeys[i], mask);
            while (entries[j] != null) j = (j + 1) & mask;
            keys[j] = oldKeys[i];
            entries[j] = oldEntries[i];
        }
    }

    /** The first slot probed for an index (indices are random, but a test may pick them; so mix the bits). */
    private static int home(int index, int mask) {
        int h = index * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
