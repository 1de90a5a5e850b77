package dev.veil.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.core.Clock;
import dev.veil.core.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's JSON text: string escaping, timestamps and reason names. */
class AuditLogJsonTest {
    private static String json(String s) {
        StringBuilder b = new StringBuilder();
        AuditLog.string(b, s);
        return b.toString();
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"a\\\"b\\\\c\"", json("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\u0000\\u001f\"", json("\n\r\t\u0000\u001f"));
        assertEquals("\"\\u2028\\u2029é\"", json("\u2028\u2029é"));
    }

    @Test
    void timestampsAreRfc3339InUtcToTheMicrosecond() {
        assertEquals("1970-01-01T00:00:00Z", AuditLog.rfc3339(0));
        assertEquals("2023-11-14T22:13:20.123456Z", AuditLog.rfc3339(1_700_000_000_123_456_789L));
        assertEquals("1969-12-31T23:59:59.999999Z", AuditLog.rfc3339(-1_000));
    }

    @Test
    void reasonsAreLowerCaseEnumNames() {
        assertEquals("stale_timestamp", AuditLog.reasonName(Result.Dropped.STALE_TIMESTAMP));
        assertEquals("cookie_sent", AuditLog.reasonName(Result.Ok.COOKIE_SENT));
    }

    @Test
    void aFileIsAppendedToAndPendingRejectionsAreWrittenOnClose(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"earlier\":true}\n");
        Clock clock = new Clock() {
            @Override public long nanoTime() { return 5; }
            @Override public long epochNanos() { return 0; }
        };
        try (AuditLog log = AuditLog.open(file.toString(), clock)) {
            log.handshakeRejected(Result.Dropped.RATE_LIMITED, null, 5);
            log.handshakeRejected(Result.Dropped.RATE_LIMITED, null, 6);
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("{\"time\":\"1970-01-01T00:00:00Z\",\"event\":\"handshake_rejected\",\"reason\":\"rate_limited\","
            + "\"since\":\"1970-01-01T00:00:00Z\",\"count\":2,\"sources\":0,\"sources_listed\":[]}", lines.get(1));
    }
}
