package dev.veil.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import dev.veil.buffer.HeapSlices;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Aead} backed by libsodium ({@code libsodium.so.23}, else {@code libsodium.so}) through the FFM API:
 * {@code crypto_aead_chacha20poly1305_ietf_encrypt} and {@code _decrypt}, one downcall per packet with the key and
 * nonce as arguments, so there is no per-thread cipher context to re-key (OpenSSL's EVP needs four to five calls a
 * packet). libsodium checks the tag before it decrypts and zeroes the output when the tag is wrong. Present only
 * when the library loads, {@code sodium_init} succeeds and every symbol is there; {@link #instance()} says whether
 * it is, {@link #unavailableReason()} why not. Loading never throws. No C code, no JNI.
 *
 * <p>Thread-safe: buffers, key and nonce are Java arrays passed to critical downcalls as heap segments, so nothing
 * is copied; each thread keeps those segments ({@link HeapSlices}), so nothing is allocated per packet either.
 */
public final class SodiumChaCha20Poly1305 implements RawNonceAead {
    private static final SodiumChaCha20Poly1305 INSTANCE = new SodiumChaCha20Poly1305();
    private static final int NONCE_LEN = 12;
    private static final ThreadLocal<HeapSlices> SLICES = ThreadLocal.withInitial(HeapSlices::new);

    private SodiumChaCha20Poly1305() {}

    /** The backend, when libsodium and all its symbols loaded and it initialised. */
    public static Optional<Aead> instance() {
        return Lib.REASON == null ? Optional.of(INSTANCE) : Optional.empty();
    }

    /** Why {@link #instance()} is empty, or null when it is not. */
    public static String unavailableReason() {
        return Lib.REASON;
    }

    /** libsodium's version string, such as "1.0.18", or null when unavailable. */
    static String version() {
        return Lib.VERSION;
    }

    @Override
    public String name() {
        return "libsodium";
    }

    @Override
    public int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        // Every range is checked before libsodium touches it.
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, len + TAG_LEN, dst.length);
        HeapSlices slices = SLICES.get();
        MemorySegment in = slices.at(src, srcOff);
        MemorySegment out = slices.at(dst, dstOff);
        int r;
        try {
            r = (int) Lib.ENCRYPT.invokeExact(out, MemorySegment.NULL, in, (long) len, ad(aad), adLen(aad),
                MemorySegment.NULL, nonceSegment(slices, nonce), keySegment(slices, key));
        } catch (Throwable t) {
            throw failure("seal", t);
        }
        if (r != 0) throw new IllegalStateException("crypto_aead_chacha20poly1305_ietf_encrypt failed");
        return len + TAG_LEN;
    }

    @Override
    public int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        if (len < TAG_LEN) return -1;
        int n = len - TAG_LEN;
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        HeapSlices slices = SLICES.get();
        MemorySegment in = slices.at(src, srcOff);
        MemorySegment out = slices.at(dst, dstOff);
        int r;
        try {
            r = (int) Lib.DECRYPT.invokeExact(out, MemorySegment.NULL, MemorySegment.NULL, in, (long) len, ad(aad),
                adLen(aad), nonceSegment(slices, nonce), keySegment(slices, key));
        } catch (Throwable t) {
            throw failure("open", t);
        }
        if (r == 0) return n;
        // libsodium does not decrypt what fails the tag and zeroes the output; make sure of it all the same.
        Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
        return -1;
    }

    private static MemorySegment keySegment(HeapSlices slices, byte[] key) {
        Objects.checkFromIndexSize(0, KEY_LEN, key.length);
        return slices.at(key, 0);
    }

    private static MemorySegment nonceSegment(HeapSlices slices, byte[] nonce) {
        Objects.checkFromIndexSize(0, NONCE_LEN, nonce.length);
        return slices.at(nonce, 0);
    }

    private static MemorySegment ad(byte[] aad) {
        return aad == null || aad.length == 0 ? MemorySegment.NULL : MemorySegment.ofArray(aad);
    }

    private static long adLen(byte[] aad) {
        return aad == null ? 0 : aad.length;
    }

    private static RuntimeException failure(String op, Throwable t) {
        if (t instanceof IndexOutOfBoundsException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("libsodium ChaCha20-Poly1305 " + op + " failed", t);
    }

    /** The libsodium bindings; every field is null and {@link #REASON} says why when loading failed. */
    private static final class Lib {
        static final MethodHandle ENCRYPT, DECRYPT;
        static final String VERSION, REASON;

        static {
            MethodHandle encrypt = null, decrypt = null;
            String version = null, reason = null;
            try {
                Linker linker = Linker.nativeLinker();
                NativeLibrary lib = NativeLibrary.load("libsodium.so.23", "libsodium.so");
                MethodHandle init = linker.downcallHandle(lib.find("sodium_init"), FunctionDescriptor.of(JAVA_INT));
                // 0: initialised now, 1: already; either way the CPU-specific implementations are chosen.
                if ((int) init.invokeExact() < 0) throw new IllegalStateException("sodium_init failed");
                Linker.Option critical = Linker.Option.critical(true);
                // (c, clen_p, m, mlen, ad, adlen, nsec, npub, k)
                encrypt = linker.downcallHandle(lib.find("crypto_aead_chacha20poly1305_ietf_encrypt"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS,
                        ADDRESS, ADDRESS), critical);
                // (m, mlen_p, nsec, c, clen, ad, adlen, npub, k)
                decrypt = linker.downcallHandle(lib.find("crypto_aead_chacha20poly1305_ietf_decrypt"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                        ADDRESS, ADDRESS), critical);
                MethodHandle versionOf = linker.downcallHandle(lib.find("sodium_version_string"),
                    FunctionDescriptor.of(ADDRESS));
                version = ((MemorySegment) versionOf.invokeExact()).reinterpret(64).getString(0);
            } catch (Throwable t) {
                reason = t.getMessage() != null ? t.getMessage() : t.toString();
            }
            boolean ok = reason == null;
            ENCRYPT = ok ? encrypt : null;
            DECRYPT = ok ? decrypt : null;
            VERSION = ok ? version : null;
            REASON = reason;
        }

        private Lib() {}
    }
}
