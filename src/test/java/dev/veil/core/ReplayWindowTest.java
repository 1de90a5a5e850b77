package dev.veil.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    /** REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1, as an unsigned value in a long. */
    private static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    /** The test table's T_LIM: one past the window. */
    private static final long T_LIM = ReplayWindow.WINDOW_SIZE + 1;

    private record Step(long counter, boolean accepted) {}

    private static Step t(long counter, boolean accepted) {
        return new Step(counter, accepted);
    }

    /** The ordered table of wireguard-go's replay_test.go (itself ported from the kernel's selftest). */
    private static final List<Step> TABLE = List.of(
            t(0, true),                              //  1
            t(1, true),                              //  2
            t(1, false),                             //  3
            t(9, true),                              //  4
            t(8, true),                              //  5
            t(7, true),                              //  6
            t(7, false),                             //  7
            t(T_LIM, true),                          //  8
            t(T_LIM - 1, true),                      //  9
            t(T_LIM - 1, false),                     // 10
            t(T_LIM - 2, true),                      // 11
            t(2, true),                              // 12
            t(2, false),                             // 13
            t(T_LIM + 16, true),                     // 14
            t(3, false),                             // 15
            t(T_LIM + 16, false),                    // 16
            t(T_LIM * 4, true),                      // 17
            t(T_LIM * 4 - (T_LIM - 1), true),        // 18
            t(10, false),                            // 19
            t(T_LIM * 4 - T_LIM, false),             // 20
            t(T_LIM * 4 - (T_LIM + 1), false),       // 21
            t(T_LIM * 4 - (T_LIM - 2), true),        // 22
            t(T_LIM * 4 + 1 - T_LIM, false),         // 23
            t(0, false),                             // 24
            t(REJECT_AFTER_MESSAGES, false),         // 25
            t(REJECT_AFTER_MESSAGES - 1, true),      // 26
            t(REJECT_AFTER_MESSAGES, false),         // 27
            t(REJECT_AFTER_MESSAGES - 1, false),     // 28
            t(REJECT_AFTER_MESSAGES - 2, true),      // 29
            t(REJECT_AFTER_MESSAGES + 1, false),     // 30
            t(REJECT_AFTER_MESSAGES + 2, false),     // 31
            t(REJECT_AFTER_MESSAGES - 2, false),     // 32
            t(REJECT_AFTER_MESSAGES - 3, true),      // 33
            t(0, false));                            // 34

    private final ReplayWindow window = new ReplayWindow();

    private void check(String name, long counter, boolean expected) {
        assertEquals(expected, window.validate(counter, REJECT_AFTER_MESSAGES),
                name + ": counter " + Long.toUnsignedString(counter));
    }

    @Test
    void windowIsWhatTheKernelUses() {
        assertEquals(8128, ReplayWindow.WINDOW_SIZE);
    }

    @Test
    void orderedTableFromWireguardGo() {
        for (int i = 0; i < TABLE.size(); i++) {
            check("case " + (i + 1), TABLE.get(i).counter(), TABLE.get(i).accepted());
        }
    }

    @Test
    void bulkAscendingThenZero() {
        for (long i = 1; i <= ReplayWindow.WINDOW_SIZE; i++) check("ascending", i, true);
        check("zero, just inside", 0, true);
        check("zero again", 0, false);
    }

    @Test
    void bulkAscendingFromTwoThenOneButNotZero() {
        for (long i = 2; i <= ReplayWindow.WINDOW_SIZE + 1; i++) check("ascending", i, true);
        check("one, just inside", 1, true);
        check("zero, just outside", 0, false);
    }

    @Test
    void bulkDescendingFromOnePastTheWindow() {
        for (long i = ReplayWindow.WINDOW_SIZE + 1; i > 0; i--) check("descending", i, true);
    }

    @Test
    void bulkDescendingFromTwoPastTheWindowThenZero() {
        for (long i = ReplayWindow.WINDOW_SIZE + 2; i > 1; i--) check("descending", i, true);
        check("zero, outside", 0, false);
    }

    @Test
    void bulkDescendingThenOnePastTheWindow() {
        for (long i = ReplayWindow.WINDOW_SIZE; i > 0; i--) check("descending", i, true);
        check("one past", ReplayWindow.WINDOW_SIZE + 1, true);
        check("zero, now outside", 0, false);
    }

    @Test
    void bulkDescendingThenZeroThenOnePastTheWindow() {
        for (long i = ReplayWindow.WINDOW_SIZE; i > 0; i--) check("descending", i, true);
        check("zero", 0, true);
        check("one past", ReplayWindow.WINDOW_SIZE + 1, true);
    }

    @Test
    void limitIsRejectedAndJustBelowItAccepted() {
        assertFalse(window.validate(REJECT_AFTER_MESSAGES, REJECT_AFTER_MESSAGES));
        assertTrue(window.validate(REJECT_AFTER_MESSAGES - 1, REJECT_AFTER_MESSAGES));
        assertFalse(window.validate(REJECT_AFTER_MESSAGES - 1, REJECT_AFTER_MESSAGES), "replayed");
        assertFalse(window.validate(-1L, REJECT_AFTER_MESSAGES), "2^64 - 1 is above the limit");
    }

    @Test
    void countersAboveTheSignedRangeAreOrderedUnsigned() {
        long big = Long.MIN_VALUE + 5; // 2^63 + 5: negative as a signed long
        assertTrue(window.validate(big, -1L));
        assertTrue(window.validate(big - 1, -1L), "just behind the highest");
        assertFalse(window.validate(7, -1L), "far behind the highest, though larger as a signed long");
    }

    @Test
    void zeroLimitRejectsEverything() {
        assertFalse(window.validate(0, 0));
        assertTrue(window.validate(0, 1), "the rejected counter was not marked seen");
    }

    @Test
    void resetForgetsEverySeenCounter() {
        for (long i = 0; i < 300; i++) assertTrue(window.validate(i, REJECT_AFTER_MESSAGES));
        window.reset();
        for (long i = 0; i < 300; i++) check("after reset", i, true);
    }

    @Test
    void jumpOfExactlyTheRingClearsStaleBits() {
        check("first", 5, true);
        long jump = 128 * 64 + 5; // the same ring slot and bit, one full ring later
        check("same slot, next lap", jump, true);
        check("its neighbour in the ring slot", jump - 1, true);
    }

    /** Checks the window against a set of seen counters and the window rule, over random traffic near the edge. */
    @Test
    void matchesAReferenceModelOnRandomTraffic() {
        Random random = new Random(6479);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        long highest = 0;
        long next = 0;
        for (int i = 0; i < 200_000; i++) {
            long counter;
            int kind = random.nextInt(10);
            if (kind < 6) counter = next++;
            else if (kind < 8) counter = Math.max(0, highest - random.nextInt(9000));
            else counter = next += random.nextInt(3 * 64 * 128);
            boolean expected = !seen.contains(counter) && highest - counter <= ReplayWindow.WINDOW_SIZE;
            assertEquals(expected, window.validate(counter, REJECT_AFTER_MESSAGES), "step " + i + " counter " + counter);
            if (expected) {
                seen.add(counter);
                highest = Math.max(highest, counter);
            }
            next = Math.max(next, highest);
        }
    }
}
