package dev.veil.crypto;

import static dev.veil.crypto.Hex.bytes;
import static dev.veil.crypto.Hex.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Known answers for {@link X25519}: RFC 7748 section 5.2 (single and iterated vectors) and section 6.1 (the
 * Alice and Bob exchange), the refusal of low-order public keys, and clamping.
 */
class X25519Test {
    private static final String ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    private static byte[] dh(byte[] privateKey, byte[] publicKey) {
        byte[] out = new byte[X25519.KEY_LEN];
        assertTrue(X25519.sharedSecret(privateKey, publicKey, out), "DH result was refused");
        return out;
    }

    /** RFC 7748 section 5.2: the scalars are not clamped in the vectors; X25519 clamps them itself. */
    @ParameterizedTest
    @CsvSource({
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4, "
                + "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c, "
                + "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d, "
                + "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493, "
                + "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    })
    void rfc7748Section5_2(String scalar, String u, String expected) {
        assertEquals(expected, string(dh(bytes(scalar), bytes(u))));
    }

    /** RFC 7748 section 5.2, iterated: k = u = 9; repeatedly (k, u) = (X25519(k, u), k). */
    @Test
    void rfc7748Section5_2Iterated() {
        byte[] k = bytes("0900000000000000000000000000000000000000000000000000000000000000");
        byte[] u = k.clone();
        for (int i = 1; i <= 1000; i++) {
            byte[] next = dh(k, u);
            u = k;
            k = next;
            if (i == 1) {
                assertEquals("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", string(k));
            }
        }
        assertEquals("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", string(k));
    }

    /** RFC 7748 section 6.1: public keys from private keys, and both sides reach the same secret. */
    @Test
    void rfc7748Section6_1() {
        assertEquals(ALICE_PUBLIC, string(X25519.publicKey(bytes(ALICE_PRIVATE))));
        assertEquals(BOB_PUBLIC, string(X25519.publicKey(bytes(BOB_PRIVATE))));
        assertEquals(SHARED, string(dh(bytes(ALICE_PRIVATE), bytes(BOB_PUBLIC))));
        assertEquals(SHARED, string(dh(bytes(BOB_PRIVATE), bytes(ALICE_PUBLIC))));
    }

    /**
     * Public keys of small order (0, 1, the two points of order 8, p-1, p, p+1) give an all-zero result, which
     * WireGuard refuses: sharedSecret returns false and leaves out zeroed.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    })
    void lowOrderPublicKeyIsRefused(String publicKey) {
        byte[] out = new byte[X25519.KEY_LEN];
        Arrays.fill(out, (byte) 0x55);
        assertFalse(X25519.sharedSecret(bytes(ALICE_PRIVATE), bytes(publicKey), out));
        assertArrayEquals(new byte[X25519.KEY_LEN], out);
    }

    @Test
    void clampClearsLowBitsAndTopBitAndSetsBit254() {
        byte[] k = bytes("ff".repeat(32));
        assertEquals("f8" + "ff".repeat(30) + "7f", string(X25519.clamp(k)));
        byte[] zero = new byte[32];
        assertEquals("00".repeat(31) + "40", string(X25519.clamp(zero)));
    }

    @Test
    void clampIsIdempotentAndDoesNotChangeThePublicKey() {
        byte[] raw = bytes(ALICE_PRIVATE);
        byte[] clamped = X25519.clamp(raw.clone());
        assertEquals("70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a", string(clamped));
        assertArrayEquals(clamped, X25519.clamp(clamped.clone()));
        assertArrayEquals(X25519.publicKey(raw), X25519.publicKey(clamped));
    }

    @Test
    void generatedKeysAreClampedAndAgree() {
        SecureRandom random = new SecureRandom(new byte[] {1, 2, 3});
        byte[] a = X25519.generatePrivateKey(random);
        byte[] b = X25519.generatePrivateKey(random);
        assertArrayEquals(a, X25519.clamp(a.clone()));
        assertArrayEquals(dh(a, X25519.publicKey(b)), dh(b, X25519.publicKey(a)));
    }
}
