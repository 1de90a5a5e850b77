package dev.veil.conn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-memory transport keeps {@link DatagramTransport#receive}'s contract: it never returns 0. */
class MemoryTransportTest {
    @Test
    void aReceiveWhoseOnlyDatagramIsTooLongDropsItAndWaitsForTheNext() throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        Endpoint aAt = new Endpoint(new byte[] {10, 0, 0, 1}, 1), bAt = new Endpoint(new byte[] {10, 0, 0, 2}, 1);
        MemoryTransport a = net.bind(aAt), b = net.bind(bAt);
        PacketBatch out = new PacketBatch(1, 200), in = new PacketBatch(4, 100);
        out.add(new byte[150], 0, 150, bAt);  // longer than the receiver's buffers
        a.send(out);
        CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> b.receive(in));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.tooLong() == 0) {
            assertTrue(System.nanoTime() < deadline, "the receiver took the long datagram");
            Thread.onSpinWait();
        }
        byte[] fits = {1, 2, 3};
        out.clear();
        out.add(fits, 0, fits.length, bAt);
        a.send(out);
        assertEquals(1, received.get(10, TimeUnit.SECONDS), "the receive returned the datagram that fits, not 0");
        assertArrayEquals(fits, java.util.Arrays.copyOf(in.buffer(0), in.length(0)));
        assertEquals(aAt, in.endpoint(0));
        assertEquals(1, b.tooLong());
    }
}
