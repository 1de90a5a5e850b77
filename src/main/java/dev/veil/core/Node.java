package dev.veil.core;

import static dev.veil.core.Protocol.*;

import dev.veil.crypto.Aead;
import dev.veil.routing.AllowedIps;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The protocol state of one WireGuard interface, with no I/O: the static key, the peers, cryptokey routing
 * (AllowedIPs), the index table, the cookie checker, the under-load switch and the handshake rate limiter. Datagrams
 * and inner packets go in; what to send and what to deliver comes out through {@link Actions}, and each input
 * yields a {@link Result} that is also counted. The clock and the randomness are the caller's.
 *
 * <p>Not thread-safe: one thread drives a node at a time (the device serialises calls).
 */
public final class Node {
    /** Handshake messages the device may queue; under load once the backlog reaches an eighth of it. */
    public static final int HANDSHAKE_QUEUE_SIZE = 1024;

    private final Clock clock;
    private final SecureRandom random;
    /**
     * Timer jitter, which needs no secrecy (wireguard-go and the kernel draw it from fast non-cryptographic
     * generators): seeded once from {@link #random}, it spares the data path a draw from the caller's SecureRandom
     * each time a data packet after a received one re-arms the new-handshake timer, which under bulk TCP is every
     * ACK.
     */
    private final SplittableRandom jitter;
    private final Aead aead;
    private final IndexTable indexTable;
    private final AllowedIps<Peer> allowedIps = new AllowedIps<>();
    private final Map<Key, Peer> peers = new HashMap<>();
    private final RateLimiter rateLimiter = new RateLimiter();
    private final long[] counters = new long[Result.Ok.values().length + Result.Dropped.values().length];
    private NodeEvents events = NodeEvents.NONE;
    private StaticKey staticKey;
    private CookieChecker cookieChecker;
    private int mtu = 1420;
    private long underLoadUntil;
    private boolean everUnderLoad;
    private byte[] txScratch = new byte[2048];
    private byte[] rxScratch = new byte[2048];
    private final OutboundElement txElement = new OutboundElement();
    private final InboundElement rxElement = new InboundElement();

    /** Peer map key: a public key compared by content. */
    private record Key(byte[] k) {
        @Override public boolean equals(Object o) { return o instanceof Key other && Arrays.equals(k, other.k); }
        @Override public int hashCode() { return Arrays.hashCode(k); }
    }

    public Node(Clock clock, SecureRandom random, Aead aead) {
        this.clock = clock;
        this.random = random;
        this.jitter = new SplittableRandom(random.nextLong());
        this.aead = aead;
        this.indexTable = new IndexTable(random);
    }

    // ---- configuration ------------------------------------------------------------------------------------------

    /**
     * Installs the interface's static key, wiping the previous one. Peers get new precomputed DH values and lose
     * their sessions; a peer whose public key equals our own is removed, as wireguard-go does.
     */
    public void setStaticKey(StaticKey key) {
        if (staticKey != null) staticKey.wipe();
        staticKey = key;
        cookieChecker = key == null ? null : new CookieChecker(key.publicKey(), random);
        if (key != null) {
            Peer self = peers.get(new Key(key.publicKey()));
            if (self != null) removePeer(self);
        }
        for (Peer p : peers.values()) {
            p.refreshStaticStatic();
            p.zeroKeyMaterial();
        }
    }

    public StaticKey staticKey() { return staticKey; }

    /** Sets the observer of protocol events. */
    public void setEvents(NodeEvents events) { this.events = events == null ? NodeEvents.NONE : events; }

    NodeEvents events() { return events; }

    /** The public key of the interface, or null without a private key. */
    public byte[] publicKey() { return staticKey == null ? null : staticKey.publicKey(); }

    /** Adds a peer, or returns the existing one with that public key. */
    public Peer addPeer(byte[] publicKey) {
        Key k = new Key(publicKey.clone());
        Peer p = peers.get(k);
        if (p == null) {
            p = new Peer(this, publicKey);
            peers.put(k, p);
        }
        return p;
    }

    public Peer peer(byte[] publicKey) { return peers.get(new Key(publicKey)); }

    /** Removes a peer with its allowed IPs, indices and keys. */
    public void removePeer(Peer p) {
        if (peers.remove(new Key(p.publicKey())) == null) return;
        allowedIps.removeAll(p);
        p.remove();
    }

    public Collection<Peer> peers() { return Collections.unmodifiableCollection(peers.values()); }

    public AllowedIps<Peer> allowedIps() { return allowedIps; }

