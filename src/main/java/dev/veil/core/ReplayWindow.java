package dev.veil.core;

import java.util.Arrays;

/**
 * The receive-side anti-replay filter of one keypair: the RFC 6479 sliding window that the kernel and wireguard-go use,
 * a ring of 128 blocks of 64 bits remembering the last {@value #WINDOW_SIZE} counters below the highest seen.
 *
 * <p>Counters and limits are unsigned 64-bit values held in {@code long}s. A fresh window has seen nothing, with the
 * highest counter at 0, so counter 0 is accepted once. Owns only its ring. Not thread-safe: the caller serialises
 * calls (one window belongs to one keypair's receive path).
 */
public final class ReplayWindow {
    /** log2 of the bits in one block. */
    private static final int BLOCK_BIT_LOG = 6;
    /** Bits in one block. */
    private static final int BLOCK_BITS = 1 << BLOCK_BIT_LOG;
    /** Blocks in the ring; a power of two. */
    private static final int RING_BLOCKS = 128;
    /** How far behind the highest counter a counter may be and still be accepted: (128 - 1) * 64. */
    public static final long WINDOW_SIZE = (long) (RING_BLOCKS - 1) * BLOCK_BITS;

    private final long[] ring = new long[RING_BLOCKS];
    /** The highest counter accepted so far (unsigned). */
    private long last;

    /** Forgets every counter seen: the state of a new window. */
    public void reset() {
        last = 0;
        Arrays.fill(ring, 0L);
    }

    /**
     * Accepts a counter at most once. Returns false, and changes nothing, when {@code counter >= limit}
     * or when the counter is more than {@link #WINDOW_SIZE} behind the highest seen; returns false when it was seen
     * before; otherwise marks it seen (moving the window forward when it is the new highest) and returns true.
     * Both arguments are unsigned.
     */
    public boolean validate(long counter, long limit) {
        if (Long.compareUnsigned(counter, limit) >= 0) return false;
        long block = counter >>> BLOCK_BIT_LOG;
        if (Long.compareUnsigned(counter, last) > 0) {
            long current = last >>> BLOCK_BIT_LOG;
            long advance = block - current;
            // Clear the blocks the window moves into, but never more than the whole ring.
            if (Long.compareUnsigned(advance, RING_BLOCKS) > 0) advance = RING_BLOCKS;
            for (long i = 1; i <= advance; i++) ring[ringIndex(current + i)] = 0;
            last = counter;
        } else if (Long.compareUnsigned(last - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        int index = ringIndex(block);
        long bit = 1L << (counter & (BLOCK_BITS - 1));
        long old = ring[index];
        ring[index] = old | bit;
        return (old & bit) == 0;
    }

    private static int ringIndex(long block) {
        return (int) (block & (RING_BLOCKS - 1));
    }
}
