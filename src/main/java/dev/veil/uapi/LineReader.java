package dev.veil.uapi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a UAPI connection's input into lines ending in '\n'. Owns its read buffer and its line buffer, and
 * {@link #wipe} zeroes both, because set lines carry private keys. Not thread-safe: one connection, one thread.
 */
final class LineReader {
    /** How {@link #next} ended. */
    enum Status {
        /** A line ended by '\n'. */
        LINE,
        /** A line ended by the end of the input. */
        LAST_LINE,
        /** The input ended before any byte of a line. */
        END,
        /** The line is longer than the limit; its rest is still unread. */
        TOO_LONG
    }

    private final InputStream in;
    private final byte[] buf = new byte[4096];
    private int pos;
    private int limit;
    private final byte[] line;
    private int length;

    LineReader(InputStream in, int maxLine) {
        this.in = in;
        this.line = new byte[maxLine];
    }

    /** Reads the next line, without its '\n', into {@link #line()}[0, {@link #length()}). */
    Status next() throws IOException {
        length = 0;
        while (true) {
            if (pos == limit && !fill()) return length == 0 ? Status.END : Status.LAST_LINE;
            byte b = buf[pos];
            if (b == '\n') {
                pos++;
                return Status.LINE;
            }
            if (length == line.length) return Status.TOO_LONG;
            line[length++] = b;
            pos++;
        }
    }

    /** The buffer of the last line; valid up to {@link #length()}. */
    byte[] line() { return line; }

    int length() { return length; }

    /** Drops one trailing '\r' from the last line, as Go's line scanner does. */
    void dropCarriageReturn() {
        if (length > 0 && line[length - 1] == '\r') length--;
    }

    /** True when the last line is exactly the given ASCII text. */
    boolean is(String text) {
        if (length != text.length()) return false;
        for (int i = 0; i < length; i++) if (line[i] != text.charAt(i)) return false;
        return true;
    }

    /** One byte, or -1 at the end of the input. */
    int read() throws IOException {
        if (pos == limit && !fill()) return -1;
        return buf[pos++] & 0xff;
    }

    /** Discards input up to and including the next blank line (empty, or a lone '\r'), or to the end. */
    void skipThroughBlankLine() throws IOException {
        int n = 0;
        boolean carriageReturn = false;
        for (int b; (b = read()) >= 0; ) {
            if (b == '\n') {
                if (n == 0 || (n == 1 && carriageReturn)) return;
                n = 0;
            } else {
                carriageReturn = n == 0 && b == '\r';
                n++;
            }
        }
    }

    /** Zeroes the last line. */
    void wipeLine() {
        Arrays.fill(line, 0, length, (byte) 0);
    }

    /** Zeroes every buffer. */
    void wipe() {
        Arrays.fill(buf, (byte) 0);
        Arrays.fill(line, (byte) 0);
    }

    private boolean fill() throws IOException {
        Arrays.fill(buf, 0, limit, (byte) 0);
        int n = in.read(buf, 0, buf.length);
        pos = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }
}
