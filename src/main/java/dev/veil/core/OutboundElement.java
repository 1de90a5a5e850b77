package dev.veil.core;

import static dev.veil.core.Protocol.*;

import dev.veil.crypto.Aead;
import java.util.Arrays;

/**
 * One outgoing transport message between its two steps: {@link Node#prepareSend} fills it under the device's lock
 * (route, keypair, reserved counter, a copy of the sending key, the endpoint), then {@link #seal} encrypts it
 * anywhere, with no lock, because it touches only this element and the caller's buffers. Reusable: the caller keeps
 * one per slot of a batch, so the data path allocates nothing.
 *
 * <p>The key is copied at preparation, so a keypair wiped in between cannot make this element seal under a zeroed
 * key; sealing with a key that expired in between is harmless (the receiver drops it). {@link #seal} wipes the
 * copy. Not thread-safe: one thread at a time, handed over with a happens-before edge (a queue).
 */
public final class OutboundElement {
    private final byte[] key = new byte[Aead.KEY_LEN];
    private Aead aead;
    private boolean ready;
    private long counter;
    private int receiverIndex;
    private int length;
    private int paddedLength;
    private Endpoint endpoint;
    private Peer peer;

    /** True when {@link Node#prepareSend} reserved a counter for this element: the caller must seal and send it. */
    public boolean isReady() { return ready; }

    /** Where the sealed datagram goes. */
    public Endpoint endpoint() { return endpoint; }

    /** The peer it goes to. */
    public Peer peer() { return peer; }

    /** The length of the sealed datagram. */
    public int datagramLength() { return TRANSPORT_HEADER_SIZE + paddedLength + TAG_SIZE; }

    /** The counter (nonce) reserved for it. */
    public long counter() { return counter; }

    /** Forgets a previous preparation. */
    public void clear() {
        if (ready) Arrays.fill(key, (byte) 0);
        ready = false;
        endpoint = null;
        peer = null;
        aead = null;
    }

    /** Called by the peer under the node's rules: the counter is reserved, the key copied. */
    void reserve(Aead aead, Keypair kp, long counter, int length, int paddedLength, Endpoint endpoint) {
        System.arraycopy(kp.sendKey, 0, key, 0, key.length);
        this.aead = aead;
        this.counter = counter;
        this.receiverIndex = kp.remoteIndex;
        this.length = length;
        this.paddedLength = paddedLength;
        this.endpoint = endpoint;
        this.peer = kp.peer;
        this.ready = true;
    }

    /**
     * Writes the transport message for the inner packet src[srcOff, srcOff + length) into dst at dstOff: header,
     * the packet zero-padded, sealed, and the tag. In place is allowed (src == dst, srcOff == dstOff: the packet
     * moves up by the header's size). dst needs {@link #datagramLength()} bytes from dstOff. Returns that length.
     * Wipes the key copy; the element is then no longer ready.
     */
    public int seal(byte[] src, int srcOff, byte[] dst, int dstOff) {
        if (!ready) throw new IllegalStateException("not prepared");
        int body = dstOff + TRANSPORT_HEADER_SIZE;
        System.arraycopy(src, srcOff, dst, body, length);
        Arrays.fill(dst, body + length, body + paddedLength, (byte) 0);
        Messages.header(dst, dstOff, MESSAGE_TRANSPORT);
        Messages.putU32(dst, dstOff + Messages.DATA_RECEIVER, receiverIndex);
        Messages.putU64(dst, dstOff + Messages.DATA_COUNTER, counter);
        int n = aead.seal(key, counter, dst, body, paddedLength, null, dst, body);
        Arrays.fill(key, (byte) 0);
        ready = false;
        return TRANSPORT_HEADER_SIZE + n;
    }
}
