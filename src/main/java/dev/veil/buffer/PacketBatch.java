package dev.veil.buffer;

import dev.veil.core.Endpoint;
import java.lang.foreign.MemorySegment;

/**
 * A reusable batch of packets or datagrams: fixed-size buffers, each with a length and, for datagrams, the remote
 * endpoint. The owner allocates it once and reuses it for every read and write, so steady-state I/O does not
 * allocate. Each buffer comes with its heap segment, made once, for copies to and from native memory (copying with
 * an array argument instead looks up the array's length through a native call each time). Not thread-safe: one thread uses a batch at a time.
 */
public final class PacketBatch {
    private final byte[][] buffers;
    private final MemorySegment[] segments;
    private final int[] lengths;
    private final Endpoint[] endpoints;
    private final int bufferSize;
    private int count;

    /** A batch of {@code capacity} buffers of {@code bufferSize} bytes each. */
    public PacketBatch(int capacity, int bufferSize) {
        this(capacity, bufferSize, true);
    }

    private PacketBatch(int capacity, int bufferSize, boolean allocate) {
        this.bufferSize = bufferSize;
        buffers = new byte[capacity][];
        segments = new MemorySegment[capacity];
        if (allocate) {
            for (int i = 0; i < capacity; i++) allocate(i);
        }
        lengths = new int[capacity];
        endpoints = new Endpoint[capacity];
    }

    /**
     * A batch whose buffers are allocated the first time {@link #add} fills them and kept from then on: for batches
     * that seldom fill (the device's control-message outbox holds a handshake or a keepalive at a time), so that
     * their unused buffers take no memory. Filled only through {@link #add}: {@link #buffer buffer(i)} of a slot
     * never filled is null.
     */
    public static PacketBatch growing(int capacity, int bufferSize) {
        return new PacketBatch(capacity, bufferSize, false);
    }

    private void allocate(int i) {
        buffers[i] = new byte[bufferSize];
        segments[i] = MemorySegment.ofArray(buffers[i]);
    }

    public int capacity() { return buffers.length; }

    public int bufferSize() { return bufferSize; }

    /** Number of filled entries. */
    public int count() { return count; }

    public boolean isFull() { return count == buffers.length; }

    public byte[] buffer(int i) { return buffers[i]; }

    /** The heap segment of {@link #buffer buffer(i)}, all of it. */
    public MemorySegment segment(int i) { return segments[i]; }

    public int length(int i) { return lengths[i]; }

    public Endpoint endpoint(int i) { return endpoints[i]; }

    /** Marks entry i as filled with len bytes from/to the endpoint (null for TUN packets). */
    public void set(int i, int len, Endpoint endpoint) {
        lengths[i] = len;
        endpoints[i] = endpoint;
    }

    public void setCount(int n) { count = n; }

    /** Appends a copy of data[off, off+len); false when the batch is full or the data does not fit a buffer. */
    public boolean add(byte[] data, int off, int len, Endpoint endpoint) {
        if (count == buffers.length || len > bufferSize) return false;
        if (buffers[count] == null) allocate(count);
        System.arraycopy(data, off, buffers[count], 0, len);
        lengths[count] = len;
        endpoints[count] = endpoint;
        count++;
        return true;
    }

    /** Exchanges entries i and j (buffer and its segment, length and endpoint), so a batch can be compacted without copying. */
    public void swap(int i, int j) {
        byte[] b = buffers[i];
        buffers[i] = buffers[j];
        buffers[j] = b;
        MemorySegment m = segments[i];
        segments[i] = segments[j];
        segments[j] = m;
        int l = lengths[i];
        lengths[i] = lengths[j];
        lengths[j] = l;
        Endpoint e = endpoints[i];
        endpoints[i] = endpoints[j];
        endpoints[j] = e;
    }

    /** Empties the batch (buffers are kept). */
    public void clear() {
        for (int i = 0; i < count; i++) endpoints[i] = null;
        count = 0;
    }
}
