package dev.veil.core;

import static dev.veil.core.Protocol.*;

import dev.veil.crypto.X25519;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One peer's protocol state machine: its handshake, its three keypairs (previous, current, next), staged packets,
 * the DoS cookie state, and the timers of the whitepaper (section 6), kept as deadlines in the caller's monotonic
 * clock. It takes bytes in and puts what to do into {@link Actions}; it never does I/O. Created and driven by its
 * {@link Node}; not thread-safe, like the node.
 *
 * <p>Timer rules, after wireguard-go's {@code timers.go}: sending data arms new-handshake (KEEPALIVE_TIMEOUT +
 * REKEY_TIMEOUT + jitter) unless armed; receiving data arms send-keepalive (KEEPALIVE_TIMEOUT) unless armed; sending
 * any authenticated packet disarms send-keepalive; receiving one disarms new-handshake; an initiation arms
 * retransmit (REKEY_TIMEOUT + jitter); a completed handshake disarms it; a derived session arms zero-key-material
 * (3 x REJECT_AFTER_TIME); any authenticated packet re-arms persistent-keepalive.
 */
public final class Peer {
    private static final long NEVER = Long.MAX_VALUE;

    private final Node node;
    private final byte[] publicKey;
    private byte[] presharedKey = new byte[32];
    /**
     * DH(our static, their static), computed on first use and kept until the static key changes: configuring
     * thousands of peers does not pay one X25519 each, only peers that handshake do.
     */
    private final byte[] staticStatic = new byte[32];
    private boolean staticStaticReady;
    final CookieGenerator cookies;
    final Handshake handshake = new Handshake();
    private Endpoint endpoint;
    private int persistentKeepaliveSeconds;

    Keypair previous;
    Keypair current;
    Keypair next;

    private final ArrayDeque<byte[]> staged = new ArrayDeque<>();

    // Timers: deadlines in monotonic nanoseconds, NEVER when not pending.
    private long retransmitHandshakeAt = NEVER;
    private long sendKeepaliveAt = NEVER;
    private long newHandshakeAt = NEVER;
    private long zeroKeyMaterialAt = NEVER;
    private long persistentKeepaliveAt = NEVER;
    private boolean needAnotherKeepalive;
    private int handshakeAttempts;
    private boolean sentLastMinuteHandshake;
    private long lastSentHandshake;
    private boolean sentAnyHandshake;

    private long lastHandshakeEpochNanos;
    private long rxBytes;
    private long txBytes;
    private boolean removed;

    Peer(Node node, byte[] publicKey) {
        if (publicKey.length != X25519.KEY_LEN) throw new IllegalArgumentException("public key must be 32 bytes");
        this.node = node;
        this.publicKey = publicKey.clone();
        this.cookies = new CookieGenerator(this.publicKey);
        refreshStaticStatic();
    }

    // ---- configuration and status -------------------------------------------------------------------------------

    public byte[] publicKey() { return publicKey.clone(); }

    public Endpoint endpoint() { return endpoint; }

    public void setEndpoint(Endpoint e) { this.endpoint = e; }

    /** Roaming: the endpoint becomes the source of the last authenticated message. */
    private void updateEndpoint(Endpoint from) {
        if (from != null && !from.equals(endpoint)) {
            Endpoint old = endpoint;
            endpoint = from;
            if (old != null) node.events().endpointChanged(this, old, from);
        }
    }

    /** Sets the pre-shared key (32 bytes; all zeros means none). It may change at run time. */
    public void setPresharedKey(byte[] psk) {
        if (psk.length != 32) throw new IllegalArgumentException("pre-shared key must be 32 bytes");
        Arrays.fill(presharedKey, (byte) 0);
        presharedKey = psk.clone();
    }

    public boolean hasPresharedKey() { return !NoiseIk.isZero(presharedKey); }

    /** A copy of the pre-shared key (all zeros when none), for the UAPI's {@code get}; the caller wipes it. */
    public byte[] presharedKey() { return presharedKey.clone(); }

    public int persistentKeepaliveSeconds() { return persistentKeepaliveSeconds; }

    /** Wall-clock time of the last completed handshake, or 0 if none. */
    public long lastHandshakeEpochNanos() { return lastHandshakeEpochNanos; }

    public long rxBytes() { return rxBytes; }

    public long txBytes() { return txBytes; }

