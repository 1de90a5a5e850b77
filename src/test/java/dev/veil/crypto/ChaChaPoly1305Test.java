package dev.veil.crypto;

import static dev.veil.crypto.Hex.bytes;
import static dev.veil.crypto.Hex.counting;
import static dev.veil.crypto.Hex.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known answers and failure cases for every {@link Aead} backend ({@link JdkChaCha20Poly1305},
 * {@link BcChaCha20Poly1305}, {@link OpenSslChaCha20Poly1305} (provider functions and EVP) when libcrypto loads and
 * {@link SodiumChaCha20Poly1305} when libsodium does; otherwise their cases are skipped with the reason printed), parameterised: RFC 8439 section 2.8.2 and Appendix A.5, tampering, short input,
 * in-place operation, concurrent threads, agreement between the backends, and how the default is chosen.
 *
 * <p>Section 2.8.2's nonce, 07000000 4041424344454647, does not start with four zero bytes, so WireGuard's
 * counter layout cannot express it; it goes through each backend's package-private raw-nonce methods
 * ({@code sealWithNonce}/{@code openWithNonce}), which the public methods also use. Appendix A.5's nonce,
 * 00000000 0102030405060708, is counter 0x0807060504030201 and goes through the public API.
 */
class ChaChaPoly1305Test {
    /** A backend with its raw-nonce entry points, which {@link Aead} does not expose. */
    record Backend(Aead aead, RawNonce seal, RawNonce open) {
        @Override
        public String toString() {
            return aead.name();
        }
    }

    @FunctionalInterface
    interface RawNonce {
        int apply(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff);
    }

    static Stream<Backend> backends() {
        JdkChaCha20Poly1305 jdk = JdkChaCha20Poly1305.INSTANCE;
        BcChaCha20Poly1305 bc = BcChaCha20Poly1305.INSTANCE;
        List<Backend> all = new ArrayList<>(List.of(new Backend(jdk, jdk::sealWithNonce, jdk::openWithNonce),
                new Backend(bc, bc::sealWithNonce, bc::openWithNonce)));
        OpenSslChaCha20Poly1305.instance().ifPresentOrElse(a -> {
            OpenSslChaCha20Poly1305 o = (OpenSslChaCha20Poly1305) a;
            all.add(new Backend(o, o::sealWithNonce, o::openWithNonce));
            OpenSslChaCha20Poly1305 evp = OpenSslChaCha20Poly1305.evpInstance().orElseThrow();
            all.add(new Backend(evp, evp::sealWithNonce, evp::openWithNonce));
        }, () -> System.err.println("ChaChaPoly1305Test: skipping the openssl backend: "
                + OpenSslChaCha20Poly1305.unavailableReason()));
        SodiumChaCha20Poly1305.instance().ifPresentOrElse(a -> {
            SodiumChaCha20Poly1305 o = (SodiumChaCha20Poly1305) a;
            all.add(new Backend(o, o::sealWithNonce, o::openWithNonce));
        }, () -> System.err.println("ChaChaPoly1305Test: skipping the libsodium backend: "
                + SodiumChaCha20Poly1305.unavailableReason()));
        GcryptChaCha20Poly1305.instance().ifPresentOrElse(a -> {
            GcryptChaCha20Poly1305 g = (GcryptChaCha20Poly1305) a;
            all.add(new Backend(g, g::sealWithNonce, g::openWithNonce));
        }, () -> System.err.println("ChaChaPoly1305Test: skipping the libgcrypt backend: "
                + GcryptChaCha20Poly1305.unavailableReason()));
        return all.stream();
    }

    /** Every ordered pair of distinct backends. */
    static Stream<Arguments> backendPairs() {
        List<Aead> all = backends().map(Backend::aead).toList();
        return all.stream().flatMap(a -> all.stream().filter(b -> b != a).map(b -> Arguments.of(a, b)));
    }

