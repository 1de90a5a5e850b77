package dev.veil.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.audit.AuditLog;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The audit log ({@link AuditLog}) fed by two real nodes on a fake clock: one line per authentication event,
 * rejections aggregated per window, valid JSON, and no key material but public keys. Lives in the core's test
 * package to drive {@link Pair}.
 */
class AuditLogTest {
    private static final long WINDOW = AuditLog.DEFAULT_WINDOW_NANOS;
    private static final byte[] PSK = new byte[32];

    static {
        for (int i = 0; i < PSK.length; i++) PSK[i] = (byte) (0xa0 + i);
    }

    private final Pair p = new Pair(7, PSK);
    private final StringBuilder aLog = new StringBuilder();
    private final StringBuilder bLog = new StringBuilder();
    private final AuditLog a = new AuditLog(aLog, p.clock);
    private final AuditLog b = new AuditLog(bLog, p.clock);

    AuditLogTest() {
        p.a.setEvents(a);
        p.b.setEvents(b);
    }

    @Test
    void completedHandshakeIsOneLineWithPeerEndpointRoleAndTime() {
        p.completeHandshake();
        List<Map<String, Object>> aLines = parse(aLog);
        List<Map<String, Object>> bLines = parse(bLog);
        assertEquals(1, aLines.size(), aLog.toString());
        assertEquals(1, bLines.size(), bLog.toString());
        Map<String, Object> atA = aLines.getFirst();
        assertEquals("handshake_completed", atA.get("event"));
        assertEquals(Base64.getEncoder().encodeToString(p.b.publicKey()), atA.get("peer"));
        assertEquals("192.0.2.2:51820", atA.get("endpoint"));
        assertEquals("initiator", atA.get("role"));
        assertEquals("2023-11-14T22:13:20Z", atA.get("time"), "RFC 3339 from the fake wall clock");
        Map<String, Object> atB = bLines.getFirst();
        assertEquals(Base64.getEncoder().encodeToString(p.a.publicKey()), atB.get("peer"));
        assertEquals("192.0.2.1:51820", atB.get("endpoint"));
        assertEquals("responder", atB.get("role"));
        assertNoSecrets();
    }

    @Test
    void tenThousandBadMac1FromFiveHundredSourcesAreOneLine() {
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        byte[] bad = p.take().data();
        bad[bad.length - 20] ^= 1;  // inside mac1
        for (int i = 0; i < 10_000; i++) {
            int s = i % 500;
            byte[] address = {(byte) 198, 51, (byte) (100 + s / 250), (byte) (s % 250)};
            Endpoint from = new Endpoint(address, 40_000 + i);
            assertEquals(Result.Dropped.BAD_MAC1, p.inject(p.b, bad, from));
        }
        b.flush(p.clock.nanoTime());
        assertEquals("", bLog.toString(), "nothing before the window ends");
        p.clock.advanceNanos(WINDOW);
        b.flush(p.clock.nanoTime());
        List<Map<String, Object>> lines = parse(bLog);
        assertEquals(1, lines.size(), bLog.toString());
        Map<String, Object> l = lines.getFirst();
        assertEquals("handshake_rejected", l.get("event"));
        assertEquals("bad_mac1", l.get("reason"));
        assertEquals(10_000L, l.get("count"));
        assertEquals(500L, l.get("sources"));
        assertEquals(AuditLog.DEFAULT_MAX_LISTED, ((List<?>) l.get("sources_listed")).size());
        assertEquals("198.51.100.0", ((List<?>) l.get("sources_listed")).getFirst());
        assertEquals("2023-11-14T22:13:20Z", l.get("since"));
        b.flush(p.clock.nanoTime() + 10 * WINDOW);
        assertEquals(1, parse(bLog).size(), "a window is written once");
    }

