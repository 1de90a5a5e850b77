package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Sessions between two cores: the handshake, data both ways, key confirmation and keypair rotation. */
class SessionTest {
    @Test
    void handshakeThenDataBothWays() {
        Pair p = new Pair();
        byte[] ping = Pair.aToB(100);
        assertEquals(Result.Ok.STAGED, p.a.send(ping, 0, ping.length, p.out(p.a)));
        p.pump();
        assertEquals(1, p.deliveredToB.size(), "the staged packet arrives once the session exists");
        assertArrayEquals(ping, p.deliveredToB.get(0));
        byte[] pong = Pair.bToA(60);
        assertEquals(Result.Ok.SENT, p.sendBtoA(pong));
        assertArrayEquals(pong, p.deliveredToA.get(0));
        assertEquals(p.aEndpoint, p.bPeer.endpoint(), "B learned A's endpoint from the initiation");
        assertTrue(p.aPeer.lastHandshakeEpochNanos() > 0);
    }

    @Test
    void responderKeepsNextKeypairUntilFirstTransportMessage() {
        Pair p = new Pair();
        p.drop = d -> d.type() == Protocol.MESSAGE_TRANSPORT;  // hold back the initiator's keepalive
        p.completeHandshake();
        assertNotNull(p.aPeer.current, "the initiator uses its keypair at once");
        assertNull(p.bPeer.current, "the responder waits for key confirmation");
        assertNotNull(p.bPeer.next);
        p.drop = d -> false;
        assertEquals(Result.Ok.SENT, p.sendAtoB(Pair.aToB(10)));
        assertNotNull(p.bPeer.current, "the first transport message confirms the key");
        assertNull(p.bPeer.next);
        assertEquals(1, p.deliveredToB.size());
    }

    @Test
    void rekeyKeepsPreviousKeypairForPacketsInFlight() {
        Pair p = new Pair();
        p.completeHandshake();
        Keypair first = p.aPeer.current;
        p.advance(121, TimeUnit.SECONDS);
        assertEquals(Result.Ok.SENT, p.sendAtoB(Pair.aToB(10)));
        assertNotSame(first, p.aPeer.current, "sending on a key older than REKEY_AFTER_TIME starts a new handshake");
        assertSame(first, p.aPeer.previous);
    }
}
