package dev.veil.core;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Hostile datagrams: random bytes of random lengths, random bytes behind a valid header, and single-bit and
 * single-byte mutations of real captured messages of all four types (a cookie-less and a cookie-carrying initiation,
 * a cookie reply, a response, a keepalive and data both ways). Fed to the node they were meant for (or to either,
 * for random bytes), each is dropped for the reason the size check gives or, when the framing is valid, for any
 * reason but the catch-all MALFORMED; the drop is counted and nothing is sent or delivered. The nodes are not under
 * load here, so no cookie reply may go out.
 */
class MalformedInputProperties {
    /** One pair after a full exchange, shared by every try: a dropped input changes no state worth resetting. */
    private static final Pair P = Pair.afterFullExchange(7);
    /** Every datagram of that exchange, in the order sent. */
    private static final List<Pair.Datagram> CAPTURED = List.copyOf(P.sent);

    @Property
    void randomBytesAreDroppedSilently(@ForAll @Size(max = 300) byte[] bytes, @ForAll boolean toA) {
        assertDroppedSilently(bytes, toA ? P.a : P.b);
    }

    @Property
    void randomBytesBehindAValidHeaderAreDroppedSilently(@ForAll @IntRange(min = 1, max = 4) int type,
                                                         @ForAll @Size(min = 4, max = 300) byte[] bytes,
                                                         @ForAll boolean exactSize, @ForAll boolean toA) {
        if (exactSize && type != Protocol.MESSAGE_TRANSPORT) {
            int size = type == 1 ? Protocol.INITIATION_SIZE : type == 2 ? Protocol.RESPONSE_SIZE : Protocol.COOKIE_REPLY_SIZE;
            bytes = java.util.Arrays.copyOf(bytes, size);
        }
        Messages.header(bytes, 0, type);
        assertDroppedSilently(bytes, toA ? P.a : P.b);
    }

    @Property
    void capturedMessagesWithOneBitFlippedAreDroppedSilently(@ForAll @IntRange(max = 1000) int which,
                                                             @ForAll @IntRange(max = 100_000) int position,
                                                             @ForAll @IntRange(max = 7) int bit) {
        Pair.Datagram d = CAPTURED.get(which % CAPTURED.size());
        byte[] b = d.data().clone();
        b[position % b.length] ^= (byte) (1 << bit);
        assertDroppedSilently(b, receiverOf(d));
    }

    @Property
    void capturedMessagesWithOneByteReplacedAreDroppedSilently(@ForAll @IntRange(max = 1000) int which,
                                                               @ForAll @IntRange(max = 100_000) int position,
                                                               @ForAll @IntRange(min = 1, max = 255) int xor) {
        Pair.Datagram d = CAPTURED.get(which % CAPTURED.size());
        byte[] b = d.data().clone();
        b[position % b.length] ^= (byte) xor;  // any other value than the original
        assertDroppedSilently(b, receiverOf(d));
    }

    @Property(tries = 50)
    void capturedMessagesReplayedAsTheyWereAreDroppedSilently(@ForAll @IntRange(max = 1000) int which) {
        Pair.Datagram d = CAPTURED.get(which % CAPTURED.size());
        assertDroppedSilently(d.data().clone(), receiverOf(d));
    }

    private static Node receiverOf(Pair.Datagram d) {
        return d.to().equals(P.aEndpoint) ? P.a : P.b;
    }

    private static void assertDroppedSilently(byte[] b, Node n) {
        P.assertDroppedSilently(n, b);
    }
}
