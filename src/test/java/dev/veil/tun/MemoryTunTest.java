package dev.veil.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.buffer.PacketBatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-memory TUN keeps {@link TunDevice#read}'s contract: it blocks until a packet fits, never returns 0. */
class MemoryTunTest {
    @Test
    void aReadWhoseOnlyPacketIsTooLongDropsItAndWaitsForTheNext() throws Exception {
        MemoryTun tun = new MemoryTun("mt0", 1420);
        PacketBatch batch = new PacketBatch(4, 100);
        tun.inject(new byte[101]);  // longer than the batch's buffers
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> tun.read(batch));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tun.tooLong() == 0) {
            assertTrue(System.nanoTime() < deadline, "the reader took the long packet");
            Thread.onSpinWait();
        }
        byte[] fits = new byte[60];
        fits[0] = 0x45;
        tun.inject(fits);
        assertEquals(1, read.get(10, TimeUnit.SECONDS), "the read returned the packet that fits, not 0");
        assertEquals(60, batch.length(0));
        assertArrayEquals(fits, java.util.Arrays.copyOf(batch.buffer(0), 60));
        assertEquals(1, tun.tooLong());
    }

    @Test
    void aClosedTunEndsTheRead() throws Exception {
        MemoryTun tun = new MemoryTun("mt1", 1420);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> tun.read(new PacketBatch(4, 100)));
        tun.close();
        assertEquals(-1, read.get(10, TimeUnit.SECONDS));
    }
}