    /** True while a current keypair exists that may still send. */
    public boolean hasSession(long now) { return current != null && current.canSend(now); }

    public int stagedPackets() { return staged.size(); }

    @Override
    public String toString() {
        return "Peer(" + java.util.Base64.getEncoder().encodeToString(publicKey) + ")";
    }

    /** Forgets DH(s, rs) after the static key changed; the next handshake computes it again. */
    void refreshStaticStatic() {
        Arrays.fill(staticStatic, (byte) 0);
        staticStaticReady = false;
    }

    /** DH(our static, their static); all zeros without a static key or for a low-order public key. */
    byte[] staticStatic() {
        if (!staticStaticReady) {
            StaticKey s = node.staticKey();
            if (s == null) return staticStatic;  // zeros: no handshake is possible without a key
            if (!s.dh(publicKey, staticStatic)) Arrays.fill(staticStatic, (byte) 0);
            staticStaticReady = true;
        }
        return staticStatic;
    }

    void setPersistentKeepalive(int seconds, long now, Actions out) {
        boolean wasOff = persistentKeepaliveSeconds == 0;
        persistentKeepaliveSeconds = seconds;
        if (seconds == 0) {
            persistentKeepaliveAt = NEVER;
        } else if (wasOff && endpoint != null && node.staticKey() != null) {
            sendKeepalive(now, out);
        }
    }

    // ---- sending ------------------------------------------------------------------------------------------------

    /** Encrypts and sends an inner packet, or stages it and starts a handshake when there is no usable session. */
    Result send(byte[] packet, int off, int len, long now, Actions out) {
        Keypair kp = current;
        if (canSendNow(kp, now)) {
            encryptAndSend(kp, packet, off, len, out);  // the common case: no copy, nothing staged
            afterSend(len > 0, now, out);
            return Result.Ok.SENT;
        }
        return stageAndSend(packet, off, len, now, out);
    }

    /**
     * Like {@link #send}, but on the common path (a usable session, nothing staged) only reserves the counter and
     * copies the key into the element, for the caller to seal outside the lock; otherwise stages as send does.
     */
    Result prepareSend(byte[] packet, int off, int len, long now, OutboundElement e, Actions out) {
        Keypair kp = current;
        if (canSendNow(kp, now)) {
            reserve(kp, len, e);
            afterSend(len > 0, now, out);
            return Result.Ok.SENT;
        }
        return stageAndSend(packet, off, len, now, out);
    }

    private boolean canSendNow(Keypair kp, long now) {
        return staged.isEmpty() && kp != null && kp.canSend(now) && endpoint != null;
    }

    private Result stageAndSend(byte[] packet, int off, int len, long now, Actions out) {
        if (staged.size() >= MAX_STAGED_PACKETS) staged.pollFirst();
        staged.addLast(Arrays.copyOfRange(packet, off, off + len));
        boolean sent = sendStagedPackets(now, out);
        return sent ? Result.Ok.SENT : Result.Ok.STAGED;
    }

    /** Stages a keepalive unless packets are already staged, then sends what is staged. */
    void sendKeepalive(long now, Actions out) {
        if (staged.isEmpty()) staged.addLast(new byte[0]);
        sendStagedPackets(now, out);
    }

    /** Sends staged packets on the current keypair; without one, starts a handshake. True when all were sent. */
    boolean sendStagedPackets(long now, Actions out) {
        if (staged.isEmpty()) return true;
        Keypair kp = current;
        if (kp == null || !kp.canSend(now) || endpoint == null) {
            sendHandshakeInitiation(false, now, out);
            return false;
        }
        boolean dataSent = false;
        while (!staged.isEmpty()) {
            if (!kp.canSend(now)) {
                sendHandshakeInitiation(false, now, out);
                return false;
            }
            byte[] p = staged.pollFirst();
            encryptAndSend(kp, p, 0, p.length, out);
            dataSent |= p.length > 0;
        }
        afterSend(dataSent, now, out);
        return true;
    }

    /** The timer updates after transport messages went out, and the rekey check. */
    private void afterSend(boolean dataSent, long now, Actions out) {
        timersAnyAuthenticatedPacketTraversal(now);
        timersAnyAuthenticatedPacketSent();
        if (dataSent) timersDataSent(now);
        keepKeyFreshSending(now, out);
    }

