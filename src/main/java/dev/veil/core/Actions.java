package dev.veil.core;

/**
 * Where the core puts what it decided to do. The caller (the device, or a test) implements it. Buffers passed in
 * belong to the core and are valid only during the call: copy what must outlive it.
 */
public interface Actions {
    /** Send datagram[off, off+len) to the endpoint. */
    void send(Endpoint to, byte[] datagram, int off, int len);

    /** Write the inner packet[off, off+len), received from the peer, to the TUN device. */
    void deliver(Peer from, byte[] packet, int off, int len);
}