    @Test
    void unknownPeerAndCookieReasonsAreSeparateLines() {
        byte[] init = p.initiationFromStranger();  // a valid initiation for B, from a key B does not know
        assertEquals(Result.Dropped.UNKNOWN_PEER, p.inject(p.b, init, p.aEndpoint));
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);  // under load: mac2 needed
        assertEquals(Result.Ok.COOKIE_SENT, p.inject(p.b, init, p.aEndpoint));
        b.close();
        List<Map<String, Object>> lines = parse(bLog);
        assertEquals(List.of("cookie_sent", "unknown_peer"), lines.stream().map(l -> l.get("reason")).toList());
        for (Map<String, Object> l : lines) assertEquals(1L, l.get("count"));
        assertNoSecrets();
    }

    @Test
    void droppedTransportMessagesAreNotHandshakeRejections() {
        byte[] transport = new byte[Protocol.TRANSPORT_MIN_SIZE];
        transport[0] = Protocol.MESSAGE_TRANSPORT;
        assertEquals(Result.Dropped.UNKNOWN_INDEX, p.inject(p.b, transport, p.aEndpoint));
        b.close();
        assertEquals("", bLog.toString());
    }

    @Test
    void endpointChangeIsLogged() {
        p.completeHandshake();
        p.aEndpoint = new Endpoint(new byte[] {(byte) 203, 0, 113, 9}, 4500);
        p.sendAtoB(Pair.aToB(40));
        Map<String, Object> l = parse(bLog).getLast();
        assertEquals("endpoint_changed", l.get("event"));
        assertEquals("192.0.2.1:51820", l.get("from"));
        assertEquals("203.0.113.9:4500", l.get("to"));
        assertEquals(Base64.getEncoder().encodeToString(p.a.publicKey()), l.get("peer"));
    }

    @Test
    void keysZeroedAfterThreeRejectAfterTimes() {
        p.sendAtoB(Pair.aToB(40));
        p.advance(530, TimeUnit.SECONDS);
        assertFalse(aLog.toString().contains("keys_zeroed"));
        p.advance(11, TimeUnit.SECONDS);
        Map<String, Object> l = parse(aLog).getLast();
        assertEquals("keys_zeroed", l.get("event"));
        assertEquals("expiry", l.get("reason"));
        assertEquals(Base64.getEncoder().encodeToString(p.b.publicKey()), l.get("peer"));
        assertNoSecrets();
    }

    @Test
    void rejectionWithoutSourceIsCountedWithNoSources() {
        StringBuilder b = new StringBuilder();
        try (AuditLog log = new AuditLog(b, p.clock)) {
            log.handshakeRejected(Result.Dropped.FLOOD, null, p.clock.nanoTime());
        }
        Map<String, Object> l = parse(b).getFirst();
        assertEquals("flood", l.get("reason"));
        assertEquals(0L, l.get("sources"));
    }

    private void assertNoSecrets() {
        String all = aLog + "\n" + bLog;
        for (byte[] secret : List.of(p.aPrivate, p.bPrivate, PSK)) {
            assertFalse(all.contains(Base64.getEncoder().encodeToString(secret)), "base64 of a secret key");
            assertFalse(all.toLowerCase().contains(HexFormat.of().formatHex(secret)), "hex of a secret key");
        }
    }

    // ---- a tiny JSON reader: one flat object per line; strings, integers, booleans, null, arrays of strings ------

    static List<Map<String, Object>> parse(CharSequence log) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : log.toString().split("\n")) {
            if (line.isEmpty()) continue;
            Reader r = new Reader(line);
            out.add(r.object());
            assertEquals(line.length(), r.i, "trailing text in " + line);
        }
        return out;
    }

    private static final class Reader {
        final String s;
        int i;

        Reader(String s) { this.s = s; }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            do {
                String k = string();
                expect(':');
                assertTrue(m.put(k, value()) == null, "duplicate key " + k);
            } while (s.charAt(i) == ',' && ++i > 0);
            expect('}');
            return m;
        }

        Object value() {
            char c = s.charAt(i);
            if (c == '"') return string();
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                if (s.charAt(i) == ']') { i++; return l; }
                do l.add(value()); while (s.charAt(i) == ',' && ++i > 0);
                expect(']');
                return l;
            }
            for (String lit : List.of("true", "false", "null")) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) i++;
            return Long.parseLong(s.substring(start, i));
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            for (char c; (c = s.charAt(i++)) != '"'; ) {
                assertTrue(c >= 0x20, "raw control character");
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);
                }
            }
            return b.toString();
        }

        void expect(char c) {
            assertEquals(c, s.charAt(i), "at " + i + " in " + s);
            i++;
        }
    }
}
