package dev.veil.tun;

import dev.veil.buffer.PacketBatch;
import java.io.IOException;

/**
 * A layer-3 tunnel interface as Veil sees it: it yields outgoing packets of the host and takes packets to hand to
 * the host, a batch at a time. It does not interpret the packets (a TAP implementation can carry frames later).
 * Implementations: {@code LinuxTun} (later) and {@link MemoryTun}. {@link #read} is called from one thread and
 * {@link #write} from one thread; {@link #close} may be called from any thread and wakes a blocked read.
 */
public interface TunDevice extends AutoCloseable {
    /** The interface name. */
    String name();

    /** The MTU of the interface. */
    int mtu();

    /**
     * Blocks until at least one packet is available, then fills the batch from index 0 and sets its count.
     * Returns the count, or -1 once the device is closed.
     */
    int read(PacketBatch batch) throws IOException;

    /** Writes every packet of the batch to the host. */
    void write(PacketBatch batch) throws IOException;

    @Override
    void close() throws IOException;
}
