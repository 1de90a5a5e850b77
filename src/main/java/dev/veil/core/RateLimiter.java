package dev.veil.core;

import java.util.HashMap;
import java.util.Map;

/**
 * The handshake rate limiter of one device: a token bucket per source, refilled at {@value #PACKETS_PER_SECOND}
 * packets a second with a burst of {@value #PACKETS_BURSTABLE}, as in wireguard-go's {@code ratelimiter} and the
 * kernel's {@code ratelimiter.c}. An IPv4 source is one address; an IPv6 source is its /64, as in the kernel, so that
 * one host cannot dodge the limit by walking its own subnet.
 *
 * <p>Buckets count nanoseconds of credit. A new source starts with a full bucket and pays for its first packet. A
 * packet is allowed when the bucket holds at least one packet's cost (the kernel's {@code >=}: exactly
 * {@value #PACKETS_BURSTABLE} packets pass in one instant, where wireguard-go's {@code >} lets one fewer through
 * unless its clock ticks between packets). Sources idle for more than a second are forgotten by {@link #collectGarbage}, which {@link #allow} also runs at most once a second.
 *
 * <p>Memory is bounded: at most {@link #MAX_SOURCES} sources are tracked. When the table is full a new source is
 * refused (not tracked and not allowed) until garbage collection frees room, as the kernel does; known sources keep
 * their buckets. Owns its table; time comes in as monotonic nanoseconds. Not thread-safe: callers serialise calls.
 */
public final class RateLimiter {
    static final int PACKETS_PER_SECOND = 20;
    static final int PACKETS_BURSTABLE = 5;
    static final long PACKET_COST = 1_000_000_000L / PACKETS_PER_SECOND;
    static final long MAX_TOKENS = PACKET_COST * PACKETS_BURSTABLE;
    static final long GC_INTERVAL_NANOS = 1_000_000_000L;
    /** The most sources tracked at once. */
    public static final int MAX_SOURCES = 65_536;

    /** A source: an IPv4 address, or the upper 64 bits of an IPv6 address. */
    private record Source(boolean v6, long bits) {}

    /** One source's bucket. */
    private static final class Bucket {
        long lastNanos;
        long tokens;

        Bucket(long nowNanos) {
            lastNanos = nowNanos;
            tokens = MAX_TOKENS - PACKET_COST;
        }
    }

    private final Map<Source, Bucket> table = new HashMap<>();
    private final int maxSources;
    private long lastGcNanos;

    /** A limiter tracking up to {@link #MAX_SOURCES} sources. */
    public RateLimiter() {
        this(MAX_SOURCES);
    }

    RateLimiter(int maxSources) {
        if (maxSources < 1) throw new IllegalArgumentException("maxSources: " + maxSources);
        this.maxSources = maxSources;
    }

    /**
     * Whether a handshake message from {@code ip} (4 or 16 bytes) may be processed at {@code nowNanos}; spends one
     * packet's cost from its bucket when so.
     */
    public boolean allow(byte[] ip, long nowNanos) {
        Source source = sourceOf(ip);
        if (table.isEmpty()) lastGcNanos = nowNanos;
        else if (nowNanos - lastGcNanos >= GC_INTERVAL_NANOS) collectGarbage(nowNanos);
        Bucket bucket = table.get(source);
        if (bucket == null) {
            if (table.size() >= maxSources) return false;
            table.put(source, new Bucket(nowNanos));
            return true;
        }
        long elapsed = Math.max(0, nowNanos - bucket.lastNanos);
        bucket.lastNanos = nowNanos;
        bucket.tokens = elapsed >= MAX_TOKENS - bucket.tokens ? MAX_TOKENS : bucket.tokens + elapsed;
        if (bucket.tokens < PACKET_COST) return false;
        bucket.tokens -= PACKET_COST;
        return true;
    }

    /** Forgets every source whose last packet is more than a second before {@code nowNanos}. */
    public void collectGarbage(long nowNanos) {
        lastGcNanos = nowNanos;
        table.values().removeIf(bucket -> nowNanos - bucket.lastNanos > GC_INTERVAL_NANOS);
    }

    /** How many sources have a bucket now. */
    public int trackedSources() {
        return table.size();
    }

    private static Source sourceOf(byte[] ip) {
        return switch (ip.length) {
            case 4 -> new Source(false, bigEndian(ip, 4));
            case 16 -> new Source(true, bigEndian(ip, 8));
            default -> throw new IllegalArgumentException("IP address of " + ip.length + " bytes");
        };
    }

    private static long bigEndian(byte[] b, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) v = v << 8 | (b[i] & 0xff);
        return v;
    }
}
