package dev.veil.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    /** An arbitrary monotonic origin, negative to show that only differences matter. */
    private static final long T0 = -123_456_789_000L;

    private static final byte[] A = {10, 0, 0, 1};
    private static final byte[] B = {10, 0, 0, 2};
    private static final byte[] V6_NET1_HOST1 = v6(0x20010db8_00000001L, 1);
    private static final byte[] V6_NET1_HOST2 = v6(0x20010db8_00000001L, 0xdeadbeef_cafef00dL);
    private static final byte[] V6_NET2_HOST1 = v6(0x20010db8_00000002L, 1);

    private final RateLimiter limiter = new RateLimiter();

    private static byte[] v6(long upper, long lower) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (upper >>> (56 - 8 * i));
            b[8 + i] = (byte) (lower >>> (56 - 8 * i));
        }
        return b;
    }

    private static byte[] v4(int address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    private int allowedInARow(byte[] ip, long now) {
        int n = 0;
        while (n < 100 && limiter.allow(ip, now)) n++;
        return n;
    }

    @Test
    void burstOfFiveInOneInstantThenRefused() {
        for (int i = 0; i < 5; i++) assertTrue(limiter.allow(A, T0), "packet " + (i + 1) + " of the burst");
        assertFalse(limiter.allow(A, T0), "sixth packet");
        assertFalse(limiter.allow(A, T0 + 49 * MS), "before one packet's worth has refilled");
    }

    @Test
    void refillsAtTwentyPerSecond() {
        assertEquals(5, allowedInARow(A, T0));
        assertEquals(1, allowedInARow(A, T0 + 50 * MS), "50 ms buys one packet");
        assertEquals(2, allowedInARow(A, T0 + 150 * MS), "100 ms more buys two");
        assertEquals(5, allowedInARow(A, T0 + 10 * SECOND), "a long pause refills only up to the burst");
    }

    @Test
    void refusedPacketsDoNotSpendTokens() {
        assertEquals(5, allowedInARow(A, T0));
        for (int i = 1; i < 50; i++) assertFalse(limiter.allow(A, T0 + i * MS));
        assertTrue(limiter.allow(A, T0 + 50 * MS), "the refusals did not push the refill back");
    }

    /** The schedule of wireguard-go's ratelimiter_test.go, where every step also advances the clock by 1 ns. */
    @Test
    void scheduleFromWireguardGo() {
        record Step(boolean allowed, long waitNanos) {}
        long cost = SECOND / 20;
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < 5; i++) steps.add(new Step(true, 0)); // initial burst
        steps.add(new Step(false, 0)); // after burst
        steps.add(new Step(true, cost)); // filling tokens for a single packet
        steps.add(new Step(false, 0)); // not having refilled enough
        steps.add(new Step(true, 2 * cost)); // filling tokens for a two-packet burst
        steps.add(new Step(true, 0)); // second packet of that burst
        steps.add(new Step(false, 0)); // packet following the two-packet burst
        List<byte[]> ips = List.of(v4(0x7f000001), v4(0xc0a80101), v4(0xaca70203), v4(0x61e7fcd7),
                V6_NET1_HOST1, V6_NET2_HOST1, v6(0xf5c2818fc052655aL, 7), v6(0xb2d715ab48a7b07cL, 9));
        long now = T0;
        for (int i = 0; i < steps.size(); i++) {
            now += steps.get(i).waitNanos() + 1;
            limiter.collectGarbage(now);
            for (byte[] ip : ips) {
                assertEquals(steps.get(i).allowed(), limiter.allow(ip, now), "step " + i);
            }
        }
    }

    @Test
    void sourcesAreIndependent() {
        assertEquals(5, allowedInARow(A, T0));
        assertEquals(5, allowedInARow(B, T0), "B has its own bucket");
        assertFalse(limiter.allow(A, T0));
        assertEquals(2, limiter.trackedSources());
    }

    @Test
    void ipv6SharesABucketPerSlash64() {
        assertEquals(5, allowedInARow(V6_NET1_HOST1, T0));
        assertFalse(limiter.allow(V6_NET1_HOST2, T0), "another host of the same /64 shares the bucket");
        assertEquals(5, allowedInARow(V6_NET2_HOST1, T0), "another /64 has its own");
        assertEquals(2, limiter.trackedSources());
    }

    @Test
    void ipv4AndIpv6DoNotShareBuckets() {
        byte[] v6WithV4Bits = v6(0x0a000001L, 0); // upper 64 bits equal to A's value as a number
        assertEquals(5, allowedInARow(A, T0));
        assertTrue(limiter.allow(v6WithV4Bits, T0));
        assertEquals(2, limiter.trackedSources());
    }

    @Test
    void collectGarbageForgetsSourcesIdleForOverASecond() {
        limiter.allow(A, T0);
        limiter.allow(B, T0 + 500 * MS);
        limiter.collectGarbage(T0 + SECOND);
        assertEquals(2, limiter.trackedSources(), "A has been idle exactly a second: kept");
        limiter.collectGarbage(T0 + SECOND + 1);
        assertEquals(1, limiter.trackedSources(), "A idle for over a second: gone");
        limiter.collectGarbage(T0 + 1500 * MS + 1);
        assertEquals(0, limiter.trackedSources());
    }

    @Test
    void refusedPacketsStillCountAsActivity() {
        assertEquals(5, allowedInARow(A, T0));
        assertFalse(limiter.allow(A, T0 + 40 * MS));
        limiter.collectGarbage(T0 + SECOND + 20 * MS);
        assertEquals(1, limiter.trackedSources(), "idle for 980 ms since the refused packet");
    }

    @Test
    void allowCollectsGarbageLazilyAtMostOncePerSecond() {
        limiter.allow(A, T0);
        limiter.allow(B, T0 + SECOND);
        assertEquals(2, limiter.trackedSources(), "collected at 1 s, when A had been idle exactly a second");
        limiter.allow(B, T0 + 1900 * MS);
        assertEquals(2, limiter.trackedSources(), "A is stale, but the last collection was under a second ago");
        limiter.allow(B, T0 + 2 * SECOND);
        assertEquals(1, limiter.trackedSources(), "a second after the last collection, A is collected");
    }

    @Test
    void theTableIsCappedAndRefusesNewSourcesWhenFull() {
        RateLimiter small = new RateLimiter(3);
        assertTrue(small.allow(v4(1), T0));
        assertTrue(small.allow(v4(2), T0));
        assertTrue(small.allow(v4(3), T0));
        assertFalse(small.allow(v4(4), T0), "full: a new source is refused");
        assertEquals(3, small.trackedSources());
        assertTrue(small.allow(v4(1), T0), "known sources keep their buckets");
        assertTrue(small.allow(v4(4), T0 + 2 * SECOND), "room again once idle sources are collected");
        assertEquals(1, small.trackedSources());
    }

    @Test
    void theDefaultCapIs65536Sources() {
        int i = 0;
        for (; i < RateLimiter.MAX_SOURCES; i++) assertTrue(limiter.allow(v4(i), T0));
        assertFalse(limiter.allow(v4(i), T0));
        assertEquals(RateLimiter.MAX_SOURCES, limiter.trackedSources());
    }

    @Test
    void rejectsAddressesOfOtherLengths() {
        assertThrows(IllegalArgumentException.class, () -> limiter.allow(new byte[5], T0));
        assertThrows(IllegalArgumentException.class, () -> limiter.allow(new byte[0], T0));
    }
}