    // RFC 8439 section 2.8.2.
    private static final byte[] SUNSCREEN_KEY = counting(0x80, 32);
    private static final byte[] SUNSCREEN_NONCE = bytes("070000004041424344454647");
    private static final byte[] SUNSCREEN_AAD = bytes("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip"
            + " for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final String SUNSCREEN_SEALED = """
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
            1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            1ae10b594f09e26a7e902ecbd0600691""".replaceAll("\\s", "");

    // RFC 8439 Appendix A.5.
    private static final byte[] A5_KEY = bytes("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    private static final long A5_COUNTER = 0x0807060504030201L;
    private static final byte[] A5_AAD = bytes("f33388860000000000004e91");
    private static final byte[] A5_SEALED = bytes("""
            64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0
            bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855
            9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9
            9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a
            0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130
            305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b
            eead9d67890cbb22392336fea1851f38""");
    private static final byte[] A5_PLAINTEXT = bytes("""
            496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c696420666f722061
            206d6178696d756d206f6620736978206d6f6e74687320616e64206d617920626520757064617465642c207265706c
            616365642c206f72206f62736f6c65746564206279206f7468657220646f63756d656e747320617420616e79207469
            6d652e20497420697320696e617070726f70726961746520746f2075736520496e7465726e65742d44726166747320
            6173207265666572656e6365206d6174657269616c206f7220746f2063697465207468656d206f7468657220746861
            6e206173202fe2809c776f726b20696e2070726f67726573732e2fe2809d""");

    @Test
    void nonceLayoutIsFourZeroBytesThenLittleEndianCounter() {
        byte[] nonce = new byte[12];
        Arrays.fill(nonce, (byte) 0x77);
        Aead.nonce(A5_COUNTER, nonce);
        assertEquals("000000000102030405060708", string(nonce));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rfc8439Section2_8_2(Backend b) {
        byte[] sealed = new byte[SUNSCREEN.length + Aead.TAG_LEN];
        int n = b.seal().apply(SUNSCREEN_KEY, SUNSCREEN_NONCE, SUNSCREEN, 0, SUNSCREEN.length, SUNSCREEN_AAD,
                sealed, 0);
        assertEquals(sealed.length, n);
        assertEquals(SUNSCREEN_SEALED, string(sealed));

        byte[] opened = new byte[SUNSCREEN.length];
        assertEquals(SUNSCREEN.length,
                b.open().apply(SUNSCREEN_KEY, SUNSCREEN_NONCE, sealed, 0, sealed.length, SUNSCREEN_AAD, opened, 0));
        assertArrayEquals(SUNSCREEN, opened);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rfc8439AppendixA5Decryption(Backend b) {
        byte[] opened = new byte[A5_SEALED.length - Aead.TAG_LEN];
        assertEquals(opened.length, b.aead().open(A5_KEY, A5_COUNTER, A5_SEALED, 0, A5_SEALED.length, A5_AAD,
                opened, 0));
        assertArrayEquals(A5_PLAINTEXT, opened);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rfc8439AppendixA5Encryption(Backend b) {
        byte[] sealed = new byte[A5_SEALED.length];
        assertEquals(sealed.length, b.aead().seal(A5_KEY, A5_COUNTER, A5_PLAINTEXT, 0, A5_PLAINTEXT.length,
                A5_AAD, sealed, 0));
        assertArrayEquals(A5_SEALED, sealed);
    }

    /** Flipping any one bit of the ciphertext, the tag or the AAD, or using another counter, must fail. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void tamperingIsDetected(Backend b) {
        Aead aead = b.aead();
        int ciphertextLen = A5_SEALED.length - Aead.TAG_LEN;
        for (int i : new int[] {0, ciphertextLen / 2, ciphertextLen - 1, ciphertextLen, A5_SEALED.length - 1}) {
            byte[] bad = A5_SEALED.clone();
            bad[i] ^= 0x01;
            assertEquals(-1, openA5(aead, bad, A5_AAD, A5_COUNTER), "byte " + i + " flipped");
        }
        for (int i = 0; i < A5_AAD.length; i += 5) {
            byte[] badAad = A5_AAD.clone();
            badAad[i] ^= (byte) 0x80;
            assertEquals(-1, openA5(aead, A5_SEALED, badAad, A5_COUNTER), "aad byte " + i + " flipped");
        }
        assertEquals(-1, openA5(aead, A5_SEALED, null, A5_COUNTER), "aad dropped");
        assertEquals(-1, openA5(aead, A5_SEALED, A5_AAD, A5_COUNTER + 1), "wrong counter");
        // The engine must still work after a failure.
        assertEquals(A5_PLAINTEXT.length, openA5(aead, A5_SEALED, A5_AAD, A5_COUNTER));
    }

    private static int openA5(Aead aead, byte[] sealed, byte[] aad, long counter) {
        byte[] out = new byte[sealed.length];
        return aead.open(A5_KEY, counter, sealed, 0, sealed.length, aad, out, 0);
    }

    /** A failed open must not leave unauthenticated plaintext in dst. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void failedOpenLeavesNoPlaintext(Backend b) {
        byte[] bad = A5_SEALED.clone();
        bad[bad.length - 1] ^= 0x01;
        byte[] out = new byte[bad.length - Aead.TAG_LEN];
        assertEquals(-1, b.aead().open(A5_KEY, A5_COUNTER, bad, 0, bad.length, A5_AAD, out, 0));
        assertArrayEquals(new byte[out.length], out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inputShorterThanATagIsRefused(Backend b) {
        byte[] key = new byte[Aead.KEY_LEN];
        byte[] src = new byte[Aead.TAG_LEN];
        byte[] dst = new byte[Aead.TAG_LEN];
        for (int len = 0; len < Aead.TAG_LEN; len++) {
            assertEquals(-1, b.aead().open(key, 0, src, 0, len, null, dst, 0), "length " + len);
        }
    }

    /** An empty plaintext seals to a bare tag, which opens to zero bytes; aad null and empty are the same. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void emptyPlaintext(Backend b) {
        byte[] key = counting(1, 32);
        byte[] tag = new byte[Aead.TAG_LEN];
        assertEquals(Aead.TAG_LEN, b.aead().seal(key, 7, new byte[0], 0, 0, null, tag, 0));
        assertEquals(0, b.aead().open(key, 7, tag, 0, tag.length, new byte[0], new byte[0], 0));
        tag[3] ^= 0x10;
        assertEquals(-1, b.aead().open(key, 7, tag, 0, tag.length, null, new byte[0], 0));
    }

    /** Sealing twice with one key and counter gives the same bytes (the JDK and BC refuse that unless re-made). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void repeatedSealIsDeterministic(Backend b) {
        byte[] first = new byte[A5_SEALED.length];
        byte[] second = new byte[A5_SEALED.length];
        b.aead().seal(A5_KEY, A5_COUNTER, A5_PLAINTEXT, 0, A5_PLAINTEXT.length, A5_AAD, first, 0);
        b.aead().seal(A5_KEY, A5_COUNTER, A5_PLAINTEXT, 0, A5_PLAINTEXT.length, A5_AAD, second, 0);
        assertArrayEquals(A5_SEALED, first);
        assertArrayEquals(A5_SEALED, second);
    }

    /**
     * Runs of one key, changes of key and of direction, a failed open, and a key array rewritten in place (as a
     * wiped key is) all give what the JDK's implementation gives: a backend that keeps per-thread cipher state must
     * re-key whenever the key's bytes or the direction change, and never otherwise change the result.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keysAndDirectionsInterleavedOnOneThreadMatchTheJdk(Backend b) {
        Aead jdk = JdkChaCha20Poly1305.INSTANCE;
        byte[] k1 = counting(1, 32), k2 = counting(2, 32), mutable = counting(1, 32);
        byte[] p = counting(7, 300);
        byte[][] keys = {k1, k1, k2, k1, mutable, k2, k2, mutable};
        for (int i = 0; i < keys.length * 3; i++) {
            byte[] key = keys[i % keys.length];
            if (i == keys.length) mutable[0] ^= 1;  // the same array, other bytes from now on
            long counter = i;
            byte[] expected = new byte[p.length + Aead.TAG_LEN], sealed = new byte[p.length + Aead.TAG_LEN];
            jdk.seal(key, counter, p, 0, p.length, null, expected, 0);
            b.aead().seal(key, counter, p, 0, p.length, null, sealed, 0);
            assertArrayEquals(expected, sealed, "seal " + i);
            byte[] opened = new byte[p.length];
            if (i % 5 == 2) {
                sealed[3] ^= 1;
                assertEquals(-1, b.aead().open(key, counter, sealed, 0, sealed.length, null, opened, 0), "forged " + i);
                sealed[3] ^= 1;
            }
            assertEquals(p.length, b.aead().open(key, counter, sealed, 0, sealed.length, null, opened, 0), "open " + i);
            assertArrayEquals(p, opened, "open " + i);
            byte[] other = keys[(i + 2) % keys.length];
            if (!Arrays.equals(other, key)) {
                assertEquals(-1, b.aead().open(other, counter, sealed, 0, sealed.length, null, opened, 0),
                    "another key must not open " + i);
            }
        }
    }

    /** Offsets are honoured, and input and output may share one array when the offsets are equal. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inPlaceWithOffset(Backend b) {
        int off = 16;
        byte[] buf = new byte[off + A5_SEALED.length + 5];
        System.arraycopy(A5_PLAINTEXT, 0, buf, off, A5_PLAINTEXT.length);
        assertEquals(A5_SEALED.length,
                b.aead().seal(A5_KEY, A5_COUNTER, buf, off, A5_PLAINTEXT.length, A5_AAD, buf, off));
        assertArrayEquals(A5_SEALED, Arrays.copyOfRange(buf, off, off + A5_SEALED.length));
        assertEquals(A5_PLAINTEXT.length,
                b.aead().open(A5_KEY, A5_COUNTER, buf, off, A5_SEALED.length, A5_AAD, buf, off));
        assertArrayEquals(A5_PLAINTEXT, Arrays.copyOfRange(buf, off, off + A5_PLAINTEXT.length));
        assertArrayEquals(new byte[off], Arrays.copyOfRange(buf, 0, off));
    }

    /** What one backend seals the other opens, for every length up to a 1420-byte packet and for 65535 bytes. */
    @ParameterizedTest(name = "{0} seals, {1} opens")
    @MethodSource("backendPairs")
    void backendsAgree(Aead sealer, Aead opener) {
        Random random = new Random(42);
        byte[] key = new byte[Aead.KEY_LEN];
        random.nextBytes(key);
        for (int len : IntStream.concat(IntStream.rangeClosed(0, 1420), IntStream.of(65535)).toArray()) {
            byte[] plaintext = new byte[len];
            random.nextBytes(plaintext);
            long counter = random.nextLong();
            byte[] aad = len % 2 == 0 ? null : counting(len, 32);
            byte[] sealed = new byte[len + Aead.TAG_LEN];
            sealer.seal(key, counter, plaintext, 0, len, aad, sealed, 0);
            byte[] other = new byte[sealed.length];
            opener.seal(key, counter, plaintext, 0, len, aad, other, 0);
            assertArrayEquals(sealed, other, "length " + len);
            byte[] opened = new byte[len];
            assertEquals(len, opener.open(key, counter, sealed, 0, sealed.length, aad, opened, 0));
            assertArrayEquals(plaintext, opened, "length " + len);
        }
    }

    /** Threads sealing and opening at once, each with its own key, get what the JDK backend gets. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void concurrentThreadsWithDifferentKeys(Backend b) throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(() -> sealAndOpenAgainstJdk(b.aead(), seed)));
            }
            for (Future<Integer> r : results) assertEquals(500, r.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Returns how many of 500 random packets sealed like the JDK's and opened back. */
    private static int sealAndOpenAgainstJdk(Aead aead, int seed) {
        Random random = new Random(seed);
        byte[] key = new byte[Aead.KEY_LEN];
        random.nextBytes(key);
        int good = 0;
        for (int i = 0; i < 500; i++) {
            int len = random.nextInt(1421);
            byte[] plaintext = new byte[len];
            random.nextBytes(plaintext);
            byte[] sealed = new byte[len + Aead.TAG_LEN];
            byte[] expected = new byte[len + Aead.TAG_LEN];
            aead.seal(key, i, plaintext, 0, len, null, sealed, 0);
            JdkChaCha20Poly1305.INSTANCE.seal(key, i, plaintext, 0, len, null, expected, 0);
            byte[] opened = new byte[len];
            if (Arrays.equals(expected, sealed) && aead.open(key, i, sealed, 0, sealed.length, null, opened, 0) == len
                    && Arrays.equals(plaintext, opened)) {
                good++;
            }
        }
        return good;
    }

    @Test
    void opensslBackendIsAvailable() {
        assumeTrue(OpenSslChaCha20Poly1305.instance().isPresent(),
                () -> "libcrypto unavailable: " + OpenSslChaCha20Poly1305.unavailableReason());
        assertEquals("openssl", OpenSslChaCha20Poly1305.instance().orElseThrow().name());
        assertTrue(OpenSslChaCha20Poly1305.version().startsWith("OpenSSL "), OpenSslChaCha20Poly1305.version());
        // OpenSSL 3 has provider dispatch tables: the default instance must call them directly, not fall back to EVP.
        if (OpenSslChaCha20Poly1305.version().startsWith("OpenSSL 3")) {
            assertTrue(((OpenSslChaCha20Poly1305) OpenSslChaCha20Poly1305.instance().orElseThrow()).direct(),
                "OpenSSL 3 loaded, yet its provider functions could not be called directly");
        }
        assertEquals("openssl-evp", OpenSslChaCha20Poly1305.evpInstance().orElseThrow().name());
        assertFalse(OpenSslChaCha20Poly1305.evpInstance().orElseThrow().direct());
    }

    /** Native code never sees a range outside the arrays: short buffers and keys throw before OpenSSL runs. */
    @Test
    void opensslRefusesRangesOutsideTheArrays() {
        assumeTrue(OpenSslChaCha20Poly1305.instance().isPresent(),
                () -> "libcrypto unavailable: " + OpenSslChaCha20Poly1305.unavailableReason());
        refusesRangesOutsideTheArrays(OpenSslChaCha20Poly1305.instance().orElseThrow());
    }

    private static void refusesRangesOutsideTheArrays(Aead o) {
        byte[] key = new byte[Aead.KEY_LEN];
        byte[] src = new byte[100];
        assertThrows(IndexOutOfBoundsException.class, () -> o.seal(key, 0, src, 0, 100, null, new byte[115], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> o.seal(key, 0, src, 1, 100, null, new byte[116], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> o.seal(new byte[31], 0, src, 0, 10, null, src, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> o.open(key, 0, src, 0, 100, null, new byte[83], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> o.open(key, 0, src, 50, 51, null, src, 0));
        byte[] sealed = new byte[116];
        assertEquals(116, o.seal(key, 0, src, 0, 100, null, sealed, 0));
    }

    /** Unforced, the default is libgcrypt when it loads, else OpenSSL, else the JDK; forced, each native one. */
    @Test
    void defaultBackendPrefersLibgcryptThenOpenSsl() {
        String openssl = OpenSslChaCha20Poly1305.instance().isPresent() ? "openssl" : "jdk";
        String expected = GcryptChaCha20Poly1305.instance().isPresent() ? "libgcrypt" : openssl;
        if (System.getProperty(AeadSelection.PROPERTY) == null) {
            assertEquals(expected, Aead.defaultBackend().name());
        }
        assertEquals(expected, AeadSelection.choose(null).aead().name());
        assertEquals(openssl, AeadSelection.choose("openssl").aead().name());
        assertTrue(AeadSelection.choose("openssl").line().startsWith("veil: AEAD backend " + openssl
            + " (veil.aead=openssl, "), AeadSelection.choose("openssl").line());
        AeadSelection.Choice gcrypt = AeadSelection.choose("libgcrypt");
        assertEquals(GcryptChaCha20Poly1305.instance().isPresent() ? "libgcrypt" : "jdk", gcrypt.aead().name());
        assertTrue(gcrypt.line().contains("(veil.aead=libgcrypt, "), gcrypt.line());
        AeadSelection.Choice unknown = AeadSelection.choose("rot13");
        assertEquals(expected, unknown.aead().name());
        assertTrue(unknown.line().endsWith("ignored unknown veil.aead=rot13"), unknown.line());
        assertTrue(AeadSelection.choose("").line().startsWith("veil: AEAD backend " + expected + " ("));
    }

    @Test
    void libgcryptBackendIsAvailable() {
        assumeTrue(GcryptChaCha20Poly1305.instance().isPresent(),
                () -> "libgcrypt unavailable: " + GcryptChaCha20Poly1305.unavailableReason());
        assertEquals("libgcrypt", GcryptChaCha20Poly1305.instance().orElseThrow().name());
        assertTrue(GcryptChaCha20Poly1305.version().matches("\\d+\\.\\d+.*"), GcryptChaCha20Poly1305.version());
        assertNull(AeadSelection.selfTest(GcryptChaCha20Poly1305.instance().orElseThrow()));
    }

    /** Native code never sees a range outside the arrays: short buffers and keys throw before libgcrypt runs. */
    @Test
    void libgcryptRefusesRangesOutsideTheArrays() {
        assumeTrue(GcryptChaCha20Poly1305.instance().isPresent(),
                () -> "libgcrypt unavailable: " + GcryptChaCha20Poly1305.unavailableReason());
        refusesRangesOutsideTheArrays(GcryptChaCha20Poly1305.instance().orElseThrow());
    }

    @Test
    void propertyForcesABackend() {
        assertEquals("jdk", AeadSelection.choose("jdk").aead().name());
        assertEquals("bouncycastle", AeadSelection.choose(" bouncycastle ").aead().name());
        assertEquals("veil: AEAD backend jdk (veil.aead=jdk)", AeadSelection.choose("jdk").line());
        AeadSelection.Choice sodium = AeadSelection.choose("libsodium");
        String expected = SodiumChaCha20Poly1305.instance().isPresent() ? "libsodium" : "jdk";
        assertEquals(expected, sodium.aead().name());
        assertTrue(sodium.line().startsWith("veil: AEAD backend " + expected + " (veil.aead=libsodium, "), sodium.line());
    }

    /** The self-test passes the real backends and catches one that leaves plaintext behind or seals wrongly. */
    @Test
    void selfTestTellsGoodBackendsFromBroken() {
        assertNull(AeadSelection.selfTest(BcChaCha20Poly1305.INSTANCE));
        OpenSslChaCha20Poly1305.instance().ifPresent(o -> assertNull(AeadSelection.selfTest(o)));
        Aead leaky = new Aead() {
            @Override public String name() { return "leaky"; }
            @Override public int seal(byte[] k, long c, byte[] s, int so, int l, byte[] a, byte[] d, int o) {
                return BcChaCha20Poly1305.INSTANCE.seal(k, c, s, so, l, a, d, o);
            }
            @Override public int open(byte[] k, long c, byte[] s, int so, int l, byte[] a, byte[] d, int o) {
                int n = BcChaCha20Poly1305.INSTANCE.open(k, c, s, so, l, a, d, o);
                if (n < 0) Arrays.fill(d, o, o + l - Aead.TAG_LEN, (byte) 1);
                return n;
            }
        };
        assertEquals("a tampered tag of 1 bytes was not refused", AeadSelection.selfTest(leaky));
        Aead wrong = new Aead() {
            @Override public String name() { return "wrong"; }
            @Override public int seal(byte[] k, long c, byte[] s, int so, int l, byte[] a, byte[] d, int o) {
                return BcChaCha20Poly1305.INSTANCE.seal(k, c + 1, s, so, l, a, d, o);
            }
            @Override public int open(byte[] k, long c, byte[] s, int so, int l, byte[] a, byte[] d, int o) {
                return -1;
            }
        };
        assertEquals("seal of 0 bytes differs from the JDK's", AeadSelection.selfTest(wrong));
    }
}
