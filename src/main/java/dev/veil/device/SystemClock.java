package dev.veil.device;

import dev.veil.core.Clock;

/** The real {@link Clock}: {@link System#nanoTime()} and the wall clock. Stateless and thread-safe. */
public final class SystemClock implements Clock {
    public static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {}

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long epochNanos() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
