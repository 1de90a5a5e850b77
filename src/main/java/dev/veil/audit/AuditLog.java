package dev.veil.audit;

import dev.veil.core.Clock;
import dev.veil.core.Endpoint;
import dev.veil.core.NodeEvents;
import dev.veil.core.Peer;
import dev.veil.core.Result;
import dev.veil.routing.AddressText;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A structured audit log of authentication events, one JSON object per line: completed handshakes, endpoint changes,
 * zeroed session keys, abandoned handshakes, and rejected handshake messages. Rejections are aggregated: one line per
 * reason per window, with a count, the number of distinct source addresses and at most {@code maxListed} of them, so
 * a flood cannot flood the log. Lines carry public keys and endpoints, never other key material.
 *
 * <p>Lines ({@code time} is RFC 3339 UTC, from the clock's wall time):
 * <pre>
 * {"time":"…","event":"handshake_completed","peer":"BASE64","endpoint":"192.0.2.1:51820","role":"initiator"}
 * {"time":"…","event":"endpoint_changed","peer":"BASE64","from":"…","to":"…"}
 * {"time":"…","event":"keys_zeroed","peer":"BASE64","reason":"expiry"}
 * {"time":"…","event":"handshake_gave_up","peer":"BASE64"}
 * {"time":"…","event":"handshake_rejected","reason":"bad_mac1","since":"…","count":10000,"sources":500,
 *  "sources_listed":["192.0.2.7",…]}
 * </pre>
 * {@code sources} stops growing at {@link #MAX_TRACKED_SOURCES}; {@code "sources_capped":true} then says so.
 *
 * <p>Thread-safe. {@link #flush(long)} writes the rejection lines of a window once it has ended; call it
 * periodically (the daemon does, every second). {@link #close()} writes what is pending. A write error is reported
 * once on the error sink and further lines are dropped: the audit log never stops the tunnel.
 */
public final class AuditLog implements NodeEvents, AutoCloseable {
    /** The default aggregation window for rejected handshakes. */
    public static final long DEFAULT_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The default number of source addresses listed in one rejection line. */
    public static final int DEFAULT_MAX_LISTED = 10;
    /** Distinct sources remembered per reason and window (about 1 MB of heap); beyond it the count is a lower bound. */
    public static final int MAX_TRACKED_SOURCES = 16_384;

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

    private final Appendable out;
    private final Clock clock;
    private final long windowNanos;
    private final int maxListed;
    private final boolean ownsSink;
    /** Open windows by reason, in a stable order (Ok values first, then Dropped). */
    private final Map<Result, Window> windows = new TreeMap<>(Comparator.comparingInt(AuditLog::rank));
    private boolean failed;

    /** Rejections of one reason in the current window. */
    private static final class Window {
        final long startNanos;
        final long startEpochNanos;
        long count;
        boolean capped;
        final Set<Address> sources = new HashSet<>();
        final Address[] listed;
        int listedCount;

        Window(long startNanos, long startEpochNanos, int maxListed) {
            this.startNanos = startNanos;
            this.startEpochNanos = startEpochNanos;
            this.listed = new Address[maxListed];
        }
    }

    /** A source address compared by content. */
    private record Address(byte[] a) {
        @Override public boolean equals(Object o) { return o instanceof Address other && Arrays.equals(a, other.a); }
        @Override public int hashCode() { return Arrays.hashCode(a); }
    }

    private static int rank(Result r) {
        return r instanceof Result.Ok ok ? ok.ordinal() : Result.Ok.values().length + ((Result.Dropped) r).ordinal();
    }

    /** A log writing to {@code out}, which the caller keeps owning (close does not close it). */
    public AuditLog(Appendable out, Clock clock, long windowNanos, int maxListed) {
        this(out, clock, windowNanos, maxListed, false);
    }

    private AuditLog(Appendable out, Clock clock, long windowNanos, int maxListed, boolean ownsSink) {
        if (windowNanos <= 0) throw new IllegalArgumentException("window must be positive");
        if (maxListed < 0) throw new IllegalArgumentException("maxListed must not be negative");
        this.out = out;
        this.clock = clock;
        this.windowNanos = windowNanos;
        this.maxListed = maxListed;
        this.ownsSink = ownsSink;
    }

    public AuditLog(Appendable out, Clock clock) {
        this(out, clock, DEFAULT_WINDOW_NANOS, DEFAULT_MAX_LISTED);
    }

    /** A log appending to the file {@code target} (created if absent), or writing to stdout when it is "-". */
    public static AuditLog open(String target, Clock clock) throws IOException {
        if ("-".equals(target)) {
            return new AuditLog(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), clock,
                DEFAULT_WINDOW_NANOS, DEFAULT_MAX_LISTED, false);
        }
        Writer w = Files.newBufferedWriter(Path.of(target), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        return new AuditLog(w, clock, DEFAULT_WINDOW_NANOS, DEFAULT_MAX_LISTED, true);
    }

    // ---- events -------------------------------------------------------------------------------------------------

    @Override
    public void handshakeCompleted(Peer peer, boolean initiator, Endpoint endpoint) {
        StringBuilder b = line("handshake_completed");
        field(b, "peer", key(peer));
        field(b, "endpoint", endpoint == null ? null : endpoint.toString());
        field(b, "role", initiator ? "initiator" : "responder");
        write(b);
    }

    @Override
    public void endpointChanged(Peer peer, Endpoint from, Endpoint to) {
        StringBuilder b = line("endpoint_changed");
        field(b, "peer", key(peer));
        field(b, "from", from == null ? null : from.toString());
        field(b, "to", to == null ? null : to.toString());
        write(b);
    }

    @Override
    public void keysZeroed(Peer peer) {
        StringBuilder b = line("keys_zeroed");
        field(b, "peer", key(peer));
        field(b, "reason", "expiry");
        write(b);
    }

    @Override
    public void handshakeGaveUp(Peer peer) {
        StringBuilder b = line("handshake_gave_up");
        field(b, "peer", key(peer));
        write(b);
    }

    @Override
    public synchronized void handshakeRejected(Result reason, Endpoint from, long nanoTime) {
        Window w = windows.get(reason);
        if (w == null) {
            w = new Window(nanoTime, clock.epochNanos(), maxListed);
            windows.put(reason, w);
        }
        w.count++;
        if (from == null) return;
        if (w.sources.size() >= MAX_TRACKED_SOURCES) {
            w.capped |= !w.sources.contains(new Address(from.address()));
            return;
        }
        Address a = new Address(from.address());
        if (w.sources.add(a) && w.listedCount < w.listed.length) w.listed[w.listedCount++] = a;
    }

    // ---- flushing -----------------------------------------------------------------------------------------------

    /** Writes the rejection lines of every window that began at least one window length before {@code nanoTime}. */
    public synchronized void flush(long nanoTime) {
        var it = windows.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (nanoTime - e.getValue().startNanos >= windowNanos) {
                writeRejection(e.getKey(), e.getValue());
                it.remove();
            }
        }
    }

    /** Writes every pending rejection line, flushes the sink, and closes it if {@link #open} opened a file. */
    @Override
    public synchronized void close() {
        for (var e : windows.entrySet()) writeRejection(e.getKey(), e.getValue());
        windows.clear();
        try {
            if (out instanceof Flushable f) f.flush();
            if (ownsSink && out instanceof AutoCloseable c) c.close();
        } catch (Exception e) {
            fail(e);
        }
    }

    private void writeRejection(Result reason, Window w) {
        StringBuilder b = line("handshake_rejected");
        field(b, "reason", reasonName(reason));
        field(b, "since", rfc3339(w.startEpochNanos));
        b.append(",\"count\":").append(w.count);
        b.append(",\"sources\":").append(w.sources.size());
        if (w.capped) b.append(",\"sources_capped\":true");
        b.append(",\"sources_listed\":[");
        for (int i = 0; i < w.listedCount; i++) {
            if (i > 0) b.append(',');
            string(b, AddressText.format(w.listed[i].a()));
        }
        b.append(']');
        write(b);
    }

    /** The JSON name of a rejection reason: {@code BAD_MAC1} becomes {@code bad_mac1}. */
    static String reasonName(Result reason) {
        return ((Enum<?>) reason).name().toLowerCase(java.util.Locale.ROOT);
    }

    // ---- JSON -----------------------------------------------------------------------------------------------------

    private StringBuilder line(String event) {
        StringBuilder b = new StringBuilder(160).append('{');
        b.append("\"time\":");
        string(b, rfc3339(clock.epochNanos()));
        field(b, "event", event);
        return b;
    }

    private static String key(Peer peer) {
        return Base64.getEncoder().encodeToString(peer.publicKey());
    }

    static String rfc3339(long epochNanos) {
        long second = Math.floorDiv(epochNanos, 1_000_000_000L);
        Instant t = Instant.ofEpochSecond(second, Math.floorMod(epochNanos, 1_000_000_000L));
        return RFC3339.format(t.truncatedTo(ChronoUnit.MICROS));
    }

    private static void field(StringBuilder b, String name, String value) {
        b.append(',');
        string(b, name);
        b.append(':');
        if (value == null) b.append("null");
        else string(b, value);
    }

    /** Appends {@code s} as a JSON string, escaping quotes, backslashes and control characters. */
    static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    private synchronized void write(StringBuilder b) {
        if (failed) return;
        b.append("}\n");
        try {
            out.append(b);
            if (out instanceof Flushable f) f.flush();
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(Exception e) {
        if (failed) return;
        failed = true;
        System.err.println("veil: audit log write failed, audit logging stopped: " + e.getMessage());
    }
}
