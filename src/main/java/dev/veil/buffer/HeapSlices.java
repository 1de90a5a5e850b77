package dev.veil.buffer;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Heap segments of byte arrays at an offset, made once and handed out again: critical downcalls take a Java array
 * as a heap {@link MemorySegment}, and making one per call ({@code ofArray}, then {@code asSlice}) allocates two or
 * three objects that the JIT does not always scalar-replace (in a daemon under iperf3, JFR sampled 20 to 40 MB/s of
 * them from the AEAD's calls). A two-way set-associative table keyed by the array's identity and the offset: a miss
 * makes the slice and puts it first in its set, the set's other entry giving way. Each slice runs from the offset to
 * the array's end, so callers check their ranges themselves. It keeps up to {@value #SLOTS} arrays reachable (the
 * data path's buffers, which live anyway, and whatever last passed through a slot). Not thread-safe: one per thread.
 */
public final class HeapSlices {
    static final int SLOTS = 2048;
    private final byte[][] arrays = new byte[SLOTS][];
    private final int[] offsets = new int[SLOTS];
    private final MemorySegment[] slices = new MemorySegment[SLOTS];

    /** The segment of {@code array} from {@code offset} (0 to its length) to its end. */
    public MemorySegment at(byte[] array, int offset) {
        int h = System.identityHashCode(array) * 31 + offset;
        int i = ((h ^ (h >>> 16)) << 1) & (SLOTS - 1);  // the set's first way; i + 1 is its second
        if (arrays[i] == array && offsets[i] == offset) return slices[i];
        if (arrays[i + 1] == array && offsets[i + 1] == offset) return slices[i + 1];
        Objects.checkIndex(offset, array.length + 1);
        MemorySegment s = MemorySegment.ofArray(array).asSlice(offset);
        arrays[i + 1] = arrays[i];
        offsets[i + 1] = offsets[i];
        slices[i + 1] = slices[i];
        arrays[i] = array;
        offsets[i] = offset;
        slices[i] = s;
        return s;
    }
}