    public int mtu() { return mtu; }

    public void setMtu(int mtu) { this.mtu = mtu; }

    /** Sets a peer's persistent keepalive interval (0 turns it off); turning it on sends a keepalive now. */
    public void setPersistentKeepalive(Peer p, int seconds, Actions out) {
        p.setPersistentKeepalive(seconds, clock.nanoTime(), out);
    }

    // ---- datagrams from the network -----------------------------------------------------------------------------

    /** Handles one datagram from the network. Never throws on bad input; never replies to unauthenticated input. */
    public Result receive(byte[] buf, int off, int len, Endpoint from, Actions out) {
        Result r;
        long now = clock.nanoTime();
        try {
            r = receive0(buf, off, len, from, now, out);
        } catch (RuntimeException e) {
            r = Result.Dropped.MALFORMED;  // defence in depth: nothing from the network may escape as an exception
        }
        count(r);
        if ((r instanceof Result.Dropped || r == Result.Ok.COOKIE_SENT) && isHandshake(buf, off, len)) {
            events.handshakeRejected(r, from, now);
        }
        return r;
    }

    private static boolean isHandshake(byte[] buf, int off, int len) {
        if (len <= 0 || off < 0 || off >= buf.length) return false;
        return buf[off] == MESSAGE_INITIATION || buf[off] == MESSAGE_RESPONSE;
    }

    private Result receive0(byte[] buf, int off, int len, Endpoint from, long now, Actions out) {
        int type = Messages.check(buf, off, len);
        if (type < 0) return Messages.dropReason(type);
        if (type == MESSAGE_TRANSPORT) {
            InboundElement e = rxElement;
            e.clear();
            Result.Dropped d = prepareTransport(buf, off, len, now, e);
            if (d != null) return d;
            byte[] plain = rxScratch(len);
            e.open(buf, off, plain, 0);
            Peer peer = e.keypair().peer;
            Result r = completeTransport(e, plain, 0, from, now, out);
            if (r == Result.Ok.DATA) out.deliver(peer, plain, 0, e.innerLength());
            return r;
        }
        if (type == MESSAGE_COOKIE_REPLY) {
            IndexTable.Entry e = indexTable.get(Messages.u32(buf, off + Messages.COOKIE_RECEIVER));
            if (e == null) return Result.Dropped.UNKNOWN_INDEX;
            return e.peer().cookies.consumeReply(buf, off, now) ? Result.Ok.COOKIE_REPLY : Result.Dropped.BAD_COOKIE_REPLY;
        }
        if (staticKey == null) return Result.Dropped.NO_PRIVATE_KEY;
        if (!cookieChecker.checkMac1(buf, off, len)) return Result.Dropped.BAD_MAC1;
        if (underLoad(now)) {
            if (!cookieChecker.checkMac2(buf, off, len, from, now)) {
                int sender = Messages.u32(buf, off + 4);  // the sender index sits at 4 in both handshake messages
                byte[] reply = cookieChecker.createReply(buf, off, len, sender, from, now);
                out.send(from, reply, 0, reply.length);
                return Result.Ok.COOKIE_SENT;
            }
            if (!rateLimiter.allow(from.address(), now)) return Result.Dropped.RATE_LIMITED;
        }
        return type == MESSAGE_INITIATION ? consumeInitiation(buf, off, from, now, out) : consumeResponse(buf, off, from, now, out);
    }

    private Result consumeInitiation(byte[] buf, int off, Endpoint from, long now, Actions out) {
        NoiseIk n = NoiseIk.start(aead, IDENTIFIER, staticKey.publicKey());
        byte[] ephemeral = new byte[32];
        byte[] remoteStatic = n.readMessageAStatic(staticKey, buf, off + Messages.INIT_NOISE, ephemeral);
        if (remoteStatic == null) return Result.Dropped.DECRYPT_FAILED;
        Peer peer = peers.get(new Key(remoteStatic));
        if (peer == null) return Result.Dropped.UNKNOWN_PEER;
        byte[] timestamp = n.readMessageAPayload(peer.staticStatic(), buf, off + Messages.INIT_NOISE, dev.veil.crypto.Tai64n.LEN);
        if (timestamp == null) return Result.Dropped.DECRYPT_FAILED;
        int sender = Messages.u32(buf, off + Messages.INIT_SENDER);
        return peer.receiveInitiation(n, ephemeral, sender, timestamp, from, now, out);
    }

