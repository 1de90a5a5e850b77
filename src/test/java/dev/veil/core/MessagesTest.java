package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The size and header checks every datagram passes first: exact sizes for the three handshake messages, a minimum
 * for transport messages, non-zero reserved bytes and unknown types; through {@link Messages#check} and through
 * {@link Node#receive}, which drops such datagrams without a reply and counts them.
 */
class MessagesTest {
    /** A datagram of the given type and length; the rest is zeros. */
    private static byte[] datagram(int type, int len) {
        byte[] b = new byte[len];
        if (len > 0) b[0] = (byte) type;
        return b;
    }

    @ParameterizedTest
    @CsvSource({"1, 148", "2, 92", "3, 64", "4, 32", "4, 33", "4, 1500", "4, 65535"})
    void validSizesPassTheCheck(int type, int len) {
        assertEquals(type, Messages.check(datagram(type, len), 0, len));
    }

    @ParameterizedTest
    @CsvSource({"1, 147", "1, 149", "2, 91", "2, 93", "3, 63", "3, 65", "4, 31", "4, 16", "4, 4",
        "1, 0", "1, 3", "1, 92", "2, 148", "3, 32"})
    void wrongSizesAreMalformed(int type, int len) {
        assertEquals(Result.Dropped.MALFORMED, checked(datagram(type, len), len));
        Pair p = new Pair();
        assertDroppedSilently(p, datagram(type, len), Result.Dropped.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 6, 0x7f, 0x80, 0xff})
    void unknownTypesAreDropped(int type) {
        byte[] b = datagram(type, 148);
        assertEquals(Result.Dropped.UNKNOWN_TYPE, checked(b, b.length));
        assertDroppedSilently(new Pair(), b, Result.Dropped.UNKNOWN_TYPE);
    }

    @ParameterizedTest
    @CsvSource({"1, 148, 1", "1, 148, 2", "1, 148, 3", "2, 92, 1", "3, 64, 2", "4, 32, 3", "4, 100, 1"})
    void nonZeroReservedBytesAreAnUnknownType(int type, int len, int reserved) {
        byte[] b = datagram(type, len);
        b[reserved] = 1;
        assertEquals(Result.Dropped.UNKNOWN_TYPE, checked(b, len));
        assertDroppedSilently(new Pair(), b, Result.Dropped.UNKNOWN_TYPE);
    }

    @Test
    void checkHonoursTheOffset() {
        byte[] b = new byte[10 + 92 + 5];
        b[10] = 2;
        assertEquals(2, Messages.check(b, 10, 92));
        assertEquals(Result.Dropped.MALFORMED, Messages.dropReason(Messages.check(b, 10, 91)));
        assertEquals(Result.Dropped.UNKNOWN_TYPE, Messages.dropReason(Messages.check(b, 0, 92)), "type 0 at offset 0");
    }

    @Test
    void wellSizedGarbageIsDroppedForItsContent() {
        Pair p = new Pair();
        assertDroppedSilently(p, datagram(1, 148), Result.Dropped.BAD_MAC1);
        assertDroppedSilently(p, datagram(2, 92), Result.Dropped.BAD_MAC1);
        assertDroppedSilently(p, datagram(3, 64), Result.Dropped.UNKNOWN_INDEX);
        assertDroppedSilently(p, datagram(4, 32), Result.Dropped.UNKNOWN_INDEX);
    }

    @Test
    void everyMessageTypeIsReadAtAnOffsetInsideALargerBuffer() {
        Pair p = new Pair();
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);  // so that a cookie reply and mac2 take part
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        List<Result> results = new ArrayList<>();
        for (int step = 0; step < 2; step++) {
            if (step == 1) {
                p.clock.advance(Protocol.REKEY_TIMEOUT, java.util.concurrent.TimeUnit.NANOSECONDS);
                p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
                p.a.initiateHandshake(p.aPeer, p.out(p.a));
            }
            while (!p.inFlight.isEmpty()) results.add(receiveAtOffset(p, p.inFlight.pollFirst(), 13));
        }
        assertEquals(Result.Ok.SENT, p.a.send(Pair.aToB(33), 0, 53, p.out(p.a)));
        assertEquals(Result.Ok.SENT, p.b.send(Pair.bToA(1), 0, 21, p.out(p.b)));
        while (!p.inFlight.isEmpty()) results.add(receiveAtOffset(p, p.inFlight.pollFirst(), 101));
        assertEquals(List.of(Result.Ok.COOKIE_SENT, Result.Ok.COOKIE_REPLY, Result.Ok.INITIATION, Result.Ok.RESPONSE,
            Result.Ok.KEEPALIVE, Result.Ok.DATA, Result.Ok.DATA), results);
        assertArrayEquals(Pair.aToB(33), p.deliveredToB.get(0));
        assertArrayEquals(Pair.bToA(1), p.deliveredToA.get(0));
    }

    /** Hands a datagram to its receiver from inside a larger buffer, with junk before and after it. */
    private static Result receiveAtOffset(Pair p, Pair.Datagram d, int off) {
        byte[] buf = new byte[off + d.data().length + 9];
        java.util.Arrays.fill(buf, (byte) 0xa5);
        System.arraycopy(d.data(), 0, buf, off, d.data().length);
        Node to = d.to().equals(p.aEndpoint) ? p.a : p.b;
        return to.receive(buf, off, d.data().length, d.from(), p.out(to));
    }

    @Test
    void littleEndianFieldsRoundTrip() {
        byte[] b = new byte[12];
        Messages.putU32(b, 0, 0x89abcdef);
        assertArrayEquals(new byte[] {(byte) 0xef, (byte) 0xcd, (byte) 0xab, (byte) 0x89}, java.util.Arrays.copyOf(b, 4));
        assertEquals(0x89abcdef, Messages.u32(b, 0));
        Messages.putU64(b, 4, 0x0102030405060708L);
        assertEquals(8, b[4]);
        assertEquals(1, b[11]);
        assertEquals(0x0102030405060708L, Messages.u64(b, 4));
    }

    private static Result.Dropped checked(byte[] b, int len) {
        int c = Messages.check(b, 0, len);
        assertTrue(c < 0, "check must reject it, got type " + c);
        return Messages.dropReason(c);
    }

    /** Feeds b to both nodes; each drops it for the reason, counts it, and sends and delivers nothing. */
    static void assertDroppedSilently(Pair p, byte[] b, Result.Dropped reason) {
        for (Node n : new Node[] {p.a, p.b}) {
            long before = n.count(reason);
            int sent = p.sent.size();
            Endpoint from = n == p.a ? p.bEndpoint : p.aEndpoint;
            assertEquals(reason, n.receive(b, 0, b.length, from, p.out(n)));
            assertEquals(before + 1, n.count(reason), "counted");
            assertEquals(sent, p.sent.size(), "nothing sent in reply");
            assertTrue(p.deliveredToA.isEmpty() && p.deliveredToB.isEmpty(), "nothing delivered");
        }
    }
}
