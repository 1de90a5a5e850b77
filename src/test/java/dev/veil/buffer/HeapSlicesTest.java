package dev.veil.buffer;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class HeapSlicesTest {
    @Test
    void theSameArrayAndOffsetGetTheSameSegmentBack() {
        HeapSlices slices = new HeapSlices();
        byte[] a = new byte[100];
        MemorySegment s = slices.at(a, 16);
        assertSame(s, slices.at(a, 16));
        assertNotSame(s, slices.at(a, 0));
    }

    @Test
    void everySegmentStartsAtItsOffsetOfItsArrayEvenWhenSlotsAreShared() {
        HeapSlices slices = new HeapSlices();
        byte[][] arrays = new byte[3 * HeapSlices.SLOTS][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = new byte[64];
            arrays[i][i % 64] = (byte) (i | 1);
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < arrays.length; i++) {
                int off = i % 64;
                MemorySegment s = slices.at(arrays[i], off);
                assertSame(arrays[i], s.heapBase().orElseThrow(), "array " + i);
                assertEquals(64 - off, s.byteSize());
                assertEquals((byte) (i | 1), s.get(ValueLayout.JAVA_BYTE, 0), "array " + i + " at " + off);
            }
        }
    }

    @Test
    void anOffsetPastTheEndIsRefused() {
        HeapSlices slices = new HeapSlices();
        byte[] a = new byte[8];
        assertEquals(0, slices.at(a, 8).byteSize());
        assertThrows(IndexOutOfBoundsException.class, () -> slices.at(a, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> slices.at(a, -1));
    }
}