    /** Seals and sends one packet now, under the caller's lock (staged packets, keepalives, the one-call API). */
    private void encryptAndSend(Keypair kp, byte[] p, int off, int len, Actions out) {
        OutboundElement e = node.txElement();
        reserve(kp, len, e);
        byte[] buf = node.txScratch(e.datagramLength());
        int total = e.seal(p, off, buf, 0);
        out.send(e.endpoint(), buf, 0, total);
    }

    /** Takes the keypair's next counter for one packet of len bytes and fills the element to seal it. */
    private void reserve(Keypair kp, int len, OutboundElement e) {
        long counter = kp.sendCounter++;
        e.reserve(node.aead(), kp, counter, len, paddedLength(len, node.mtu()), endpoint);
        txBytes += e.datagramLength();
    }

    /** The plaintext length after zero padding to a multiple of 16, never past the MTU (wireguard-go's rule). */
    static int paddedLength(int len, int mtu) {
        int last = len;
        if (mtu <= 0) return (last + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1);
        if (last > mtu) last %= mtu;
        int padded = (last + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1);
        if (padded > mtu) padded = mtu;
        return len + (padded - last);
    }

    private void keepKeyFreshSending(long now, Actions out) {
        Keypair kp = current;
        if (kp == null) return;
        if (Long.compareUnsigned(kp.sendCounter, REKEY_AFTER_MESSAGES) > 0
            || (kp.initiator && now - kp.created >= REKEY_AFTER_TIME)) {
            sendHandshakeInitiation(false, now, out);
        }
    }

    private void keepKeyFreshReceiving(long now, Actions out) {
        if (sentLastMinuteHandshake) return;
        Keypair kp = current;
        if (kp != null && kp.initiator && now - kp.created >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
            sentLastMinuteHandshake = true;
            sendHandshakeInitiation(false, now, out);
        }
    }

    /** Sends an initiation unless one went out less than REKEY_TIMEOUT ago (one in flight at most). */
    void sendHandshakeInitiation(boolean retry, long now, Actions out) {
        if (!retry) handshakeAttempts = 0;
        if (sentAnyHandshake && now - lastSentHandshake < REKEY_TIMEOUT) return;
        StaticKey s = node.staticKey();
        if (s == null || endpoint == null) return;
        lastSentHandshake = now;
        sentAnyHandshake = true;
        if (handshake.hasLocalIndex) node.indexTable().remove(handshake.localIndex);
        int index = node.indexTable().newHandshakeIndex(this);
        byte[] msg = handshake.createInitiation(node.aead(), s, publicKey, staticStatic(),
            X25519.generatePrivateKey(node.random()), index, node.clock().epochNanos());
        if (msg == null) {
            node.indexTable().remove(index);
            handshake.hasLocalIndex = false;
            return;
        }
        cookies.addMacs(msg, msg.length, now);
        timersAnyAuthenticatedPacketTraversal(now);
        txBytes += msg.length;
        out.send(endpoint, msg, 0, msg.length);
        node.events().handshakeInitiated(this, endpoint);
        timersAnyAuthenticatedPacketSent();
        retransmitHandshakeAt = now + REKEY_TIMEOUT + jitter();
    }

    private long jitter() {
        return node.jitter(REKEY_TIMEOUT_JITTER);
    }

    // ---- receiving ----------------------------------------------------------------------------------------------

    /** After the node authenticated an initiation from this peer: accept it and answer with a response. */
    Result receiveInitiation(NoiseIk n, byte[] ephemeral, int sender, byte[] timestamp, Endpoint from, long now, Actions out) {
        Result r = handshake.acceptInitiation(n, ephemeral, sender, timestamp, now);
        if (r != Result.Ok.INITIATION) return r;
        rxBytes += INITIATION_SIZE;
        updateEndpoint(from);
        timersAnyAuthenticatedPacketTraversal(now);
        timersAnyAuthenticatedPacketReceived();
        sendHandshakeResponse(now, out);
        return r;
    }

