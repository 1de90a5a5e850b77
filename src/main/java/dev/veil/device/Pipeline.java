package dev.veil.device;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of the data path as an ordered ring of a few reusable batches ({@link Job}s). The reading thread
 * {@link #acquire}s the next free job, fills and prepares it, and {@link #publish}es it; a crypto worker runs its
 * {@link Job#crypto} and marks it {@link #done}; the writing thread takes jobs at the head in ring order with
 * {@link #awaitHead}, writes them out and {@link #release}s them. Jobs therefore leave in the order they were read,
 * whichever worker finishes first. The ring is bounded: when every job is in flight the reader waits (backpressure;
 * the kernel's buffers fill and drop), so memory never grows.
 *
 * <p>Thread-safe: job states and the two positions are guarded by one lock; a job's contents are handed from
 * thread to thread through it (and the workers' queue), which gives the happens-before edges.
 */
final class Pipeline<J extends Pipeline.Job> {
    /** A batch moving through a pipeline. */
    abstract static class Job {
        private static final int FREE = 0, QUEUED = 1, DONE = 2;
        int state = FREE;  // guarded by the owning pipeline's lock
        Pipeline<?> owner;

        /** The work done outside the device's lock, by a crypto worker. */
        abstract void crypto();

        /** Called by a worker once {@link #crypto} returned. */
        final void finished() {
            owner.done(this);
        }
    }

    private final J[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int readAt;
    private int writeAt;
    private boolean closed;

    Pipeline(J[] jobs) {
        this.ring = jobs;
        for (J j : jobs) j.owner = this;
    }

    int depth() { return ring.length; }

    /** The jobs, for cleaning up after the threads stopped. */
    J job(int i) { return ring[i]; }

    /** The reader's next job, once the writer has freed it; null once closed. Not advanced until published. */
    J acquire() throws InterruptedException {
        lock.lock();
        try {
            J j = ring[readAt];
            while (!closed && j.state != Job.FREE) changed.await();
            return closed ? null : j;
        } finally {
            lock.unlock();
        }
    }

    /** The reader hands the acquired job on: to the workers when it needs crypto, else straight to the writer. */
    void publish(J j, boolean needsCrypto) {
        lock.lock();
        try {
            j.state = needsCrypto ? Job.QUEUED : Job.DONE;
            readAt = (readAt + 1) % ring.length;
            if (!needsCrypto) changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void done(Job j) {
        lock.lock();
        try {
            j.state = Job.DONE;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The writer's next job in read order, once its crypto is done; null once closed. */
    J awaitHead() throws InterruptedException {
        lock.lock();
        try {
            J j = ring[writeAt];
            while (!closed && j.state != Job.DONE) changed.await();
            return closed ? null : j;
        } finally {
            lock.unlock();
        }
    }

    /** The writer is done with the head job: it becomes free for the reader. */
    void release(J j) {
        lock.lock();
        try {
            j.state = Job.FREE;
            writeAt = (writeAt + 1) % ring.length;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter; acquire and awaitHead return null from now on. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
