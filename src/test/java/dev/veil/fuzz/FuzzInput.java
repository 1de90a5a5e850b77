package dev.veil.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * A fuzz input read from the front, one field at a time: the byte layout of every fuzz target in this project, so
 * that a seed file can be written by hand (or by {@link Builder}) and read in a hex dump. Past the end, every read
 * gives zeros and {@link #rest()} an empty array, so any input is a valid one. Not thread-safe.
 */
public final class FuzzInput {
    private final byte[] data;
    private int pos;

    public FuzzInput(byte[] data) {
        this.data = data;
    }

    public int u8() {
        return pos < data.length ? data[pos++] & 0xff : 0;
    }

    public int u16() {
        return u8() << 8 | u8();
    }

    public boolean bool() {
        return (u8() & 1) != 0;
    }

    /** The next {@code n} bytes, zero-padded past the end. */
    public byte[] bytes(int n) {
        byte[] b = Arrays.copyOfRange(data, Math.min(pos, data.length), Math.min(pos, data.length) + n);
        pos += n;
        return b;
    }

    /** A length-prefixed field: one byte of length (0 to 255), then that many bytes. */
    public byte[] chunk() {
        return bytes(u8());
    }

    public boolean hasMore() {
        return pos < data.length;
    }

    /** Everything not read yet. */
    public byte[] rest() {
        byte[] b = pos < data.length ? Arrays.copyOfRange(data, pos, data.length) : new byte[0];
        pos = data.length;
        return b;
    }

    /** Writes inputs in the layout {@link FuzzInput} reads, for seed files and regression tests. */
    public static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Builder u8(int v) {
            out.write(v);
            return this;
        }

        public Builder u16(int v) {
            return u8(v >>> 8).u8(v);
        }

        public Builder bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        public Builder chunk(byte[] b) {
            if (b.length > 255) throw new IllegalArgumentException("a chunk holds at most 255 bytes");
            return u8(b.length).bytes(b);
        }

        public byte[] build() {
            return out.toByteArray();
        }
    }
}
