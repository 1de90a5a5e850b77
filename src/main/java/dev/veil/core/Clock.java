package dev.veil.core;

/**
 * The time source the caller hands to the core. The core never reads the system clock itself, so tests can drive
 * it with a fake clock and let minutes of protocol time pass in milliseconds. Implementations must be safe to call
 * from the thread that drives the core.
 */
public interface Clock {
    /** Monotonic time in nanoseconds, for timers and ages; only differences mean anything. */
    long nanoTime();

    /** Wall-clock time in nanoseconds since the unix epoch, for TAI64N timestamps and last-handshake times. */
    long epochNanos();
}
