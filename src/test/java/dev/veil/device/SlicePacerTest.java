package dev.veil.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** A data thread's slice from its rounds: short when quiet, the default (0) when busy, asked for only on a change. */
class SlicePacerTest {
    private static final long SHORT = 100_000, MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final List<Long> asked = new ArrayList<>();

    @Test
    void startsOnTheShortSlice() {
        new SlicePacer(SHORT, asked::add, 0);
        assertEquals(List.of(SHORT), asked);
        assertThrows(IllegalArgumentException.class, () -> new SlicePacer(0, asked::add, 0));
    }

    @Test
    void pingsEveryMillisecondNeverMakeItBusy() {
        SlicePacer p = new SlicePacer(SHORT, asked::add, 0);
        for (int i = 1; i <= 10_000; i++) p.afterRound(i * MS);  // 1,000 a second for 10 s
        assertFalse(p.busy());
        assertEquals(List.of(SHORT), asked);
    }

    @Test
    void backToBackBatchesMakeItBusyAtOnceAndAQuietGapEndsIt() {
        SlicePacer p = new SlicePacer(SHORT, asked::add, 0);
        long t = 0;
        for (int i = 0; i < SlicePacer.BUSY_ROUNDS - 1; i++) p.afterRound(t += 100_000);  // 10,000 a second
        assertFalse(p.busy(), "one round short of busy");
        p.afterRound(t += 100_000);
        assertTrue(p.busy());
        assertEquals(List.of(SHORT, 0L), asked);
        for (int i = 0; i < 100_000; i++) p.afterRound(t += 100_000);  // 10 s of bulk: no more system calls
        assertEquals(List.of(SHORT, 0L), asked);
        p.afterRound(t += 50 * MS);  // the first batch after a gap
        assertFalse(p.busy());
        assertEquals(List.of(SHORT, 0L, SHORT), asked);
    }

    @Test
    void aRateBetweenHalfAndFullBusyKeepsEitherChoice() {
        SlicePacer p = new SlicePacer(SHORT, asked::add, 0);
        long step = SlicePacer.WINDOW_NANOS / (SlicePacer.BUSY_ROUNDS * 3 / 4);  // 3/4 of the busy rate
        long t = 0;
        for (int i = 0; i < 1_000; i++) p.afterRound(t += step);
        assertFalse(p.busy(), "quiet stays quiet");
        for (int i = 0; i < SlicePacer.BUSY_ROUNDS; i++) p.afterRound(t += 1_000);
        assertTrue(p.busy());
        for (int i = 0; i < 1_000; i++) p.afterRound(t += step);
        assertTrue(p.busy(), "busy stays busy");
        assertEquals(List.of(SHORT, 0L), asked);
    }

    /**
     * Whatever the rounds' timing, the slices asked for alternate short and default, starting short, and there is
     * at most two changes a window after the first: no system call per batch.
     */
    @Property
    void slicesAlternateAndChangeAtMostOnceAWindow(@ForAll @Size(max = 300) List<@IntRange(max = 30_000) Integer> gapsMicros) {
        List<Long> asked = new ArrayList<>();
        long[] now = {0};
        SlicePacer p = new SlicePacer(SHORT, asked::add, 0);
        for (int gap : gapsMicros) {
            now[0] += gap * 1_000L;
            p.afterRound(now[0]);
        }
        for (int i = 0; i < asked.size(); i++) assertEquals(i % 2 == 0 ? SHORT : 0L, asked.get(i), "change " + i);
        assertEquals(asked.size() % 2 == 0, p.busy());
        long span = now[0];
        assertTrue(asked.size() <= 2 + 2 * span / SlicePacer.WINDOW_NANOS, asked.size() + " slices in " + span + " ns");
    }
}
