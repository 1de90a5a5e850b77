package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DoS defence under load: a handshake message without a valid mac2 gets a cookie reply instead of processing,
 * the sender's next message carries mac2 and goes through, forged or misaddressed cookie replies are dropped, the
 * responder's cookie secret expires after COOKIE_REFRESH_TIME, and valid-mac2 initiations are rate-limited per
 * source. Time moves only through the fake clock.
 */
class CookieTest {
    /** B under load; A's initiation is answered with a cookie reply, which is returned undelivered. */
    private static Pair.Datagram cookieReplyToFirstInitiation(Pair p) {
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        assertTrue(p.b.underLoad());
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        Pair.Datagram initiation = p.take();
        assertTrue(isZero(initiation.data(), Messages.INIT_MAC2), "no cookie yet, so no mac2");
        assertEquals(Result.Ok.COOKIE_SENT, p.inject(initiation));
        return p.take();
    }

    private static boolean isZero(byte[] b, int from) {
        for (int i = from; i < from + 16; i++) if (b[i] != 0) return false;
        return true;
    }

    @Test
    void underLoadAnInitiationWithoutMac2GetsACookieReplyAndTheRetryCompletes() {
        Pair p = new Pair();
        Pair.Datagram reply = cookieReplyToFirstInitiation(p);
        assertEquals(Protocol.MESSAGE_COOKIE_REPLY, reply.type());
        assertEquals(Protocol.COOKIE_REPLY_SIZE, reply.data().length);
        assertEquals(p.aEndpoint, reply.to());
        assertEquals(Messages.u32(p.sent.get(0).data(), Messages.INIT_SENDER), Messages.u32(reply.data(), Messages.COOKIE_RECEIVER),
            "addressed to the initiator's sender index");
        assertEquals(Handshake.State.ZEROED, p.bPeer.handshake.state, "the initiation was not processed");
        assertEquals(0, p.b.indexCount());
        assertNull(p.bPeer.endpoint());

        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(reply));
        assertTrue(p.aPeer.cookies.hasFreshCookie(p.clock.nanoTime()));
        assertTrue(p.inFlight.isEmpty(), "a cookie reply is not answered");