    private void sendHandshakeResponse(long now, Actions out) {
        lastSentHandshake = now;
        sentAnyHandshake = true;
        if (handshake.hasLocalIndex) node.indexTable().remove(handshake.localIndex);
        int index = node.indexTable().newHandshakeIndex(this);
        byte[] msg = handshake.createResponse(publicKey, presharedKey, X25519.generatePrivateKey(node.random()), index);
        if (msg == null) {
            node.indexTable().remove(index);
            handshake.hasLocalIndex = false;
            return;
        }
        cookies.addMacs(msg, msg.length, now);
        beginSymmetricSession(false, now);
        timersSessionDerived(now);
        timersAnyAuthenticatedPacketTraversal(now);
        txBytes += msg.length;
        out.send(endpoint, msg, 0, msg.length);
        timersAnyAuthenticatedPacketSent();
    }

    /** A response addressed to our handshake index. */
    Result receiveResponse(byte[] msg, int off, Endpoint from, long now, Actions out) {
        StaticKey s = node.staticKey();
        if (s == null) return Result.Dropped.NO_PRIVATE_KEY;
        if (handshake.state != Handshake.State.INITIATION_CREATED) return Result.Dropped.UNEXPECTED_RESPONSE;
        if (!handshake.consumeResponse(s, presharedKey, msg, off)) return Result.Dropped.DECRYPT_FAILED;
        rxBytes += RESPONSE_SIZE;
        updateEndpoint(from);
        timersAnyAuthenticatedPacketTraversal(now);
        timersAnyAuthenticatedPacketReceived();
        beginSymmetricSession(true, now);
        timersSessionDerived(now);
        timersHandshakeComplete(now);
        node.events().handshakeCompleted(this, true, endpoint);
        sendKeepalive(now, out);
        return Result.Ok.RESPONSE;
    }

    private void beginSymmetricSession(boolean initiator, long now) {
        byte[][] keys = handshake.deriveKeys(initiator);
        int index = handshake.localIndex;
        handshake.hasLocalIndex = false;
        Keypair kp = new Keypair(this, keys[0], keys[1], initiator, now, index, handshake.remoteIndex);
        node.indexTable().bindKeypair(index, kp);
        if (initiator) {
            if (next != null) {
                deleteKeypair(previous);
                previous = next;
                next = null;
                deleteKeypair(current);
            } else {
                deleteKeypair(previous);
                previous = current;
            }
            current = kp;
        } else {
            deleteKeypair(next);
            next = kp;
            deleteKeypair(previous);
            previous = null;
        }
    }

    /** Promotes the next keypair on its first authenticated packet (the responder's key confirmation). */
    private boolean receivedWithKeypair(Keypair kp) {
        if (next != kp) return false;
        deleteKeypair(previous);
        previous = current;
        current = next;
        next = null;
        return true;
    }

    private void deleteKeypair(Keypair kp) {
        if (kp == null) return;
        node.indexTable().remove(kp.localIndex);
        kp.wipe();
    }

    /**
     * The second half of receiving a transport message on one of this peer's keypairs, after the element was
     * opened: drop it unless it authenticated and its keypair still exists, then the replay check, roaming, key
     * confirmation, timers and the inner packet checks. Returns DATA when plain[plainOff, plainOff +
     * e.innerLength()) is to be delivered.
     */
    Result completeTransport(InboundElement e, byte[] plain, int plainOff, Endpoint from, long now, Actions out) {
        Keypair kp = e.keypair();
        int n = e.plainLength();
        if (n < 0) return Result.Dropped.DECRYPT_FAILED;
        if (kp.wiped) return Result.Dropped.KEY_EXPIRED;  // rotated out, zeroed or removed while being opened
        if (!kp.replay.validate(e.counter(), REJECT_AFTER_MESSAGES)) return Result.Dropped.REPLAYED;
        updateEndpoint(from);
        rxBytes += e.datagramLength();
        if (receivedWithKeypair(kp)) {
            timersHandshakeComplete(now);
            node.events().handshakeCompleted(this, false, endpoint);
            sendStagedPackets(now, out);
        }
        keepKeyFreshReceiving(now, out);
        timersAnyAuthenticatedPacketTraversal(now);
        timersAnyAuthenticatedPacketReceived();
        if (n == 0) return Result.Ok.KEEPALIVE;
        timersDataReceived(now);
        int innerLen = innerLength(plain, plainOff, n);
        if (innerLen < 0) return Result.Dropped.BAD_INNER_PACKET;
        if (node.allowedIps().lookupPacketSource(plain, plainOff, innerLen) != this) {
            return Result.Dropped.DISALLOWED_SOURCE;
        }
        e.setInnerLength(innerLen);
        return Result.Ok.DATA;
    }

