package dev.veil.crypto;

import static dev.veil.crypto.Hex.bytes;
import static dev.veil.crypto.Hex.counting;
import static dev.veil.crypto.Hex.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Known answers for {@link XChaCha20Poly1305} from draft-irtf-cfrg-xchacha-03: the HChaCha20 vector of section
 * 2.2.1 and the AEAD vector of Appendix A.3.1; plus tampering, short input and nonce length.
 */
class XChaCha20Poly1305Test {
    private static final byte[] KEY = counting(0x80, 32);
    private static final byte[] NONCE = counting(0x40, 24);
    private static final byte[] AAD = bytes("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip"
            + " for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final String SEALED = """
            bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39
            ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
            21f9664c97637da9768812f615c68b13b52e
            c0875924c1c7987947deafd8780acf49""".replaceAll("\\s", "");

    @Test
    void hchacha20Section2_2_1() {
        byte[] subkey = XChaCha20Poly1305.hchacha20(counting(0, 32), bytes("000000090000004a0000000031415927"));
        assertEquals("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc", string(subkey));
    }

    @Test
    void appendixA3_1Seal() {
        assertEquals(SEALED, string(XChaCha20Poly1305.seal(KEY, NONCE, PLAINTEXT, AAD)));
    }

    @Test
    void appendixA3_1Open() {
        assertArrayEquals(PLAINTEXT, XChaCha20Poly1305.open(KEY, NONCE, bytes(SEALED), AAD));
    }

    @Test
    void tamperingIsDetected() {
        byte[] sealed = bytes(SEALED);
        for (int i : new int[] {0, PLAINTEXT.length - 1, PLAINTEXT.length, sealed.length - 1}) {
            byte[] bad = sealed.clone();
            bad[i] ^= 0x04;
            assertNull(XChaCha20Poly1305.open(KEY, NONCE, bad, AAD), "byte " + i + " flipped");
        }
        byte[] badAad = AAD.clone();
        badAad[0] ^= 1;
        assertNull(XChaCha20Poly1305.open(KEY, NONCE, sealed, badAad), "aad flipped");
        // The first 16 nonce bytes feed HChaCha20 and the last 8 the inner nonce: both must count.
        for (int i : new int[] {0, 15, 16, 23}) {
            byte[] badNonce = NONCE.clone();
            badNonce[i] ^= 1;
            assertNull(XChaCha20Poly1305.open(KEY, badNonce, sealed, AAD), "nonce byte " + i + " flipped");
        }
    }

    @Test
    void inputShorterThanATagIsRefused() {
        assertNull(XChaCha20Poly1305.open(KEY, NONCE, new byte[Aead.TAG_LEN - 1], AAD));
    }

    @Test
    void nonceMustBe24Bytes() {
        assertThrows(IllegalArgumentException.class, () -> XChaCha20Poly1305.seal(KEY, new byte[12], PLAINTEXT, AAD));
        assertThrows(IllegalArgumentException.class,
                () -> XChaCha20Poly1305.open(KEY, new byte[25], bytes(SEALED), AAD));
    }
}