        // The retransmission comes after REKEY_TIMEOUT (+ jitter); keep B under load across it.
        p.advance(4900, TimeUnit.MILLISECONDS);
        assertEquals(1, p.sentBy(p.a, Protocol.MESSAGE_INITIATION));
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.advance(500, TimeUnit.MILLISECONDS);
        assertTrue(p.b.underLoad());
        assertEquals(2, p.sentBy(p.a, Protocol.MESSAGE_INITIATION));
        byte[] retry = p.sent.stream().filter(d -> d.type() == Protocol.MESSAGE_INITIATION).toList().get(1).data();
        assertFalse(isZero(retry, Messages.INIT_MAC2), "the retry carries mac2");
        assertEquals(List.of(Result.Ok.INITIATION, Result.Ok.KEEPALIVE), p.resultsAtB, "what the network delivered");
        assertEquals(List.of(Result.Ok.RESPONSE), p.resultsAtA);
        assertNotNull(p.aPeer.current);
        assertNotNull(p.bPeer.current);
        assertEquals(1, p.b.count(Result.Ok.COOKIE_SENT));
    }

    @Test
    void underLoadTheInitiatorCookiesAResponseWithoutMac2() {
        Pair p = new Pair();
        p.a.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.completeHandshake();
        assertEquals(List.of(Result.Ok.INITIATION, Result.Ok.COOKIE_REPLY), p.resultsAtB);
        assertEquals(List.of(Result.Ok.COOKIE_SENT), p.resultsAtA);
        assertNull(p.aPeer.current);
        assertTrue(p.bPeer.cookies.hasFreshCookie(p.clock.nanoTime()), "the responder holds a cookie now");

        p.advance(4900, TimeUnit.MILLISECONDS);
        p.a.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.advance(500, TimeUnit.MILLISECONDS);
        assertEquals(Result.Ok.RESPONSE, p.resultsAtA.get(1), "the second response carries mac2");
        assertNotNull(p.aPeer.current);
    }

    @ParameterizedTest
    @ValueSource(ints = {Messages.COOKIE_NONCE, Messages.COOKIE_NONCE + 23, Messages.COOKIE_ENC, 50, 63})
    void forgedCookieReplyIsDropped(int at) {
        Pair p = new Pair();
        Pair.Datagram reply = cookieReplyToFirstInitiation(p);
        byte[] forged = reply.data().clone();
        forged[at] ^= 0x04;
        int sent = p.sent.size();
        assertEquals(Result.Dropped.BAD_COOKIE_REPLY, p.inject(p.a, forged, reply.from()));
        assertFalse(p.aPeer.cookies.hasFreshCookie(p.clock.nanoTime()));
        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(reply), "the genuine reply still works");
        assertEquals(sent, p.sent.size(), "cookie replies are never answered");
        assertEquals(1, p.a.count(Result.Dropped.BAD_COOKIE_REPLY));
    }

    @Test
    void cookieReplyToAnUnknownIndexIsDropped() {
        Pair p = new Pair();
        byte[] reply = cookieReplyToFirstInitiation(p).data();
        int index = Messages.u32(reply, Messages.COOKIE_RECEIVER) ^ 0x10000;
        assertNull(p.a.indexTable().get(index));
        Messages.putU32(reply, Messages.COOKIE_RECEIVER, index);
        assertEquals(Result.Dropped.UNKNOWN_INDEX, p.inject(p.a, reply, p.bEndpoint));
        assertFalse(p.aPeer.cookies.hasFreshCookie(p.clock.nanoTime()));
    }

    @Test
    void cookieReplyIsConsumedOnceAndNeverMovesTheEndpoint() {
        Pair p = new Pair();
        Pair.Datagram reply = cookieReplyToFirstInitiation(p);
        Endpoint elsewhere = new Endpoint(new byte[] {(byte) 203, 0, 113, 50}, 999);
        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(p.a, reply.data(), elsewhere));
        assertEquals(p.bEndpoint, p.aPeer.endpoint(), "cookie replies do not roam");
        assertEquals(Result.Dropped.BAD_COOKIE_REPLY, p.inject(p.a, reply.data(), reply.from()),
            "a second reply to the same message is not taken");
    }

    /**
     * The cookie reaches A late, so A still finds it fresh when B's secret is {@code secretAge} seconds old: B takes
     * the mac2 while its secret is younger than COOKIE_REFRESH_TIME, and answers with a new cookie after.
     */
    @ParameterizedTest
    @CsvSource({"119, INITIATION", "121, COOKIE_SENT"})
    void responderCookieSecretExpiresAfterRefreshTime(int secretAge, Result.Ok expected) {
        Pair p = new Pair();
        Pair.Datagram reply = cookieReplyToFirstInitiation(p);
        p.clock.advance(60, TimeUnit.SECONDS);  // no timers run: A sends nothing meanwhile
        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(reply));
        p.clock.advance(secretAge - 60, TimeUnit.SECONDS);
        assertTrue(p.aPeer.cookies.hasFreshCookie(p.clock.nanoTime()), "A's cookie is only " + (secretAge - 60) + " s old");

        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        Pair.Datagram initiation = p.take();
        assertFalse(isZero(initiation.data(), Messages.INIT_MAC2));
        assertEquals(expected, p.inject(initiation));
        Pair.Datagram answer = p.take();
        if (expected == Result.Ok.COOKIE_SENT) {
            assertEquals(Protocol.MESSAGE_COOKIE_REPLY, answer.type());
            assertFalse(Arrays.equals(reply.data(), answer.data()));
            // The new cookie works: A's next initiation (after REKEY_TIMEOUT) is processed under load.
            assertEquals(Result.Ok.COOKIE_REPLY, p.inject(answer));
            p.clock.advance(Protocol.REKEY_TIMEOUT, TimeUnit.NANOSECONDS);
            p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
            p.a.initiateHandshake(p.aPeer, p.out(p.a));
            assertEquals(Result.Ok.INITIATION, p.inject(p.take()));
        } else {
            assertEquals(Protocol.MESSAGE_RESPONSE, answer.type());
        }
    }

    @Test
    void initiatorStopsUsingACookieAfterRefreshTime() {
        Pair p = new Pair();
        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(cookieReplyToFirstInitiation(p)));
        p.clock.advance(Protocol.COOKIE_REFRESH_TIME + 1, TimeUnit.NANOSECONDS);
        assertFalse(p.aPeer.cookies.hasFreshCookie(p.clock.nanoTime()));
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        assertTrue(isZero(p.take().data(), Messages.INIT_MAC2));
    }

    @Test
    void underLoadValidMac2InitiationsAreRateLimitedPerSource() {
        Pair p = new Pair();
        assertEquals(Result.Ok.COOKIE_REPLY, p.inject(cookieReplyToFirstInitiation(p)));
        p.clock.advance(Protocol.REKEY_TIMEOUT, TimeUnit.NANOSECONDS);
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        Pair.Datagram initiation = p.take();
        assertEquals(Result.Ok.INITIATION, p.inject(initiation));
        p.inFlight.clear();

        // The same valid-mac2 initiation again and again from the same source, within the same instant: the
        // bucket (burst 5, the first one included) lets four more through to the timestamp check, then refuses.
        for (int i = 0; i < 4; i++) assertEquals(Result.Dropped.STALE_TIMESTAMP, p.inject(initiation));
        int sent = p.sent.size();
        for (int i = 0; i < 3; i++) assertEquals(Result.Dropped.RATE_LIMITED, p.inject(initiation));
        assertEquals(3, p.b.count(Result.Dropped.RATE_LIMITED));
        assertEquals(sent, p.sent.size(), "rate-limited messages get no reply");

        // One packet's worth of tokens comes back every 50 ms (20 a second).
        p.clock.advance(50, TimeUnit.MILLISECONDS);
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        assertEquals(Result.Dropped.STALE_TIMESTAMP, p.inject(initiation));
        assertEquals(Result.Dropped.RATE_LIMITED, p.inject(initiation));

        // Not under load any more: no mac2 check and no rate limit.
        p.clock.advance(Protocol.UNDER_LOAD_AFTER_TIME, TimeUnit.NANOSECONDS);
        assertFalse(p.b.underLoad());
        assertEquals(Result.Dropped.STALE_TIMESTAMP, p.inject(initiation));
        assertEquals(Result.Dropped.STALE_TIMESTAMP, p.inject(initiation));
    }

    @Test
    void underLoadLastsOneSecondAfterTheBacklogWasLastHigh() {
        Pair p = new Pair();
        assertFalse(p.b.underLoad());
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE / 8 - 1);
        assertFalse(p.b.underLoad(), "below an eighth of the queue");
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE / 8);
        assertTrue(p.b.underLoad());
        p.clock.advance(Protocol.UNDER_LOAD_AFTER_TIME - 1, TimeUnit.NANOSECONDS);
        assertTrue(p.b.underLoad());
        p.clock.advance(1, TimeUnit.NANOSECONDS);
        assertFalse(p.b.underLoad());
    }
}
