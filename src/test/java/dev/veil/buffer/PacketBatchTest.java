package dev.veil.buffer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.core.Endpoint;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Entries keep their buffer, segment, length and endpoint together through adds, swaps and clears. */
class PacketBatchTest {
    @Test
    void eachSegmentIsItsBufferAndFollowsItThroughSwaps() {
        PacketBatch b = new PacketBatch(3, 16);
        for (int i = 0; i < 3; i++) {
            assertEquals(16, b.segment(i).byteSize());
            b.segment(i).set(JAVA_BYTE, 5, (byte) (i + 1));
            assertEquals(i + 1, b.buffer(i)[5]);
        }
        byte[] first = b.buffer(0), last = b.buffer(2);
        b.swap(0, 2);
        assertSame(last, b.buffer(0));
        assertSame(first, b.buffer(2));
        assertEquals(3, b.segment(0).get(JAVA_BYTE, 5));
        assertEquals(1, b.segment(2).get(JAVA_BYTE, 5));
        b.buffer(0)[7] = 42;
        assertEquals(42, b.segment(0).get(JAVA_BYTE, 7));
    }

    @Test
    void addCopiesLengthsAndEndpointsAndRefusesWhatDoesNotFit() throws Exception {
        PacketBatch b = new PacketBatch(2, 4);
        Endpoint e = new Endpoint(InetAddress.getByName("192.0.2.1").getAddress(), 51820);
        byte[] data = {9, 1, 2, 3, 4, 5};
        assertFalse(b.add(data, 0, 5, e), "5 bytes went into a 4-byte buffer");
        assertTrue(b.add(data, 1, 3, e));
        assertTrue(b.add(data, 2, 4, null));
        assertFalse(b.add(data, 0, 1, e), "a full batch took another entry");
        assertTrue(b.isFull());
        assertEquals(3, b.length(0));
        assertEquals(e, b.endpoint(0));
        assertEquals(2, b.segment(1).get(JAVA_BYTE, 0));
        b.swap(0, 1);
        assertEquals(4, b.length(0));
        assertEquals(e, b.endpoint(1));
        b.clear();
        assertEquals(0, b.count());
        assertEquals(null, b.endpoint(0));
        assertEquals(null, b.endpoint(1));
    }

    @Test
    void aGrowingBatchAllocatesEachBufferWhenFirstFilledAndKeepsIt() {
        PacketBatch b = PacketBatch.growing(3, 8);
        assertEquals(3, b.capacity());
        assertEquals(8, b.bufferSize());
        for (int i = 0; i < 3; i++) assertNull(b.buffer(i), "buffer " + i + " allocated before it was filled");
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        assertFalse(b.add(data, 0, 9, null), "9 bytes went into an 8-byte buffer");
        assertNull(b.buffer(0), "a refused add allocated a buffer");
        assertTrue(b.add(data, 1, 8, null));
        assertEquals(8, b.buffer(0).length);
        assertEquals(8, b.segment(0).byteSize());
        assertEquals(2, b.segment(0).get(JAVA_BYTE, 0));
        assertNull(b.buffer(1), "filling buffer 0 allocated buffer 1");
        byte[] first = b.buffer(0);
        b.clear();
        assertTrue(b.add(data, 4, 2, null));
        assertSame(first, b.buffer(0), "the buffer was not kept through a clear");
        assertEquals(5, b.segment(0).get(JAVA_BYTE, 0));
        assertTrue(b.add(data, 0, 3, null));
        assertTrue(b.add(data, 0, 3, null));
        assertTrue(b.isFull());
        b.swap(0, 2);
        assertSame(first, b.buffer(2));
        assertEquals(1, b.segment(0).get(JAVA_BYTE, 0));
    }
}
