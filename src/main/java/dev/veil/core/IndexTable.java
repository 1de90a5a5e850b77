package dev.veil.core;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;

/**
 * The device-wide table of local session indices: random 32-bit values, unique within the device, each naming a
 * peer's pending handshake or one of its keypairs. Not thread-safe: the owner serialises access.
 */
public final class IndexTable {
    /** What an index names: a peer's handshake (keypair null) or one of its keypairs. */
    record Entry(Peer peer, Keypair keypair) {}

    private final Map<Integer, Entry> entries = new HashMap<>();
    private final SecureRandom random;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** A fresh random index, unique in the table, bound to the peer's handshake. */
    int newHandshakeIndex(Peer peer) {
        while (true) {
            int i = random.nextInt();
            if (!entries.containsKey(i)) {
                entries.put(i, new Entry(peer, null));
                return i;
            }
        }
    }

    /** Rebinds an index from a handshake to the keypair derived from it. */
    void bindKeypair(int index, Keypair keypair) {
        entries.put(index, new Entry(keypair.peer, keypair));
    }

    Entry get(int index) {
        return entries.get(index);
    }

    void remove(int index) {
        entries.remove(index);
    }

    /** Number of live indices. */
    public int size() {
        return entries.size();
    }
}
