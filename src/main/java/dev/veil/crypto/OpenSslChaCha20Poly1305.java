package dev.veil.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.veil.buffer.HeapSlices;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Aead} backed by OpenSSL's libcrypto ({@code libcrypto.so.3}, else {@code libcrypto.so}) through the FFM
 * API: the EVP ChaCha20-Poly1305 cipher, no C code, no JNI. Present only when the library and every symbol load;
 * {@link #instance()} says whether it is, {@link #unavailableReason()} why not. Loading never throws.
 *
 * <p>Thread-safe: each thread owns one {@code EVP_CIPHER_CTX}, made on its first call, given a new nonce per packet
 * and a new key when the packet's key or direction differs from the last one; a {@link Cleaner} frees it (and wipes
 * the thread's copy of the last key) when the thread's state is collected. Packets are Java arrays passed to critical
 * downcalls as heap segments, so nothing is copied; each thread keeps those segments ({@link HeapSlices}), so nothing
 * is allocated per packet either. Each thread also owns native scratch for the key, the nonce, the tag and OpenSSL's
 * output length (the key and tag are copied there and back: 48 bytes).
 */
public final class OpenSslChaCha20Poly1305 implements Aead {
    private static final OpenSslChaCha20Poly1305 INSTANCE = new OpenSslChaCha20Poly1305();

    private static final int EVP_CTRL_AEAD_GET_TAG = 0x10, EVP_CTRL_AEAD_SET_TAG = 0x11;
    private static final ValueLayout.OfLong NONCE_COUNTER =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int OUT_LEN_AT = 12;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    /**
     * One thread's cipher context, the segments of the arrays it saw, and native scratch: nonce at [0, 12), output
     * length at [12, 16), tag at [16, 32), key at [32, 64).
     */
    private static final class State {
        final MemorySegment ctx = Lib.newContext();
        /**
         * Owns the scratch memory: freed by the GC after this state, so never while the state is in use (the
         * cleaner holds it until it has wiped the key).
         */
        private final MemorySegment owner = Arena.ofAuto().allocate(64, 8);
        /**
         * The same memory seen in the global scope: an automatic arena's segments are shared, and every downcall
         * that takes one atomically acquires and releases their session (about 5% of a daemon's samples in JFR);
         * this view is used only through this state, which keeps {@link #owner} reachable.
         */
        final MemorySegment scratch = MemorySegment.ofAddress(owner.address()).reinterpret(64);
        final MemorySegment nonce = scratch.asSlice(0, 12);
        final MemorySegment outLen = scratch.asSlice(OUT_LEN_AT, 4);
        final MemorySegment tag = scratch.asSlice(16, TAG_LEN);
        final MemorySegment key = scratch.asSlice(32, KEY_LEN);
        final HeapSlices slices = new HeapSlices();
        /** The context has been given the cipher. */
        boolean cipherSet;
        /** The context holds the key in {@link #key}, for direction {@link #lastEncrypt}. */
        boolean keySet;
        int lastEncrypt;

        State() {
            MemorySegment c = ctx, scratchOwner = owner;
            CLEANER.register(this, () -> {
                scratchOwner.fill((byte) 0);  // the last key
                Lib.freeContext(c);
            });
        }
    }

    private OpenSslChaCha20Poly1305() {}

    /** The backend, when libcrypto and all its symbols loaded. */
    public static Optional<Aead> instance() {
        return Lib.REASON == null ? Optional.of(INSTANCE) : Optional.empty();
    }

    /** Why {@link #instance()} is empty, or null when it is not. */
    public static String unavailableReason() {
        return Lib.REASON;
    }

    /** libcrypto's version string, such as "OpenSSL 3.0.19 27 Jan 2026", or null when unavailable. */
    static String version() {
        return Lib.VERSION;
    }

    @Override
    public String name() {
        return "openssl";
    }

    @Override
    public int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return seal(stateWithNonce(counter), key, src, srcOff, len, aad, dst, dstOff);
    }

    @Override
    public int open(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return open(stateWithNonce(counter), key, src, srcOff, len, aad, dst, dstOff);
    }

    /** The thread's state with WireGuard's nonce for counter in its scratch. */
    private static State stateWithNonce(long counter) {
        State s = STATE.get();
        s.nonce.set(JAVA_INT, 0, 0);
        s.nonce.set(NONCE_COUNTER, 4, counter);
        return s;
    }

    /** {@link #seal} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = STATE.get();
        MemorySegment.copy(MemorySegment.ofArray(nonce), 0, s.nonce, 0, 12);
        return seal(s, key, src, srcOff, len, aad, dst, dstOff);
    }

    /** {@link #open} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = STATE.get();
        MemorySegment.copy(MemorySegment.ofArray(nonce), 0, s.nonce, 0, 12);
        return open(s, key, src, srcOff, len, aad, dst, dstOff);
    }

    private static int seal(State s, byte[] key, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        // Every range is checked before OpenSSL touches it.
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, len + TAG_LEN, dst.length);
        MemorySegment in = s.slices.at(src, srcOff);
        MemorySegment out = s.slices.at(dst, dstOff);
        try {
            init(s, key, 1);
            addAad(s, aad);
            if (len > 0) check((int) Lib.UPDATE.invokeExact(s.ctx, out, s.outLen, in, len), "EVP_CipherUpdate");
            check((int) Lib.FINAL.invokeExact(s.ctx, s.scratch, s.outLen), "EVP_CipherFinal_ex");
            check((int) Lib.CTRL.invokeExact(s.ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, s.tag), "EVP_CTRL_AEAD_GET_TAG");
        } catch (Throwable t) {
            throw failure("seal", t);
        }
        MemorySegment.copy(s.tag, 0, out, len, TAG_LEN);  // segment to segment: no native call for the array's length
        return len + TAG_LEN;
    }

    private static int open(State s, byte[] key, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        if (len < TAG_LEN) return -1;
        int n = len - TAG_LEN;
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        MemorySegment in = s.slices.at(src, srcOff);
        MemorySegment out = s.slices.at(dst, dstOff);
        MemorySegment.copy(in, n, s.tag, 0, TAG_LEN);
        int authentic;
        try {
            init(s, key, 0);
            check((int) Lib.CTRL.invokeExact(s.ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, s.tag), "EVP_CTRL_AEAD_SET_TAG");
            addAad(s, aad);
            if (n > 0) check((int) Lib.UPDATE.invokeExact(s.ctx, out, s.outLen, in, n), "EVP_CipherUpdate");
            authentic = (int) Lib.FINAL.invokeExact(s.ctx, s.scratch, s.outLen);
        } catch (Throwable t) {
            throw failure("open", t);
        }
        if (authentic > 0) return n;
        // OpenSSL decrypts as it goes and checks the tag last: wipe the unauthenticated plaintext.
        Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
        return -1;
    }

    /**
     * Keys the thread's context for one packet. When the key and the direction are those of the thread's last packet
     * (a run of packets of one session, the common case), only the nonce is set: OpenSSL keeps the key schedule and
     * skips its parameter handling for the key, a few percent of a daemon's CPU under load.
     */
    private static void init(State s, byte[] key, int encrypt) throws Throwable {
        Objects.checkFromIndexSize(0, KEY_LEN, key.length);
        MemorySegment k = s.slices.at(key, 0);
        boolean sameKey = s.keySet && s.lastEncrypt == encrypt && MemorySegment.mismatch(s.key, 0, KEY_LEN, k, 0, KEY_LEN) < 0;
        if (sameKey) {
            check((int) Lib.INIT.invokeExact(s.ctx, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, s.nonce,
                encrypt), "EVP_CipherInit_ex");
            return;
        }
        s.keySet = false;  // until OpenSSL has taken the new key
        MemorySegment.copy(k, 0, s.key, 0, KEY_LEN);
        MemorySegment cipher = s.cipherSet ? MemorySegment.NULL : Lib.CIPHER;
        check((int) Lib.INIT.invokeExact(s.ctx, cipher, MemorySegment.NULL, s.key, s.nonce, encrypt), "EVP_CipherInit_ex");
        s.cipherSet = true;
        s.keySet = true;
        s.lastEncrypt = encrypt;
    }

    private static void addAad(State s, byte[] aad) throws Throwable {
        if (aad == null || aad.length == 0) return;
        check((int) Lib.UPDATE.invokeExact(s.ctx, MemorySegment.NULL, s.outLen, MemorySegment.ofArray(aad),
            aad.length), "EVP_CipherUpdate (AAD)");
    }

    private static void check(int result, String call) {
        if (result <= 0) throw new IllegalStateException(call + " failed");
    }

    private static RuntimeException failure(String op, Throwable t) {
        if (t instanceof IndexOutOfBoundsException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("OpenSSL ChaCha20-Poly1305 " + op + " failed", t);
    }

    /** The libcrypto bindings; every field is null and {@link #REASON} says why when loading failed. */
    private static final class Lib {
        static final MethodHandle INIT, UPDATE, FINAL, CTRL, CTX_NEW, CTX_FREE;
        static final MemorySegment CIPHER;
        static final String VERSION, REASON;

        static {
            MethodHandle init = null, update = null, fin = null, ctrl = null, ctxNew = null, ctxFree = null;
            MemorySegment cipher = null;
            String version = null, reason = null;
            try {
                Linker linker = Linker.nativeLinker();
                NativeLibrary lib = NativeLibrary.load("libcrypto.so.3", "libcrypto.so");
                Linker.Option critical = Linker.Option.critical(true);
                init = linker.downcallHandle(lib.find("EVP_CipherInit_ex"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical);
                update = linker.downcallHandle(lib.find("EVP_CipherUpdate"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical);
                fin = linker.downcallHandle(lib.find("EVP_CipherFinal_ex"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), critical);
                ctrl = linker.downcallHandle(lib.find("EVP_CIPHER_CTX_ctrl"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), critical);
                ctxNew = linker.downcallHandle(lib.find("EVP_CIPHER_CTX_new"), FunctionDescriptor.of(ADDRESS));
                ctxFree = linker.downcallHandle(lib.find("EVP_CIPHER_CTX_free"), FunctionDescriptor.ofVoid(ADDRESS));
                cipher = fetchCipher(linker, lib);
                MethodHandle versionOf = linker.downcallHandle(lib.find("OpenSSL_version"),
                    FunctionDescriptor.of(ADDRESS, JAVA_INT));
                version = ((MemorySegment) versionOf.invokeExact(0)).reinterpret(256).getString(0);
            } catch (Throwable t) {
                reason = t.getMessage() != null ? t.getMessage() : t.toString();
            }
            boolean ok = reason == null;
            INIT = ok ? init : null;
            UPDATE = ok ? update : null;
            FINAL = ok ? fin : null;
            CTRL = ok ? ctrl : null;
            CTX_NEW = ok ? ctxNew : null;
            CTX_FREE = ok ? ctxFree : null;
            CIPHER = ok ? cipher : null;
            VERSION = ok ? version : null;
            REASON = reason;
        }

        private Lib() {}

        /** The cipher, fetched once (OpenSSL 3), else the legacy constant (OpenSSL 1.1). */
        private static MemorySegment fetchCipher(Linker linker, NativeLibrary lib) throws Throwable {
            Optional<MemorySegment> fetch = lib.lookup().find("EVP_CIPHER_fetch");
            MemorySegment cipher;
            if (fetch.isPresent()) {
                MethodHandle h = linker.downcallHandle(fetch.get(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
                cipher = (MemorySegment) h.invokeExact(MemorySegment.NULL,
                    Arena.global().allocateFrom("ChaCha20-Poly1305"), MemorySegment.NULL);
            } else {
                MethodHandle h = linker.downcallHandle(lib.find("EVP_chacha20_poly1305"),
                    FunctionDescriptor.of(ADDRESS));
                cipher = (MemorySegment) h.invokeExact();
            }
            if (cipher.equals(MemorySegment.NULL)) throw new IllegalStateException("libcrypto has no ChaCha20-Poly1305");
            return cipher;
        }

        static MemorySegment newContext() {
            try {
                MemorySegment ctx = (MemorySegment) CTX_NEW.invokeExact();
                if (ctx.equals(MemorySegment.NULL)) throw new OutOfMemoryError("EVP_CIPHER_CTX_new returned NULL");
                return ctx;
            } catch (Throwable t) {
                throw failure("context", t);
            }
        }

        static void freeContext(MemorySegment ctx) {
            try {
                CTX_FREE.invokeExact(ctx);
            } catch (Throwable t) {
                throw failure("context free", t);
            }
        }
    }
}
