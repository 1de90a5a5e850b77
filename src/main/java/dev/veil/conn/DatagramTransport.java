package dev.veil.conn;

import dev.veil.buffer.PacketBatch;
import java.io.IOException;

/**
 * The UDP side of an interface: datagrams to and from peers' endpoints, a batch at a time. Implementations:
 * {@code UdpTransport} (later) and {@link MemoryTransport}. {@link #receive} is called from one thread and
 * {@link #send} from one thread; {@link #close} may be called from any thread and wakes a blocked receive.
 */
public interface DatagramTransport extends AutoCloseable {
    /** The local port datagrams arrive on. */
    int localPort();

    /**
     * Blocks until at least one datagram has arrived, then fills the batch from index 0 with datagrams and their
     * source endpoints. Returns the count, or -1 once the transport is closed.
     */
    int receive(PacketBatch batch) throws IOException;

    /** Sends each datagram of the batch to its endpoint. Datagrams that cannot be sent are dropped, as UDP does. */
    void send(PacketBatch batch) throws IOException;

    @Override
    void close() throws IOException;
}
