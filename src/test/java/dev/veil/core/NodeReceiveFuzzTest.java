package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.fuzz.FuzzInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of {@link Node#receive}: hostile datagrams to nodes with a configured peer. The first
 * byte picks how the rest is read:
 *
 * <ol start="0">
 *   <li>raw: a datagram of any bytes, to A or B of a pair with a session;
 *   <li>shaped: a message of one of the four types at its exact size, with a known receiver index on request and a
 *       valid mac1 for the receiver, so that the checks behind mac1 run (a response goes to a node that waits for
 *       one);
 *   <li>mutated: a datagram captured from a real exchange (all four types), with bytes changed, cut or appended and
 *       mac1 optionally recomputed;
 *   <li>under load: a shaped handshake message to a node under load.
 * </ol>
 *
 * Invariant: no exception, nothing delivered, no reply (under load, a valid mac1 may get exactly one cookie reply
 * and nothing else), the drop is counted once, and a well-framed datagram is never dropped as MALFORMED (the
 * catch-all that hides an exception inside the core). Inputs live in {@code NodeReceiveFuzzTestInputs/receive}.
 */
class NodeReceiveFuzzTest {
    /** A pair after an exchange of every message type; it accepts nothing more, so it is shared by every input. */
    private static final Pair P = Pair.afterFullExchange(7);
    private static final List<Pair.Datagram> CAPTURED = List.copyOf(P.sent);
    /** A pair whose A sent an initiation that never arrived: A waits for a response. */
    private static final Pair Q = new Pair(11, null);
    private static final int Q_PENDING_INDEX;
    /** A pair whose B is under load for good: the fake clock never moves. */
    private static final Pair L = new Pair(13, null);

    static {
        Q.a.initiateHandshake(Q.aPeer, Q.out(Q.a));
        Q_PENDING_INDEX = Messages.u32(Q.take().data(), Messages.INIT_SENDER);
        L.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
    }

    @FuzzTest
    @DictionaryEntries({"\\x01\\x00\\x00\\x00", "\\x02\\x00\\x00\\x00", "\\x03\\x00\\x00\\x00",
        "\\x04\\x00\\x00\\x00"})
    void receive(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        switch (in.u8() % 4) {
            case 0 -> {
                Node to = in.bool() ? P.a : P.b;
                P.assertDroppedSilently(to, in.rest());
            }
            case 1 -> shaped(in);
            case 2 -> mutated(in);
            default -> underLoad(in);
        }
    }

    private static void shaped(FuzzInput in) {
        int type = 1 + in.u8() % 4;
        int choice = in.u8();
        boolean knownIndex = (choice & 1) != 0;
        boolean second = (choice & 2) != 0;
        byte[] body = in.rest();
        byte[] m = Arrays.copyOf(body, switch (type) {
            case 1 -> Protocol.INITIATION_SIZE;
            case 2 -> Protocol.RESPONSE_SIZE;
            case 3 -> Protocol.COOKIE_REPLY_SIZE;
            default -> Math.max(Protocol.TRANSPORT_MIN_SIZE, body.length);
        });
        Messages.header(m, 0, type);
        Pair pair = P;
        Node to;
        switch (type) {
            case 1 -> to = second ? P.a : P.b;
            case 2 -> {
                pair = Q;
                to = Q.a;
                if (knownIndex) Messages.putU32(m, Messages.RESP_RECEIVER, Q_PENDING_INDEX);
            }
            case 3 -> {
                pair = second ? Q : P;
                to = pair.a;
                int index = second ? Q_PENDING_INDEX : sessionIndex(P.a);
                if (knownIndex) Messages.putU32(m, Messages.COOKIE_RECEIVER, index);
            }
            default -> {
                to = second ? P.a : P.b;
                if (knownIndex) Messages.putU32(m, Messages.DATA_RECEIVER, sessionIndex(to));
            }
        }
        if (type <= 2) Pair.writeMac1(m, to.publicKey());
        pair.assertDroppedSilently(to, m);
    }

    private static void mutated(FuzzInput in) {
        Pair.Datagram d = CAPTURED.get(in.u8() % CAPTURED.size());
        int ops = in.u8();
        byte[] m = d.data().clone();
        for (int i = 0; i < (ops & 7); i++) {
            int at = in.u16() % m.length;
            m[at] ^= (byte) in.u8();
        }
        int resize = in.u8();
        if ((ops & 8) != 0 && resize > 0) {
            m = (ops & 16) != 0 ? Arrays.copyOf(m, Math.max(0, m.length - resize))
                : concat(m, in.bytes(resize));
        }
        Node to = d.to().equals(P.aEndpoint) ? P.a : P.b;
        int type = Messages.check(m, 0, m.length);
        if ((ops & 32) != 0 && (type == Protocol.MESSAGE_INITIATION || type == Protocol.MESSAGE_RESPONSE)) {
            Pair.writeMac1(m, to.publicKey());
        }
        P.assertDroppedSilently(to, m);
    }

    private static void underLoad(FuzzInput in) {
        boolean initiation = in.bool();
        boolean mac1 = in.bool();
        byte[] m = Arrays.copyOf(in.rest(), initiation ? Protocol.INITIATION_SIZE : Protocol.RESPONSE_SIZE);
        Messages.header(m, 0, initiation ? Protocol.MESSAGE_INITIATION : Protocol.MESSAGE_RESPONSE);
        if (mac1) Pair.writeMac1(m, L.b.publicKey());
        int sent = L.sent.size();
        Result r = assertDoesNotThrow(() -> L.inject(L.b, m, L.aEndpoint));
        if (r == Result.Ok.COOKIE_SENT) {
            assertEquals(sent + 1, L.sent.size(), "one cookie reply");
            Pair.Datagram reply = L.inFlight.pollFirst();
            assertEquals(Protocol.MESSAGE_COOKIE_REPLY, reply.type());
            assertEquals(Protocol.COOKIE_REPLY_SIZE, reply.data().length);
            assertEquals(L.aEndpoint, reply.to(), "the reply goes to the source");
        } else {
            assertInstanceOf(Result.Dropped.class, r);
            assertNotEquals(Result.Dropped.MALFORMED, r, "a well-framed datagram must not reach the catch-all");
            assertEquals(sent, L.sent.size(), "nothing sent in reply");
        }
        assertTrue(L.inFlight.isEmpty() && L.deliveredToA.isEmpty() && L.deliveredToB.isEmpty());
    }

    /** The receiver index that a transport message to {@code n} carries in the captured exchange. */
    private static int sessionIndex(Node n) {
        for (Pair.Datagram d : CAPTURED) {
            if (d.type() == Protocol.MESSAGE_TRANSPORT && d.sender() != n) {
                return Messages.u32(d.data(), Messages.DATA_RECEIVER);
            }
        }
        throw new AssertionError("no transport message to " + n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Valid inputs for each mode, written to the corpus by {@link dev.veil.fuzz.WriteSeeds}. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("seed-raw-random", new FuzzInput.Builder().u8(0).u8(1).bytes(new byte[] {9, 8, 7, 6, 5, 4}).build());
        for (int type = 1; type <= 4; type++) {
            s.put("seed-shaped-type" + type, new FuzzInput.Builder().u8(1).u8(type - 1).u8(1)
                .bytes(new byte[type == 4 ? 48 : 16]).build());
        }
        for (int i = 0; i < CAPTURED.size(); i++) {
            s.put("seed-captured-" + i + "-type" + CAPTURED.get(i).type(),
                new FuzzInput.Builder().u8(2).u8(i).u8(0).u8(0).build());
        }
        s.put("seed-under-load-initiation", new FuzzInput.Builder().u8(3).u8(1).u8(1).bytes(new byte[20]).build());
        return s;
    }
}