    /** The length of the inner packet at p[off, off + n) from its IP header, or -1 when that is not valid. */
    static int innerLength(byte[] p, int off, int n) {
        int version = (p[off] & 0xff) >>> 4;
        int len;
        if (version == 4) {
            if (n < 20) return -1;
            len = (p[off + 2] & 0xff) << 8 | (p[off + 3] & 0xff);
            if (len < 20) return -1;
        } else if (version == 6) {
            if (n < 40) return -1;
            len = 40 + ((p[off + 4] & 0xff) << 8 | (p[off + 5] & 0xff));
        } else {
            return -1;
        }
        return len > n ? -1 : len;
    }

    // ---- timers -------------------------------------------------------------------------------------------------

    private void timersDataSent(long now) {
        if (newHandshakeAt == NEVER) newHandshakeAt = now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter();
    }

    private void timersDataReceived(long now) {
        if (sendKeepaliveAt == NEVER) sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
        else needAnotherKeepalive = true;
    }

    private void timersAnyAuthenticatedPacketSent() {
        sendKeepaliveAt = NEVER;
    }

    private void timersAnyAuthenticatedPacketReceived() {
        newHandshakeAt = NEVER;
    }

    private void timersHandshakeComplete(long now) {
        retransmitHandshakeAt = NEVER;
        handshakeAttempts = 0;
        sentLastMinuteHandshake = false;
        lastHandshakeEpochNanos = node.clock().epochNanos();
    }

    private void timersSessionDerived(long now) {
        zeroKeyMaterialAt = now + 3 * REJECT_AFTER_TIME;
    }

    private void timersAnyAuthenticatedPacketTraversal(long now) {
        if (persistentKeepaliveSeconds > 0) persistentKeepaliveAt = now + persistentKeepaliveSeconds * 1_000_000_000L;
    }

    /** The earliest pending timer deadline, or Long.MAX_VALUE when none is pending. */
    long nextDeadline() {
        return Math.min(Math.min(retransmitHandshakeAt, sendKeepaliveAt),
            Math.min(Math.min(newHandshakeAt, zeroKeyMaterialAt), persistentKeepaliveAt));
    }

    /** Runs every timer whose deadline has passed. */
    void tick(long now, Actions out) {
        if (removed) return;
        if (retransmitHandshakeAt <= now) {
            retransmitHandshakeAt = NEVER;
            expiredRetransmitHandshake(now, out);
        }
        if (sendKeepaliveAt <= now) {
            sendKeepaliveAt = NEVER;
            sendKeepalive(now, out);
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
            }
        }
        if (newHandshakeAt <= now) {
            newHandshakeAt = NEVER;
            sendHandshakeInitiation(false, now, out);
        }
        if (zeroKeyMaterialAt <= now) {
            zeroKeyMaterialAt = NEVER;
            zeroKeyMaterial();
            node.events().keysZeroed(this);
        }
        if (persistentKeepaliveAt <= now) {
            persistentKeepaliveAt = NEVER;
            if (persistentKeepaliveSeconds > 0) sendKeepalive(now, out);
        }
    }

    private void expiredRetransmitHandshake(long now, Actions out) {
        if (handshakeAttempts > MAX_TIMER_HANDSHAKES) {
            // Give up: drop what waits for a session; wipe the keys later unless that is already set.
            sendKeepaliveAt = NEVER;
            staged.clear();
            node.events().handshakeGaveUp(this);
            if (zeroKeyMaterialAt == NEVER) zeroKeyMaterialAt = now + 3 * REJECT_AFTER_TIME;
        } else {
            handshakeAttempts++;
            sendHandshakeInitiation(true, now, out);
        }
    }

    /** Forgets every keypair and the handshake in progress. */
    void zeroKeyMaterial() {
        deleteKeypair(previous);
        deleteKeypair(current);
        deleteKeypair(next);
        previous = current = next = null;
        if (handshake.hasLocalIndex) node.indexTable().remove(handshake.localIndex);
        handshake.hasLocalIndex = false;
        handshake.clearSecrets();
    }

    /** Called when the node drops the peer: wipe everything and ignore later timer ticks. */
    void remove() {
        zeroKeyMaterial();
        staged.clear();
        Arrays.fill(presharedKey, (byte) 0);
        refreshStaticStatic();
        removed = true;
    }
}
