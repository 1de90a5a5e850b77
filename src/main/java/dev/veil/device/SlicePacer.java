package dev.veil.device;

import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Chooses one data-path thread's scheduler slice from how often it gets a batch: the short slice while batches come
 * now and then (a ping's packet: the woken thread preempts what runs instead of waiting for its slice to end), the
 * OS's default slice while they come back to back (bulk traffic, where preempting at every wake-up costs batching
 * and throughput; BENCHMARKS.md, "An adaptive slice"). It counts the thread's rounds in windows of
 * {@link #WINDOW_NANOS}: {@link #BUSY_ROUNDS} rounds within one switch to the default slice at once, and a window
 * closed at under half that rate switches back. It asks for a slice only when the choice changes. It learns of a
 * round once the round is over, so a thread that was busy is woken by the first batch after a pause on the default
 * slice and takes the short one after that batch. The times are the device's clock (a fake one in tests). One per
 * thread, called from that thread only; not thread-safe.
 */
final class SlicePacer {
    /** The window the rounds are counted in. */
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Rounds in a window that make the thread busy: 2,000 batches a second (pings come 5 to 1,000 a second). */
    static final int BUSY_ROUNDS = 20;

    private final long shortSlice;
    private final LongConsumer setSlice;
    private boolean busy;
    private long windowStart;
    private long rounds;

    /**
     * Asks for the short slice at once (the thread starts quiet). {@code setSlice} asks the OS for a slice for the
     * calling thread, in nanoseconds, 0 meaning the OS's default.
     */
    SlicePacer(long shortSliceNanos, LongConsumer setSlice, long now) {
        if (shortSliceNanos <= 0) throw new IllegalArgumentException("short slice " + shortSliceNanos);
        this.shortSlice = shortSliceNanos;
        this.setSlice = setSlice;
        this.windowStart = now;
        setSlice.accept(shortSlice);
    }

    /** Counts the round the thread has just finished, at {@code now}; may change the thread's slice. */
    void afterRound(long now) {
        rounds++;
        long elapsed = now - windowStart;
        if (elapsed < WINDOW_NANOS) {
            if (!busy && rounds >= BUSY_ROUNDS) choose(true);
            return;
        }
        // The window closes: the rate over it, the gap before this round included (a long quiet gap gives a rate
        // near zero), against BUSY_ROUNDS a window to become busy and half that to stop being busy. Written as
        // rounds times the time a round may take (0.5 ms, 1 ms; exact divisions), so no product overflows.
        if (!busy && rounds * (WINDOW_NANOS / BUSY_ROUNDS) >= elapsed) {
            choose(true);
        } else if (busy && rounds * (2 * WINDOW_NANOS / BUSY_ROUNDS) < elapsed) {
            choose(false);
        }
        windowStart = now;
        rounds = 0;
    }

    private void choose(boolean nowBusy) {
        busy = nowBusy;
        setSlice.accept(nowBusy ? 0 : shortSlice);
    }

    /** Whether the thread has the OS's default slice now (for tests). */
    boolean busy() {
        return busy;
    }
}
