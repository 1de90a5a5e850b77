package dev.veil.core;

import static dev.veil.core.Protocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The timer rules of the whitepaper, driven with a fake clock: keepalives, retries, giving up, rekeying by time and
 * by message count, expiry, zeroing, and persistent keepalives. Minutes of protocol time pass in milliseconds.
 */
class TimersTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** Records the fake-clock time of every initiation A sends. */
    private static List<Long> initiationTimes(Pair p) {
        List<Long> times = new ArrayList<>();
        p.a.setEvents(new NodeEvents() {
            @Override
            public void handshakeInitiated(Peer peer, Endpoint to) {
                times.add(p.clock.nanoTime());
            }
        });
        return times;
    }

    @Test
    void passiveKeepaliveTenSecondsAfterDataWithNothingSent() {
        Pair p = new Pair();
        p.sendAtoB(Pair.aToB(50));
        long before = p.sentBy(p.b, MESSAGE_TRANSPORT);
        p.advance(9, TimeUnit.SECONDS);
        assertEquals(before, p.sentBy(p.b, MESSAGE_TRANSPORT), "no keepalive before KEEPALIVE_TIMEOUT");
        p.advance(2, TimeUnit.SECONDS);
        assertEquals(before + 1, p.sentBy(p.b, MESSAGE_TRANSPORT), "one keepalive after KEEPALIVE_TIMEOUT");
        Pair.Datagram last = p.sent.getLast();
        assertEquals(TRANSPORT_MIN_SIZE, last.data().length, "a keepalive is an empty transport message");
        assertEquals(Result.Ok.KEEPALIVE, p.resultsAtA.getLast());
    }

    @Test
    void noKeepaliveWhenReplyDataWasSent() {
        Pair p = new Pair();
        p.sendAtoB(Pair.aToB(50));
        p.advance(1, TimeUnit.SECONDS);
        p.sendBtoA(Pair.bToA(50));  // B answered with data: nothing to acknowledge
        long before = p.sentBy(p.b, MESSAGE_TRANSPORT);
        p.advance(9, TimeUnit.SECONDS);
        // A received data, so A may send a keepalive; B sent data after receiving, so B must not.
        assertEquals(before, p.sentBy(p.b, MESSAGE_TRANSPORT));
    }

    @Test
    void lostInitiationIsRetriedAfterRekeyTimeoutWithJitter() {
        Pair p = new Pair();
        List<Long> times = initiationTimes(p);
        int[] seen = {0};
        p.drop = d -> d.type() == MESSAGE_INITIATION && seen[0]++ == 0;  // lose the first initiation
        assertEquals(Result.Ok.STAGED, p.sendAtoB(Pair.aToB(20)));
        assertTrue(p.deliveredToB.isEmpty());
        p.advance(6, TimeUnit.SECONDS);
        assertEquals(2, times.size());
        long gap = times.get(1) - times.get(0);
        assertTrue(gap >= REKEY_TIMEOUT && gap < REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER + TimeUnit.MILLISECONDS.toNanos(100),
            "retry after REKEY_TIMEOUT + jitter, was " + gap);
        assertEquals(1, p.deliveredToB.size(), "the staged packet goes out once the retry succeeds");
    }

    @Test
    void retriesGiveUpAfterRekeyAttemptTimeAndDropStagedPackets() {
        Pair p = new Pair();
        List<Long> times = initiationTimes(p);
        p.drop = d -> true;  // B is unreachable
        p.sendAtoB(Pair.aToB(20));
        assertEquals(1, p.aPeer.stagedPackets());
        p.advance(200, TimeUnit.SECONDS);
        // wireguard-go and the kernel: the first initiation, then MAX_TIMER_HANDSHAKES + 1 retries.
        assertEquals(MAX_TIMER_HANDSHAKES + 2, times.size());
        long span = times.getLast() - times.getFirst();
        assertTrue(span >= REKEY_ATTEMPT_TIME && span < REKEY_ATTEMPT_TIME + 3 * REKEY_TIMEOUT, "span " + span);
        for (int i = 1; i < times.size(); i++) {
            long gap = times.get(i) - times.get(i - 1);
            assertTrue(gap >= REKEY_TIMEOUT && gap <= REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER + SECOND / 10, "gap " + gap);
        }
        assertEquals(0, p.aPeer.stagedPackets(), "staged packets are dropped on giving up");
        int n = times.size();
        p.advance(100, TimeUnit.SECONDS);
        assertEquals(n, times.size(), "no more initiations after giving up");
    }

    @Test
    void newHandshakeWhenDataSentGetsNoReplyFor15Seconds() {
        Pair p = new Pair();
        p.completeHandshake();
        p.advance(1, TimeUnit.SECONDS);
        List<Long> times = initiationTimes(p);
        p.drop = d -> d.sender() == p.b;  // B's answers are lost
        long t0 = p.clock.nanoTime();
        p.sendAtoB(Pair.aToB(20));
        p.advance(14, TimeUnit.SECONDS);
        assertTrue(times.isEmpty(), "no new handshake before KEEPALIVE_TIMEOUT + REKEY_TIMEOUT");
        p.advance(2, TimeUnit.SECONDS);
        assertEquals(1, times.size());
        long after = times.getFirst() - t0;
        assertTrue(after >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT, "after " + after);
    }

    @Test
    void initiatorRekeysWhenSendingOnAKeyOlderThanRekeyAfterTime() {
        Pair p = new Pair();
        p.completeHandshake();
        List<Long> times = initiationTimes(p);
        p.advance(119, TimeUnit.SECONDS);
        p.sendAtoB(Pair.aToB(20));
        assertTrue(times.isEmpty());
        p.advance(2, TimeUnit.SECONDS);
        Keypair old = p.aPeer.current;
        p.sendAtoB(Pair.aToB(20));
        assertEquals(1, times.size(), "a send on a key older than REKEY_AFTER_TIME starts a handshake");
        assertNotSame(old, p.aPeer.current);
        assertEquals(2, p.deliveredToB.size(), "the packet that triggered the rekey was still delivered");
    }

    @Test
    void responderDoesNotRekeyByTime() {
        Pair p = new Pair();
        p.completeHandshake();
        p.advance(130, TimeUnit.SECONDS);
        long before = p.sentBy(p.b, MESSAGE_INITIATION);
        p.sendBtoA(Pair.bToA(20));
        assertEquals(before, p.sentBy(p.b, MESSAGE_INITIATION));
        assertEquals(1, p.deliveredToA.size());
    }

    @Test
    void initiatorRekeysOnceWhenReceivingOnAKeyOlderThan165Seconds() {
        Pair p = new Pair();
        p.completeHandshake();
        List<Long> times = initiationTimes(p);
        p.advance(164, TimeUnit.SECONDS);
        p.sendBtoA(Pair.bToA(20));
        assertTrue(times.isEmpty());
        p.drop = d -> d.sender() == p.a && d.type() == MESSAGE_INITIATION;  // keep the old key in use
        p.advance(2, TimeUnit.SECONDS);
        p.sendBtoA(Pair.bToA(20));
        assertEquals(1, times.size(), "REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT passed");
        p.sendBtoA(Pair.bToA(20));
        assertEquals(1, times.size(), "only once");
    }

    @Test
    void rekeyAfterMessages() {
        Pair p = new Pair();
        p.completeHandshake();
        p.advance(6, TimeUnit.SECONDS);  // past REKEY_TIMEOUT: one initiation in flight at most
        List<Long> times = initiationTimes(p);
        p.sendAtoB(Pair.aToB(20));
        assertTrue(times.isEmpty());
        p.aPeer.current.sendCounter = REKEY_AFTER_MESSAGES + 1;
        p.sendAtoB(Pair.aToB(20));
        assertEquals(1, times.size());
    }

    @Test
    void keyIsNotUsedAtRejectAfterMessages() {
        Pair p = new Pair();
        p.completeHandshake();
        p.aPeer.current.sendCounter = REJECT_AFTER_MESSAGES - 1;
        p.drop = d -> d.type() != MESSAGE_TRANSPORT;  // no new handshake may rescue it
        assertEquals(Result.Ok.SENT, p.a.send(Pair.aToB(20), 0, 40, p.out(p.a)));
        p.pump();
        assertEquals(1, p.deliveredToB.size(), "the last counter below the limit is accepted");
        assertEquals(Result.Ok.STAGED, p.a.send(Pair.aToB(20), 0, 40, p.out(p.a)), "at the limit the key is retired");
    }

    @Test
    void receiverRejectsCounterAtRejectAfterMessages() {
        ReplayWindow w = new ReplayWindow();
        assertFalse(w.validate(REJECT_AFTER_MESSAGES, REJECT_AFTER_MESSAGES));
        assertTrue(w.validate(REJECT_AFTER_MESSAGES - 1, REJECT_AFTER_MESSAGES));
    }

    @Test
    void keysExpireAtRejectAfterTime() {
        Pair p = new Pair();
        p.completeHandshake();
        p.sendAtoB(Pair.aToB(20));
        // Capture a transport message now and deliver it late.
        p.drop = d -> d.type() == MESSAGE_TRANSPORT;
        p.a.send(Pair.aToB(20), 0, 40, p.out(p.a));
        Pair.Datagram held = p.sent.getLast();
        p.pump();
        p.drop = d -> true;  // silence, so no new session replaces the old one
        p.advance(181, TimeUnit.SECONDS);
        assertFalse(p.aPeer.hasSession(p.clock.nanoTime()), "no key is used past REJECT_AFTER_TIME");
        Result r = p.b.receive(held.data(), 0, held.data().length, held.from(), p.out(p.b));
        assertEquals(Result.Dropped.KEY_EXPIRED, r, "no key is accepted past REJECT_AFTER_TIME");
    }

    @Test
    void keyMaterialIsZeroedAfterThreeTimesRejectAfterTime() {
        Pair p = new Pair();
        p.completeHandshake();
        assertTrue(p.a.indexCount() > 0);
        p.advance(3 * 180 - 5, TimeUnit.SECONDS);
        assertNotNull(p.aPeer.current);
        byte[] key = p.aPeer.current.sendKey;
        p.advance(10, TimeUnit.SECONDS);
        assertNull(p.aPeer.current);
        assertNull(p.aPeer.previous);
        assertNull(p.aPeer.next);
        assertEquals(0, p.a.indexCount(), "indices are released");
        assertTrue(NoiseIk.isZero(key), "key bytes are overwritten");
    }

    @Test
    void persistentKeepaliveEveryIntervalWhileIdle() {
        Pair p = new Pair();
        p.completeHandshake();
        p.advance(1, TimeUnit.SECONDS);
        long before = p.sentBy(p.a, MESSAGE_TRANSPORT);
        p.a.setPersistentKeepalive(p.aPeer, 25, p.out(p.a));
        p.pump();
        assertEquals(before + 1, p.sentBy(p.a, MESSAGE_TRANSPORT), "turning it on sends a keepalive at once");
        p.advance(24, TimeUnit.SECONDS);
        assertEquals(before + 1, p.sentBy(p.a, MESSAGE_TRANSPORT));
        p.advance(2, TimeUnit.SECONDS);
        assertEquals(before + 2, p.sentBy(p.a, MESSAGE_TRANSPORT));
        p.advance(25, TimeUnit.SECONDS);
        assertEquals(before + 3, p.sentBy(p.a, MESSAGE_TRANSPORT));
    }

    @Test
    void continuousTrafficAcrossManyRekeysLosesNothing() {
        Pair p = new Pair();
        int n = 600;
        for (int i = 0; i < n; i++) {
            p.a.send(Pair.aToB(30), 0, 50, p.out(p.a));
            p.b.send(Pair.bToA(30), 0, 50, p.out(p.b));
            p.advance(1, TimeUnit.SECONDS);
        }
        assertEquals(n, p.deliveredToB.size());
        assertEquals(n, p.deliveredToA.size());
        long handshakes = p.sentBy(p.a, MESSAGE_INITIATION) + p.sentBy(p.b, MESSAGE_INITIATION);
        assertTrue(handshakes >= 4, "600 s of traffic needs a rekey every ~2 minutes, saw " + handshakes);
        assertEquals(0, p.b.count(Result.Dropped.REPLAYED) + p.a.count(Result.Dropped.DECRYPT_FAILED));
    }
}
