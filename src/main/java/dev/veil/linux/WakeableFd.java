package dev.veil.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A non-blocking descriptor with an eventfd that wakes its reader. The reader brackets its work with
 * {@link #enter()} and {@link #leave()} and blocks in {@link #awaitReadable()}; {@link #close()} from any thread
 * wakes it and waits for it to leave before closing the descriptors, so a descriptor number is never reused while
 * a poll still waits on it, and the port is free again when close returns (a rebind to the same port needs that).
 * A writer may bracket its writes with enter and leave too, so a write never reaches a reused descriptor number.
 * An owner's native memory that system calls reach by raw address (iovecs) can be handed over to be closed at that
 * same moment, when no reader or writer can be inside any more ({@link #closeOnRelease}).
 * One reader at a time; other methods are thread-safe.
 */
final class WakeableFd {
    final int fd;
    private final int wakeFd;
    private final MemorySegment pollfds = Arena.global().allocate(16, 8);
    private final Object lock = new Object();
    private volatile boolean closed;
    private int users;  // readers and writers between enter and leave
    private boolean released;
    private Arena owned;  // closed with the descriptors

    /** Takes ownership of fd and makes the wake-up eventfd; closes fd if that fails. */
    WakeableFd(int fd) throws Libc.Errno {
        this.fd = fd;
        try {
            this.wakeFd = Libc.eventfd();
        } catch (Libc.Errno e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Closes the arena together with the descriptors, once no reader or writer is inside (now if that is past). */
    void closeOnRelease(Arena arena) {
        synchronized (lock) {
            if (released) {
                arena.close();
            } else {
                owned = arena;
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Starts a read (or a write); false when already closed. */
    boolean enter() {
        synchronized (lock) {
            if (closed) return false;
            users++;
            return true;
        }
    }

    /** Ends a read (or a write); releases the descriptors when a close came meanwhile and no one else is inside. */
    void leave() {
        synchronized (lock) {
            users--;
            if (closed && users == 0) release();
            lock.notifyAll();
        }
    }

    /** Waits until the descriptor is readable or has an error (its revents), or the wake fires (0). */
    int awaitReadable() throws Libc.Errno {
        return Libc.pollIn(fd, wakeFd, pollfds);
    }

    /** As {@link #awaitReadable()}, giving up (0) after timeoutMs. */
    int awaitReadable(int timeoutMs) throws Libc.Errno {
        return Libc.pollIn(fd, wakeFd, pollfds, timeoutMs);
    }

    /**
     * Marks it closed, wakes the reader and waits (5 s at most) for it (and any writer) to leave, then closes the
     * descriptors. A reader that does not leave in time closes them itself when it does.
     */
    void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
            Libc.wake(wakeFd);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            boolean interrupted = false;
            while (users > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            release();
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void release() {
        if (released) return;
        released = true;
        Libc.close(fd);
        Libc.close(wakeFd);
        if (owned != null) owned.close();
    }
}
