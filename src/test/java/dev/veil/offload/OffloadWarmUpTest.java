package dev.veil.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The warm-up's super-packets are ones the segmenter takes and the coalescer merges back whole. */
class OffloadWarmUpTest {
    @Test
    void everyRoundMergesBothSuperPacketsBackIntoOnePacketEach() {
        long expected = 3L * (OffloadWarmUp.ipLength(false) + OffloadWarmUp.ipLength(true));
        assertEquals(expected, OffloadWarmUp.run(3, 2048));
    }

    @Test
    void buffersTooSmallForASegmentMergeNothing() {
        assertEquals(0, OffloadWarmUp.run(2, 1000));
    }
}
