package dev.veil.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.veil.buffer.HeapSlices;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Aead} backed by libgcrypt ({@code libgcrypt.so.20}, else {@code libgcrypt.so}) through the FFM API: one
 * ChaCha20 cipher handle in Poly1305 mode per thread, keyed again only when the key changes, so a packet costs three
 * downcalls (nonce, encrypt or decrypt, tag). libgcrypt (1.10.1, Debian 12's, at least) interleaves ChaCha20 and
 * Poly1305 in one pass over the data on CPUs with AVX2, where OpenSSL 3.0 makes two passes: on the 2-vCPU AVX2 test
 * machine it seals and opens 1420-byte packets 1.2x to 1.6x as fast as OpenSSL in JMH (BENCHMARKS.md). Present
 * only when the library loads, initialises and has every symbol; {@link #instance()} says whether it is,
 * {@link #unavailableReason()} why not. Loading never throws. No C code, no JNI.
 *
 * <p>Thread-safe: each thread has its own handle ({@link State}); buffers, key and nonce are Java arrays passed to
 * critical downcalls as heap segments ({@link HeapSlices}), so nothing is copied or allocated per packet.
 */
public final class GcryptChaCha20Poly1305 implements RawNonceOverride {
    private static final GcryptChaCha20Poly1305 INSTANCE = new GcryptChaCha20Poly1305();
    private static final int NONCE_LEN = 12;
    private static final int GCRY_CIPHER_CHACHA20 = 316, GCRY_CIPHER_MODE_POLY1305 = 10;
    private static final int GCRYCTL_DISABLE_SECMEM = 37, GCRYCTL_INITIALIZATION_FINISHED = 38;
    private static final Cleaner CLEANER = Cleaner.create();

    private final ThreadLocal<State> state = ThreadLocal.withInitial(State::new);

    private GcryptChaCha20Poly1305() {}

    /** One thread's cipher handle and the key it holds. */
    private static final class State {
        final MemorySegment handle;
        final HeapSlices slices = new HeapSlices();
        /** WireGuard's nonce for the packet at hand, or a raw one for test vectors. */
        final byte[] nonce = new byte[NONCE_LEN];
        /** The tag on its way out of or into libgcrypt (a fixed slice, where the tag's own offset varies). */
        final byte[] tag = new byte[TAG_LEN];
        /** The key the handle holds, to compare the next packet's key with. */
        final byte[] lastKey = new byte[KEY_LEN];
        boolean keySet;
        /** Element 0: a raw RFC 8439 nonce to use instead of WireGuard's (test vectors only; null otherwise). */
        final byte[][] rawNonce = new byte[1][];

        /** WireGuard's nonce for counter, or {@link #rawNonce}. */
        void setNonce(long counter) {
            if (rawNonce[0] != null) {
                System.arraycopy(rawNonce[0], 0, nonce, 0, NONCE_LEN);
            } else {
                Aead.nonce(counter, nonce);
            }
        }

        State() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                int err = (int) Lib.OPEN.invokeExact(out, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0);
                if (err != 0) throw new IllegalStateException("gcry_cipher_open failed: error " + err);
                handle = out.get(ADDRESS, 0);
            } catch (Throwable t) {
                throw failure("handle", t);
            }
            MemorySegment h = handle;
            byte[] keyCopy = lastKey;
            CLEANER.register(this, () -> {
                Arrays.fill(keyCopy, (byte) 0);
                try {
                    Lib.CLOSE.invokeExact(h);  // wipes the key schedule
                } catch (Throwable t) {
                    throw failure("handle close", t);
                }
            });
        }
    }

    /** The backend, when libgcrypt and all its symbols loaded and it initialised. */
    public static Optional<Aead> instance() {
        return Lib.REASON == null ? Optional.of(INSTANCE) : Optional.empty();
    }

    /** Why {@link #instance()} is empty, or null when it is not. */
    public static String unavailableReason() {
        return Lib.REASON;
    }

    /** libgcrypt's version string, such as "1.10.1", or null when unavailable. */
    static String version() {
        return Lib.VERSION;
    }

    @Override
    public String name() {
        return "libgcrypt";
    }

    /**
     * Seals with WireGuard's nonce for counter. The work is in this method itself, as in the OpenSSL backend: a
     * helper that hot would be compiled by C2 on its own as well as inlined here.
     */
    @Override
    public int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = state.get();
        s.setNonce(counter);
        // Every range is checked before libgcrypt touches it.
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, len + TAG_LEN, dst.length);
        HeapSlices slices = s.slices;
        MemorySegment out = slices.at(dst, dstOff);
        // In place (the same bytes) this is the output segment itself (the cache's hit), which is what libgcrypt makes
        // of a NULL input: one segment class at this call site either way, so C2's code for the data path (in place)
        // does not deoptimise at the first handshake (out of place) on a class check (BENCHMARKS.md).
        MemorySegment in = slices.at(src, srcOff);
        try {
            start(s, key, aad);
            check((int) Lib.ENCRYPT.invokeExact(s.handle, out, (long) len, in, (long) len), "encrypt");
            check((int) Lib.GET_TAG.invokeExact(s.handle, slices.at(s.tag, 0), (long) TAG_LEN), "get tag");
        } catch (Throwable t) {
            throw failure("seal", t);
        }
        System.arraycopy(s.tag, 0, dst, dstOff + len, TAG_LEN);
        return len + TAG_LEN;
    }

    /** Opens with WireGuard's nonce for counter; the work is here for the reason given at {@link #seal}. */
    @Override
    public int open(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        if (len < TAG_LEN) return -1;
        State s = state.get();
        s.setNonce(counter);
        int n = len - TAG_LEN;
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        HeapSlices slices = s.slices;
        MemorySegment out = slices.at(dst, dstOff);
        MemorySegment in = slices.at(src, srcOff);  // in place the output segment itself, as in seal
        System.arraycopy(src, srcOff + n, s.tag, 0, TAG_LEN);  // before an in-place decryption could touch it
        int authentic;
        try {
            start(s, key, aad);
            check((int) Lib.DECRYPT.invokeExact(s.handle, out, (long) n, in, (long) n), "decrypt");
            authentic = (int) Lib.CHECK_TAG.invokeExact(s.handle, slices.at(s.tag, 0), (long) TAG_LEN);
        } catch (Throwable t) {
            throw failure("open", t);
        }
        if (authentic == 0) return n;
        // libgcrypt decrypts as it goes and checks the tag last: wipe the unauthenticated plaintext.
        Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
        return -1;
    }

    @Override
    public byte[][] rawNonceSlot() {
        return state.get().rawNonce;
    }

    /** Keys the handle when the key changed, sets the nonce (which starts a new message) and adds the AAD. */
    private static void start(State s, byte[] key, byte[] aad) throws Throwable {
        Objects.checkFromIndexSize(0, KEY_LEN, key.length);
        if (!s.keySet || !Arrays.equals(key, 0, KEY_LEN, s.lastKey, 0, KEY_LEN)) {
            s.keySet = false;  // until libgcrypt has taken the new key
            check((int) Lib.SET_KEY.invokeExact(s.handle, s.slices.at(key, 0), (long) KEY_LEN), "set key");
            System.arraycopy(key, 0, s.lastKey, 0, KEY_LEN);
            s.keySet = true;
        }
        check((int) Lib.SET_IV.invokeExact(s.handle, s.slices.at(s.nonce, 0), (long) NONCE_LEN), "set nonce");
        if (aad != null && aad.length > 0) {
            check((int) Lib.AUTHENTICATE.invokeExact(s.handle, MemorySegment.ofArray(aad), (long) aad.length),
                "authenticate");
        }
    }

    private static void check(int err, String call) {
        if (err != 0) throw new IllegalStateException("gcry_cipher " + call + " failed: error " + err);
    }

    private static RuntimeException failure(String op, Throwable t) {
        if (t instanceof IndexOutOfBoundsException e) return e;
        if (t instanceof Error e) throw e;
        if (t instanceof IllegalStateException e && e.getMessage() != null && e.getMessage().startsWith("gcry_")) {
            return e;
        }
        return new IllegalStateException("libgcrypt ChaCha20-Poly1305 " + op + " failed", t);
    }

    /** The libgcrypt bindings; every field is null and {@link #REASON} says why when loading failed. */
    private static final class Lib {
        static final MethodHandle OPEN, CLOSE, SET_KEY, SET_IV, AUTHENTICATE, ENCRYPT, DECRYPT, GET_TAG, CHECK_TAG;
        static final String VERSION, REASON;

        static {
            MethodHandle[] h = new MethodHandle[9];
            String version = null, reason = null;
            try {
                Linker linker = Linker.nativeLinker();
                NativeLibrary lib = NativeLibrary.load("libgcrypt.so.20", "libgcrypt.so");
                // gcry_check_version initialises the library (and chooses the CPU-specific code); then no secure
                // memory (the handles are not made with GCRY_CIPHER_SECURE) and the end of initialisation.
                MethodHandle checkVersion = linker.downcallHandle(lib.find("gcry_check_version"),
                    FunctionDescriptor.of(ADDRESS, ADDRESS));
                MemorySegment v = (MemorySegment) checkVersion.invokeExact(MemorySegment.NULL);
                if (v.equals(MemorySegment.NULL)) throw new IllegalStateException("gcry_check_version failed");
                version = v.reinterpret(64).getString(0);
                MethodHandle control = linker.downcallHandle(lib.find("gcry_control"),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(1));
                if ((int) control.invokeExact(GCRYCTL_DISABLE_SECMEM, 0) != 0
                        || (int) control.invokeExact(GCRYCTL_INITIALIZATION_FINISHED, 0) != 0) {
                    throw new IllegalStateException("gcry_control failed");
                }
                Linker.Option critical = Linker.Option.critical(true);
                h[0] = linker.downcallHandle(lib.find("gcry_cipher_open"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
                h[1] = linker.downcallHandle(lib.find("gcry_cipher_close"), FunctionDescriptor.ofVoid(ADDRESS));
                FunctionDescriptor buffer = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
                FunctionDescriptor crypt = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG);
                h[2] = linker.downcallHandle(lib.find("gcry_cipher_setkey"), buffer, critical);
                h[3] = linker.downcallHandle(lib.find("gcry_cipher_setiv"), buffer, critical);
                h[4] = linker.downcallHandle(lib.find("gcry_cipher_authenticate"), buffer, critical);
                h[5] = linker.downcallHandle(lib.find("gcry_cipher_encrypt"), crypt, critical);
                h[6] = linker.downcallHandle(lib.find("gcry_cipher_decrypt"), crypt, critical);
                h[7] = linker.downcallHandle(lib.find("gcry_cipher_gettag"), buffer, critical);
                h[8] = linker.downcallHandle(lib.find("gcry_cipher_checktag"), buffer, critical);
            } catch (Throwable t) {
                reason = t.getMessage() != null ? t.getMessage() : t.toString();
            }
            boolean ok = reason == null;
            OPEN = ok ? h[0] : null;
            CLOSE = ok ? h[1] : null;
            SET_KEY = ok ? h[2] : null;
            SET_IV = ok ? h[3] : null;
            AUTHENTICATE = ok ? h[4] : null;
            ENCRYPT = ok ? h[5] : null;
            DECRYPT = ok ? h[6] : null;
            GET_TAG = ok ? h[7] : null;
            CHECK_TAG = ok ? h[8] : null;
            VERSION = ok ? version : null;
            REASON = reason;
        }

        private Lib() {}
    }
}
