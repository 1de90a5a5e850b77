package dev.veil.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
 * API: the ChaCha20-Poly1305 cipher, no C code, no JNI. Present only when the library and every symbol load;
 * {@link #instance()} says whether it is, {@link #unavailableReason()} why not. Loading never throws.
 *
 * <p>With OpenSSL 3 the cipher's provider functions (the default provider's dispatch table, from
 * {@code OSSL_PROVIDER_query_operation}) are called directly: the EVP layer around them asks the provider for the
 * nonce length on every init and turns the tag calls into parameter lists, about 4% of the time per packet
 * (AeadBenchmark, {@code openssl} against {@code openssl-evp}). With OpenSSL 1.1, or when the table cannot be read,
 * the EVP API is used ({@link #evpInstance()} forces it, for tests and benchmarks).
 *
 * <p>Thread-safe: each thread owns one {@code EVP_CIPHER_CTX}, made on its first call, given a new nonce per packet
 * and a new key when the packet's key or direction differs from the last one; a {@link Cleaner} frees it (and wipes
 * the thread's copy of the last key) when the thread's state is collected. Packets are Java arrays passed to critical
 * downcalls as heap segments, so nothing is copied; each thread keeps those segments ({@link HeapSlices}), so nothing
 * is allocated per packet either. Each thread also owns native scratch for the key, the nonce, the tag, OpenSSL's
 * output length and the tag's parameter list (the key and tag are copied there and back: 48 bytes).
 */
public final class OpenSslChaCha20Poly1305 implements RawNonceOverride {
    private static final OpenSslChaCha20Poly1305 INSTANCE =
        new OpenSslChaCha20Poly1305(Lib.PROVIDER != null ? Lib.PROVIDER : Lib.EVP);
    private static final OpenSslChaCha20Poly1305 EVP_INSTANCE = new OpenSslChaCha20Poly1305(Lib.EVP);

    private static final ValueLayout.OfLong NONCE_COUNTER =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Cleaner CLEANER = Cleaner.create();
    /** The scratch's size: nonce, tag, key, output length, then the tag's parameter list (two OSSL_PARAMs). */
    private static final int SCRATCH = 160;

    private final Glue glue;
    private final ThreadLocal<State> state;

    /**
     * One thread's cipher context, the segments of the arrays it saw, and native scratch: nonce at [0, 12), tag at
     * [16, 32), key at [32, 64), output length at [64, 72), the tag's OSSL_PARAM list at [80, 160).
     */
    private static final class State {
        final Glue glue;
        final MemorySegment ctx;
        /**
         * Owns the scratch memory: freed by the GC after this state, so never while the state is in use (the
         * cleaner holds it until it has wiped the key).
         */
        private final MemorySegment owner = Arena.ofAuto().allocate(SCRATCH, 8);
        /**
         * The same memory seen in the global scope: an automatic arena's segments are shared, and every downcall
         * that takes one atomically acquires and releases their session (about 5% of a daemon's samples in JFR);
         * this view is used only through this state, which keeps {@link #owner} reachable.
         */
        final MemorySegment scratch = MemorySegment.ofAddress(owner.address()).reinterpret(SCRATCH);
        final MemorySegment nonce = scratch.asSlice(0, 12);
        final MemorySegment tag = scratch.asSlice(16, TAG_LEN);
        final MemorySegment key = scratch.asSlice(32, KEY_LEN);
        final MemorySegment outLen = scratch.asSlice(64, 8);
        final MemorySegment tagParams = scratch.asSlice(80, 80);
        final HeapSlices slices = new HeapSlices();
        /** The key OpenSSL holds (also at {@link #key}), to compare the next packet's key with. */
        final byte[] lastKey = new byte[KEY_LEN];
        /** Element 0: a raw RFC 8439 nonce to use instead of WireGuard's (test vectors only; null otherwise). */
        final byte[][] rawNonce = new byte[1][];
        /** The context has been given the cipher. */
        boolean cipherSet;
        /** The context holds the key in {@link #key}, for direction {@link #lastEncrypt}. */
        boolean keySet;
        int lastEncrypt;

        /** WireGuard's nonce for counter (four zero bytes, then counter little-endian), or {@link #rawNonce}. */
        void setNonce(long counter) {
            if (rawNonce[0] != null) {
                setRawNonce();  // a call the data path never makes, so C2 does not inline its copy
            } else {
                nonce.set(JAVA_INT, 0, 0);
                nonce.set(NONCE_COUNTER, 4, counter);
            }
        }

        private void setRawNonce() {
            MemorySegment.copy(MemorySegment.ofArray(rawNonce[0]), 0, nonce, 0, 12);
        }

        State(Glue glue) {
            this.glue = glue;
            this.ctx = glue.newContext();
            ProviderGlue.tagParams(tagParams, tag);
            MemorySegment c = ctx, scratchOwner = owner;
            byte[] keyCopy = lastKey;
            CLEANER.register(this, () -> {
                scratchOwner.fill((byte) 0);  // the last key
                Arrays.fill(keyCopy, (byte) 0);
                glue.freeContext(c);
            });
        }
    }

    private OpenSslChaCha20Poly1305(Glue glue) {
        this.glue = glue;
        this.state = ThreadLocal.withInitial(() -> new State(this.glue));
    }

    /** The backend, when libcrypto and all its symbols loaded. */
    public static Optional<Aead> instance() {
        return Lib.REASON == null ? Optional.of(INSTANCE) : Optional.empty();
    }

    /** Why {@link #instance()} is empty, or null when it is not. */
    public static String unavailableReason() {
        return Lib.REASON;
    }

    /** The backend on the EVP API even where the provider's functions could be called directly, when available. */
    static Optional<OpenSslChaCha20Poly1305> evpInstance() {
        return Lib.REASON == null ? Optional.of(EVP_INSTANCE) : Optional.empty();
    }

    /** Whether this instance calls the provider's functions directly (else the EVP API). */
    boolean direct() {
        return glue instanceof ProviderGlue;
    }

    /** libcrypto's version string, such as "OpenSSL 3.0.19 27 Jan 2026", or null when unavailable. */
    static String version() {
        return Lib.VERSION;
    }

    @Override
    public String name() {
        return this == EVP_INSTANCE ? "openssl-evp" : "openssl";
    }

    /**
     * Seals with WireGuard's nonce for counter. The work is in this method itself, not in a helper it calls (nor does
     * the test-only {@link #sealWithNonce} have its own copy): a helper that hot is compiled by C2 on its own as well
     * as inlined here, which cost each daemon about 0.15 s of CPU at start for each of seal and open (JFR).
     */
    @Override
    public int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = state.get();
        s.setNonce(counter);
        // Every range is checked before OpenSSL touches it.
        Objects.checkFromIndexSize(srcOff, len, src.length);
        Objects.checkFromIndexSize(dstOff, len + TAG_LEN, dst.length);
        MemorySegment in = s.slices.at(src, srcOff);
        MemorySegment out = s.slices.at(dst, dstOff);
        try {
            init(s, key, 1);
            addAad(s, aad);
            if (len > 0) check(s.glue.update(s.ctx, out, s.outLen, in, len), "cipher update");
            check(s.glue.finish(s.ctx, s.scratch, s.outLen), "cipher final");
            check(s.glue.getTag(s.ctx, s.tag, s.tagParams), "get tag");
        } catch (Throwable t) {
            throw failure("seal", t);
        }
        MemorySegment.copy(s.tag, 0, out, len, TAG_LEN);  // segment to segment: no native call for the array's length
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
        MemorySegment in = s.slices.at(src, srcOff);
        MemorySegment out = s.slices.at(dst, dstOff);
        MemorySegment.copy(in, n, s.tag, 0, TAG_LEN);
        int authentic;
        try {
            init(s, key, 0);
            check(s.glue.setTag(s.ctx, s.tag, s.tagParams), "set tag");
            addAad(s, aad);
            if (n > 0) check(s.glue.update(s.ctx, out, s.outLen, in, n), "cipher update");
            authentic = s.glue.finish(s.ctx, s.scratch, s.outLen);
        } catch (Throwable t) {
            throw failure("open", t);
        }
        if (authentic > 0) return n;
        // OpenSSL decrypts as it goes and checks the tag last: wipe the unauthenticated plaintext.
        Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
        return -1;
    }

    @Override
    public byte[][] rawNonceSlot() {
        return state.get().rawNonce;
    }

    /**
     * Keys the thread's context for one packet. When the key and the direction are those of the thread's last packet
     * (a run of packets of one session, the common case), only the nonce is set: OpenSSL keeps the key schedule and
     * skips its parameter handling for the key, a few percent of a daemon's CPU under load.
     */
    private static void init(State s, byte[] key, int encrypt) throws Throwable {
        Objects.checkFromIndexSize(0, KEY_LEN, key.length);
        // An array comparison (an intrinsic), not MemorySegment.mismatch, whose general code C2 compiled for 0.1 s.
        if (s.keySet && s.lastEncrypt == encrypt && Arrays.equals(key, 0, KEY_LEN, s.lastKey, 0, KEY_LEN)) {
            check(s.glue.init(s.ctx, false, MemorySegment.NULL, s.nonce, encrypt), "cipher init");
            return;
        }
        s.keySet = false;  // until OpenSSL has taken the new key
        System.arraycopy(key, 0, s.lastKey, 0, KEY_LEN);
        MemorySegment.copy(s.slices.at(key, 0), 0, s.key, 0, KEY_LEN);
        check(s.glue.init(s.ctx, !s.cipherSet, s.key, s.nonce, encrypt), "cipher init");
        s.cipherSet = true;
        s.keySet = true;
        s.lastEncrypt = encrypt;
    }

    private static void addAad(State s, byte[] aad) throws Throwable {
        if (aad == null || aad.length == 0) return;
        check(s.glue.update(s.ctx, MemorySegment.NULL, s.outLen, MemorySegment.ofArray(aad), aad.length),
            "cipher update (AAD)");
    }

    private static void check(int result, String call) {
        if (result <= 0) throw new IllegalStateException(call + " failed");
    }

    private static RuntimeException failure(String op, Throwable t) {
        if (t instanceof IndexOutOfBoundsException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("OpenSSL ChaCha20-Poly1305 " + op + " failed", t);
    }

    /**
     * How a context is driven for one packet. Each call returns OpenSSL's result (positive on success; for
     * {@link #finish} when decrypting, 0 means the tag did not match). Stateless; thread-safe.
     */
    private sealed interface Glue permits EvpGlue, ProviderGlue {
        /** A new context, or NULL when OpenSSL could not make one. */
        MemorySegment allocateContext() throws Throwable;

        void releaseContext(MemorySegment ctx) throws Throwable;

        default MemorySegment newContext() {
            try {
                MemorySegment ctx = allocateContext();
                if (ctx.equals(MemorySegment.NULL)) throw new OutOfMemoryError("OpenSSL made no cipher context");
                return ctx;
            } catch (Throwable t) {
                throw failure("context", t);
            }
        }

        default void freeContext(MemorySegment ctx) {
            try {
                releaseContext(ctx);
            } catch (Throwable t) {
                throw failure("context free", t);
            }
        }

        /** Starts a packet: key (NULL: the context's) and nonce, encrypt 1 or decrypt 0; first: a fresh context. */
        int init(MemorySegment ctx, boolean first, MemorySegment key, MemorySegment nonce, int encrypt) throws Throwable;

        /** Encrypts or decrypts in to out (out NULL: in is additional data); outLen is 8 bytes of scratch. */
        int update(MemorySegment ctx, MemorySegment out, MemorySegment outLen, MemorySegment in, int len) throws Throwable;

        int finish(MemorySegment ctx, MemorySegment out, MemorySegment outLen) throws Throwable;

        /** After sealing: the tag into tag (params: the state's parameter list that points at tag). */
        int getTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable;

        /** Before opening: the expected tag from tag. */
        int setTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable;
    }

    /** The EVP API: works with OpenSSL 1.1 and 3. */
    private record EvpGlue(MethodHandle init, MethodHandle update, MethodHandle fin, MethodHandle ctrl,
            MethodHandle ctxNew, MethodHandle ctxFree, MemorySegment cipher) implements Glue {
        private static final int EVP_CTRL_AEAD_GET_TAG = 0x10, EVP_CTRL_AEAD_SET_TAG = 0x11;

        @Override
        public MemorySegment allocateContext() throws Throwable {
            return (MemorySegment) ctxNew.invokeExact();
        }

        @Override
        public void releaseContext(MemorySegment ctx) throws Throwable {
            ctxFree.invokeExact(ctx);
        }

        @Override
        public int init(MemorySegment ctx, boolean first, MemorySegment key, MemorySegment nonce, int encrypt)
                throws Throwable {
            MemorySegment type = first ? cipher : MemorySegment.NULL;  // a local: invokeExact needs its static type
            return (int) init.invokeExact(ctx, type, MemorySegment.NULL, key, nonce, encrypt);
        }

        @Override
        public int update(MemorySegment ctx, MemorySegment out, MemorySegment outLen, MemorySegment in, int len)
                throws Throwable {
            return (int) update.invokeExact(ctx, out, outLen, in, len);
        }

        @Override
        public int finish(MemorySegment ctx, MemorySegment out, MemorySegment outLen) throws Throwable {
            return (int) fin.invokeExact(ctx, out, outLen);
        }

        @Override
        public int getTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable {
            return (int) ctrl.invokeExact(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, tag);
        }

        @Override
        public int setTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable {
            return (int) ctrl.invokeExact(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag);
        }
    }

    /**
     * OpenSSL 3's provider functions for the cipher, called directly (their signatures are OpenSSL's
     * {@code OSSL_FUNC_cipher_*}); the tag goes through a two-entry {@code OSSL_PARAM} list made once per state.
     */
    private record ProviderGlue(MemorySegment provctx, MethodHandle newctx, MethodHandle freectx, MethodHandle einit,
            MethodHandle dinit, MethodHandle update, MethodHandle fin, MethodHandle getParams, MethodHandle setParams)
            implements Glue {
        /** OpenSSL's function ids in a cipher's dispatch table (core_dispatch.h). */
        static final int NEWCTX = 1, ENCRYPT_INIT = 2, DECRYPT_INIT = 3, UPDATE = 4, FINAL = 5, FREECTX = 7,
            GET_CTX_PARAMS = 10, SET_CTX_PARAMS = 11;
        /** OSSL_OP_CIPHER, and OSSL_PARAM's octet-string type. */
        static final int OP_CIPHER = 2, OCTET_STRING = 5;
        /** The tag's parameter name, OSSL_CIPHER_PARAM_AEAD_TAG. */
        private static final MemorySegment TAG_NAME = Arena.global().allocateFrom("tag");

        /**
         * Writes the list {"tag", octet string, tag, 16 bytes}, end into params (80 bytes): OSSL_PARAM is a key
         * pointer, an unsigned data type, a data pointer, the data size and the returned size (40 bytes on LP64).
         */
        static void tagParams(MemorySegment params, MemorySegment tag) {
            params.fill((byte) 0);
            params.set(ADDRESS, 0, TAG_NAME);
            params.set(JAVA_INT, 8, OCTET_STRING);
            params.set(ADDRESS, 16, tag);
            params.set(JAVA_LONG, 24, TAG_LEN);
        }

        @Override
        public MemorySegment allocateContext() throws Throwable {
            return (MemorySegment) newctx.invokeExact(provctx);
        }

        @Override
        public void releaseContext(MemorySegment ctx) throws Throwable {
            freectx.invokeExact(ctx);
        }

        @Override
        public int init(MemorySegment ctx, boolean first, MemorySegment key, MemorySegment nonce, int encrypt)
                throws Throwable {
            long keyLen = key.equals(MemorySegment.NULL) ? 0 : KEY_LEN;
            return encrypt == 1
                ? (int) einit.invokeExact(ctx, key, keyLen, nonce, 12L, MemorySegment.NULL)
                : (int) dinit.invokeExact(ctx, key, keyLen, nonce, 12L, MemorySegment.NULL);
        }

        @Override
        public int update(MemorySegment ctx, MemorySegment out, MemorySegment outLen, MemorySegment in, int len)
                throws Throwable {
            return (int) update.invokeExact(ctx, out, outLen, (long) len, in, (long) len);
        }

        @Override
        public int finish(MemorySegment ctx, MemorySegment out, MemorySegment outLen) throws Throwable {
            return (int) fin.invokeExact(ctx, out, outLen, 0L);
        }

        @Override
        public int getTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable {
            return (int) getParams.invokeExact(ctx, params);
        }

        @Override
        public int setTag(MemorySegment ctx, MemorySegment tag, MemorySegment params) throws Throwable {
            return (int) setParams.invokeExact(ctx, params);
        }

        /**
         * The default provider's ChaCha20-Poly1305 functions, from the dispatch table that
         * {@code OSSL_PROVIDER_query_operation} lists for the fetched cipher's provider; null when any step or
         * function is missing (OpenSSL 1.1 has none of this).
         */
        static ProviderGlue load(Linker linker, NativeLibrary lib, MemorySegment cipher) {
            try {
                Optional<MemorySegment> getProvider = lib.lookup().find("EVP_CIPHER_get0_provider");
                if (getProvider.isEmpty()) return null;
                MemorySegment prov = (MemorySegment) linker.downcallHandle(getProvider.get(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS)).invokeExact(cipher);
                if (prov.equals(MemorySegment.NULL)) return null;
                MemorySegment provctx = (MemorySegment) linker.downcallHandle(
                    lib.find("OSSL_PROVIDER_get0_provider_ctx"), FunctionDescriptor.of(ADDRESS, ADDRESS))
                    .invokeExact(prov);
                MethodHandle query = linker.downcallHandle(lib.find("OSSL_PROVIDER_query_operation"),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
                MethodHandle unquery = linker.downcallHandle(lib.find("OSSL_PROVIDER_unquery_operation"),
                    FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS));
                MemorySegment[] functions = new MemorySegment[SET_CTX_PARAMS + 1];
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment noCache = a.allocate(JAVA_INT);
                    MemorySegment algorithms = (MemorySegment) query.invokeExact(prov, OP_CIPHER, noCache);
                    if (algorithms.equals(MemorySegment.NULL)) return null;
                    try {
                        MemorySegment table = dispatchOf(algorithms.reinterpret(Long.MAX_VALUE));
                        if (table == null) return null;
                        for (long at = 0; ; at += 16) {
                            int id = table.get(JAVA_INT, at);
                            if (id == 0) break;
                            if (id < functions.length) functions[id] = table.get(ADDRESS, at + 8);
                        }
                    } finally {
                        unquery.invokeExact(prov, OP_CIPHER, algorithms);
                    }
                }
                for (int id : new int[] {NEWCTX, ENCRYPT_INIT, DECRYPT_INIT, UPDATE, FINAL, FREECTX, GET_CTX_PARAMS,
                        SET_CTX_PARAMS}) {
                    if (functions[id] == null || functions[id].equals(MemorySegment.NULL)) return null;
                }
                Linker.Option critical = Linker.Option.critical(true);
                FunctionDescriptor initFd = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS,
                    JAVA_LONG, ADDRESS);
                FunctionDescriptor paramsFd = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
                return new ProviderGlue(provctx,
                    linker.downcallHandle(functions[NEWCTX], FunctionDescriptor.of(ADDRESS, ADDRESS)),
                    linker.downcallHandle(functions[FREECTX], FunctionDescriptor.ofVoid(ADDRESS)),
                    linker.downcallHandle(functions[ENCRYPT_INIT], initFd, critical),
                    linker.downcallHandle(functions[DECRYPT_INIT], initFd, critical),
                    linker.downcallHandle(functions[UPDATE], FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_LONG, ADDRESS, JAVA_LONG), critical),
                    linker.downcallHandle(functions[FINAL], FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_LONG), critical),
                    linker.downcallHandle(functions[GET_CTX_PARAMS], paramsFd, critical),
                    linker.downcallHandle(functions[SET_CTX_PARAMS], paramsFd, critical));
            } catch (Throwable t) {
                return null;  // the EVP API remains
            }
        }

        /**
         * The dispatch table of the entry named ChaCha20-Poly1305 in an OSSL_ALGORITHM list (names separated by
         * colons, property definition, dispatch table, description: four pointers each; a NULL name ends it).
         */
        private static MemorySegment dispatchOf(MemorySegment algorithms) {
            for (long at = 0; ; at += 32) {
                MemorySegment names = algorithms.get(ADDRESS, at);
                if (names.equals(MemorySegment.NULL)) return null;
                for (String name : names.reinterpret(256).getString(0).split(":")) {
                    if (name.equalsIgnoreCase("ChaCha20-Poly1305")) {
                        return algorithms.get(ADDRESS, at + 16).reinterpret(Long.MAX_VALUE);
                    }
                }
            }
        }
    }

    /** The libcrypto bindings; every field is null and {@link #REASON} says why when loading failed. */
    private static final class Lib {
        static final EvpGlue EVP;
        /** The provider's functions, or null where they cannot be called directly. */
        static final ProviderGlue PROVIDER;
        static final String VERSION, REASON;

        static {
            EvpGlue evp = null;
            ProviderGlue provider = null;
            String version = null, reason = null;
            try {
                Linker linker = Linker.nativeLinker();
                NativeLibrary lib = NativeLibrary.load("libcrypto.so.3", "libcrypto.so");
                Linker.Option critical = Linker.Option.critical(true);
                MemorySegment cipher = fetchCipher(linker, lib);
                evp = new EvpGlue(
                    linker.downcallHandle(lib.find("EVP_CipherInit_ex"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical),
                    linker.downcallHandle(lib.find("EVP_CipherUpdate"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical),
                    linker.downcallHandle(lib.find("EVP_CipherFinal_ex"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), critical),
                    linker.downcallHandle(lib.find("EVP_CIPHER_CTX_ctrl"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), critical),
                    linker.downcallHandle(lib.find("EVP_CIPHER_CTX_new"), FunctionDescriptor.of(ADDRESS)),
                    linker.downcallHandle(lib.find("EVP_CIPHER_CTX_free"), FunctionDescriptor.ofVoid(ADDRESS)),
                    cipher);
                MethodHandle versionOf = linker.downcallHandle(lib.find("OpenSSL_version"),
                    FunctionDescriptor.of(ADDRESS, JAVA_INT));
                version = ((MemorySegment) versionOf.invokeExact(0)).reinterpret(256).getString(0);
                provider = ProviderGlue.load(linker, lib, cipher);
            } catch (Throwable t) {
                reason = t.getMessage() != null ? t.getMessage() : t.toString();
            }
            boolean ok = reason == null;
            EVP = ok ? evp : null;
            PROVIDER = ok ? provider : null;
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
    }
}
