package dev.veil.core;

import static dev.veil.core.Protocol.*;

import dev.veil.crypto.Aead;
import java.util.Arrays;

/**
 * One received transport message between its three steps: {@link Node#prepareReceive} maps the receiver index to a
 * keypair under the device's lock and copies its receiving key here; {@link #open} decrypts anywhere, with no lock;
 * {@link Node#completeReceive} then, under the lock again and in arrival order, runs the replay check and counter
 * update (only after authentication, as the whitepaper requires), key confirmation, timers, roaming and the
 * AllowedIPs source check. Reusable: the caller keeps one per slot of a batch, so the data path allocates nothing.
 *
 * <p>The key is copied at preparation, so a keypair wiped in between cannot make {@link #open} use a zeroed key;
 * {@link #open} wipes the copy. Not thread-safe: one thread at a time, handed over with a happens-before edge.
 */
public final class InboundElement {
    /** The state of an element: not prepared, waiting to be opened, opened (authentic or not). */
    private static final int EMPTY = 0, PREPARED = 1, OPENED = 2;

    private final byte[] key = new byte[Aead.KEY_LEN];
    private Aead aead;
    private int state;
    private Keypair keypair;
    private long counter;
    private int datagramLength;
    private int plainLength;
    private int innerLength;
    private Result result;

    /** True when {@link Node#prepareReceive} accepted the message for opening. */
    public boolean isPrepared() { return state == PREPARED; }

    /** The outcome: a drop reason after a failed step, {@link Result.Ok} after {@link Node#completeReceive}. */
    public Result result() { return result; }

    /** The inner packet's length, when {@link Node#completeReceive} returned {@link Result.Ok#DATA}. */
    public int innerLength() { return innerLength; }

    /** The counter (nonce) of the message. */
    public long counter() { return counter; }

    /** Forgets a previous message. */
    public void clear() {
        if (state == PREPARED) Arrays.fill(key, (byte) 0);
        state = EMPTY;
        keypair = null;
        aead = null;
        result = null;
        innerLength = 0;
    }

    void prepare(Aead aead, Keypair kp, long counter, int datagramLength) {
        System.arraycopy(kp.receiveKey, 0, key, 0, key.length);
        this.aead = aead;
        this.keypair = kp;
        this.counter = counter;
        this.datagramLength = datagramLength;
        this.result = null;
        this.innerLength = 0;
        this.state = PREPARED;
    }

    void setInnerLength(int n) { innerLength = n; }

    /** Records the outcome of the last step and lets go of the keypair. */
    void finish(Result r) {
        this.result = r;
        if (state == PREPARED) Arrays.fill(key, (byte) 0);
        this.keypair = null;
        this.aead = null;
        this.state = EMPTY;
    }

    Keypair keypair() { return keypair; }

    int datagramLength() { return datagramLength; }

    /** The plaintext length after {@link #open}, or -1 when the message did not authenticate. */
    int plainLength() { return plainLength; }

    /** True after {@link #open}, until {@link Node#completeReceive} took the element. */
    public boolean isOpened() { return state == OPENED; }

    /**
     * Decrypts and authenticates the datagram src[srcOff, srcOff + length) (as given to prepare) into dst at
     * dstOff, which may be in place (src == dst, dstOff == srcOff + {@value Protocol#TRANSPORT_HEADER_SIZE}).
     * Returns the plaintext length, or -1 when it did not authenticate (dst then holds no unauthenticated
     * plaintext). Wipes the key copy.
     */
    public int open(byte[] src, int srcOff, byte[] dst, int dstOff) {
        if (state != PREPARED) throw new IllegalStateException("not prepared");
        plainLength = aead.open(key, counter, src, srcOff + TRANSPORT_HEADER_SIZE,
            datagramLength - TRANSPORT_HEADER_SIZE, null, dst, dstOff);
        Arrays.fill(key, (byte) 0);
        state = OPENED;
        return plainLength;
    }
}
