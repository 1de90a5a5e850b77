package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link WakeableFd#closeOnRelease}: the handed-over arena (a transport's native buffers) is freed together with the
 * descriptors, never while a reader or writer is still inside. Uses an eventfd as the descriptor, so it runs as any
 * user.
 */
class WakeableFdTest {
    @Test
    void theArenaClosesWithTheDescriptors() throws Exception {
        WakeableFd fd = new WakeableFd(Libc.eventfd());
        Arena arena = Arena.ofShared();
        fd.closeOnRelease(arena);
        assertTrue(arena.scope().isAlive(), "open: the buffers stay");
        fd.close();
        assertFalse(arena.scope().isAlive(), "closed with no one inside: the buffers are freed");
    }

    @Test
    void aReaderInsideKeepsTheArenaUntilItLeaves() throws Exception {
        WakeableFd fd = new WakeableFd(Libc.eventfd());
        Arena arena = Arena.ofShared();
        fd.closeOnRelease(arena);
        assertTrue(fd.enter());
        CompletableFuture<Void> closing = CompletableFuture.runAsync(fd::close);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!fd.isClosed() && System.nanoTime() < deadline) Thread.onSpinWait();
        assertTrue(fd.isClosed(), "close started");
        assertTrue(arena.scope().isAlive(), "a reader is still inside: the buffers stay");
        assertFalse(fd.enter(), "no one enters once closed");
        fd.leave();
        closing.get(10, TimeUnit.SECONDS);
        assertFalse(arena.scope().isAlive(), "the last one out freed the buffers");
    }

    @Test
    void anArenaHandedOverAfterTheCloseClosesAtOnce() throws Exception {
        WakeableFd fd = new WakeableFd(Libc.eventfd());
        fd.close();
        Arena arena = Arena.ofShared();
        fd.closeOnRelease(arena);
        assertFalse(arena.scope().isAlive());
    }
}
