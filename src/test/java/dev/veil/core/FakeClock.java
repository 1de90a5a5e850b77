package dev.veil.core;

import java.util.concurrent.TimeUnit;

/**
 * A {@link Clock} that moves only when told to; monotonic and wall time advance together. Any thread may read it
 * (a device's threads do); one thread moves it.
 */
public final class FakeClock implements Clock {
    private volatile long nanos = 1_000_000_000L;
    private volatile long epochNanos = 1_700_000_000_000_000_000L;

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public long epochNanos() {
        return epochNanos;
    }

    public void advance(long amount, TimeUnit unit) {
        advanceNanos(unit.toNanos(amount));
    }

    public void advanceNanos(long n) {
        nanos += n;
        epochNanos += n;
    }

    /** Moves the wall clock alone (a clock step on the host), leaving monotonic time as it is. */
    public void stepWallClock(long n) {
        epochNanos += n;
    }
}