    private Result consumeResponse(byte[] buf, int off, Endpoint from, long now, Actions out) {
        IndexTable.Entry e = indexTable.get(Messages.u32(buf, off + Messages.RESP_RECEIVER));
        if (e == null || e.keypair() != null) return Result.Dropped.UNKNOWN_INDEX;
        return e.peer().receiveResponse(buf, off, from, now, out);
    }

    /**
     * The first step of receiving a transport message outside the lock (see {@link InboundElement}): checks the
     * datagram's size and type, maps its receiver index to a keypair that has not expired, and prepares the
     * element. True when the caller must now {@link InboundElement#open open} it and then call
     * {@link #completeReceive}; false when it was dropped (counted, the reason in {@link InboundElement#result}).
     * Anything but a transport message is dropped: handshake messages go through {@link #receive}.
     */
    public boolean prepareReceive(byte[] buf, int off, int len, InboundElement e) {
        return prepareReceive(buf, off, len, clock.nanoTime(), e);
    }

    /**
     * {@link #prepareReceive(byte[], int, int, InboundElement)} at a time the caller read from this node's clock
     * (once for a whole batch: a clock read per packet is measurable at a few hundred thousand packets a second).
     */
    public boolean prepareReceive(byte[] buf, int off, int len, long now, InboundElement e) {
        e.clear();
        Result.Dropped d;
        try {
            d = prepareTransport(buf, off, len, now, e);
        } catch (RuntimeException ex) {
            d = Result.Dropped.MALFORMED;
        }
        if (d == null) return true;
        e.finish(d);
        count((Result) d);  // the cast picks the counting overload, not the count(Dropped) getter
        return false;
    }

    private Result.Dropped prepareTransport(byte[] buf, int off, int len, long now, InboundElement e) {
        int type = Messages.check(buf, off, len);
        if (type < 0) return Messages.dropReason(type);
        if (type != MESSAGE_TRANSPORT) return Result.Dropped.UNKNOWN_TYPE;
        IndexTable.Entry entry = indexTable.get(Messages.u32(buf, off + Messages.DATA_RECEIVER));
        if (entry == null || entry.keypair() == null) return Result.Dropped.UNKNOWN_INDEX;
        if (entry.keypair().expired(now)) return Result.Dropped.KEY_EXPIRED;
        e.prepare(aead, entry.keypair(), Messages.u64(buf, off + Messages.DATA_COUNTER), len);
        return null;
    }

    /**
     * The last step of receiving a transport message, in arrival order, after {@link InboundElement#open} wrote the
     * plaintext at plain[plainOff...]: the replay check, roaming, key confirmation, timers, the inner packet and
     * AllowedIPs source checks. Returns {@link Result.Ok#DATA} when plain[plainOff, plainOff +
     * {@link InboundElement#innerLength()}) is to be delivered; control messages it causes go to out. Counted.
     */
    public Result completeReceive(InboundElement e, byte[] plain, int plainOff, Endpoint from, Actions out) {
        return completeReceive(e, plain, plainOff, from, clock.nanoTime(), out);
    }

    /** {@link #completeReceive(InboundElement, byte[], int, Endpoint, Actions)} at a time read from this node's clock. */
    public Result completeReceive(InboundElement e, byte[] plain, int plainOff, Endpoint from, long now, Actions out) {
        if (!e.isOpened()) throw new IllegalStateException("not opened");
        Result r;
        try {
            r = completeTransport(e, plain, plainOff, from, now, out);
        } catch (RuntimeException ex) {
            r = Result.Dropped.MALFORMED;
            e.finish(r);
        }
        count(r);
        return r;
    }

    private Result completeTransport(InboundElement e, byte[] plain, int plainOff, Endpoint from, long now,
            Actions out) {
        Result r = e.keypair().peer.completeTransport(e, plain, plainOff, from, now, out);
        e.finish(r);
        return r;
    }

    // ---- packets from the TUN -----------------------------------------------------------------------------------

    /** Routes an inner packet by its destination to a peer and sends it (or stages it until a session exists). */
    public Result send(byte[] packet, int off, int len, Actions out) {
        Result r;
        if (len > 0xffff) {
            r = Result.Dropped.TOO_LARGE;
        } else {
            Peer p = allowedIps.lookupPacketDestination(packet, off, len);
            r = p == null ? Result.Dropped.NO_ROUTE : p.send(packet, off, len, clock.nanoTime(), out);
        }
        count(r);
        return r;
    }

    /**
     * The first step of sending an inner packet outside the lock (see {@link OutboundElement}): routes it by its
     * destination and, when its peer has a usable session and nothing staged, reserves a counter into the element
     * ({@link OutboundElement#isReady()}), which the caller then seals and sends in order. Otherwise it stages the
     * packet (and starts a handshake or flushes what is staged, through out) as {@link #send} does. Counted.
     */
    public Result prepareSend(byte[] packet, int off, int len, OutboundElement e, Actions out) {
        return prepareSend(packet, off, len, clock.nanoTime(), e, out);
    }

    /** {@link #prepareSend(byte[], int, int, OutboundElement, Actions)} at a time read from this node's clock. */
    public Result prepareSend(byte[] packet, int off, int len, long now, OutboundElement e, Actions out) {
        e.clear();
        Result r;
        if (len > 0xffff) {
            r = Result.Dropped.TOO_LARGE;
        } else {
            Peer p = allowedIps.lookupPacketDestination(packet, off, len);
            r = p == null ? Result.Dropped.NO_ROUTE : p.prepareSend(packet, off, len, now, e, out);
        }
        count(r);
        return r;
    }

    /** Sends a packet to a given peer, bypassing routing (for keepalives and tests). */
    public Result sendTo(Peer p, byte[] packet, int off, int len, Actions out) {
        Result r = p.send(packet, off, len, clock.nanoTime(), out);
        count(r);
        return r;
    }

    /** Starts a handshake with a peer now, unless one is already in flight. */
    public void initiateHandshake(Peer p, Actions out) {
        p.sendHandshakeInitiation(false, clock.nanoTime(), out);
    }

    // ---- time ---------------------------------------------------------------------------------------------------

    /** Runs every peer's timers that are due. Call it at {@link #nextDeadline()} or periodically. */
    public void tick(Actions out) {
        long now = clock.nanoTime();
        for (Peer p : List.copyOf(peers.values())) p.tick(now, out);
    }

    /** The earliest pending timer of any peer (monotonic nanoseconds), or Long.MAX_VALUE. */
    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (Peer p : peers.values()) d = Math.min(d, p.nextDeadline());
        return d;
    }

    /**
     * Tells the node how many handshake messages wait in the device's queue. From an eighth of
     * {@link #HANDSHAKE_QUEUE_SIZE}, the node is under load for UNDER_LOAD_AFTER_TIME: handshakes then need mac2
     * and are rate-limited per source.
     */
    public void observeHandshakeBacklog(int queued) {
        if (queued >= HANDSHAKE_QUEUE_SIZE / 8) {
            underLoadUntil = clock.nanoTime() + UNDER_LOAD_AFTER_TIME;
            everUnderLoad = true;
        }
    }

    public boolean underLoad() { return underLoad(clock.nanoTime()); }

    private boolean underLoad(long now) { return everUnderLoad && now < underLoadUntil; }

    // ---- counters -----------------------------------------------------------------------------------------------

    private void count(Result r) {
        int i = r instanceof Result.Ok ok ? ok.ordinal() : Result.Ok.values().length + ((Result.Dropped) r).ordinal();
        counters[i]++;
    }

    /** How many inputs had this result. */
    public long count(Result.Ok r) { return counters[r.ordinal()]; }

    public long count(Result.Dropped r) { return counters[Result.Ok.values().length + r.ordinal()]; }

    /** Every drop reason with a non-zero count, for status output. */
    public Map<Result.Dropped, Long> drops() {
        Map<Result.Dropped, Long> m = new java.util.EnumMap<>(Result.Dropped.class);
        for (Result.Dropped d : Result.Dropped.values()) if (count(d) > 0) m.put(d, count(d));
        return m;
    }

    public int indexCount() { return indexTable.size(); }

    /** The clock this node reads; a caller that works on a batch reads it once and passes the time in. */
    public Clock clock() { return clock; }

    // ---- for peers ----------------------------------------------------------------------------------------------

    SecureRandom random() { return random; }

    /** A timer jitter in [0, bound). */
    long jitter(long bound) { return jitter.nextLong(bound); }
    Aead aead() { return aead; }
    IndexTable indexTable() { return indexTable; }

    byte[] txScratch(int len) {
        if (txScratch.length < len) txScratch = new byte[Math.max(len, 2 * txScratch.length)];
        return txScratch;
    }

    OutboundElement txElement() { return txElement; }

    private byte[] rxScratch(int len) {
        if (rxScratch.length < len) rxScratch = new byte[Math.max(len, 2 * rxScratch.length)];
        return rxScratch;
    }

    /** Peers in a stable order, for tests and status. */
    public List<Peer> peerList() { return new ArrayList<>(peers.values()); }
}
