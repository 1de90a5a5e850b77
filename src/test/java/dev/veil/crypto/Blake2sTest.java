package dev.veil.crypto;

import static dev.veil.crypto.Hex.bytes;
import static dev.veil.crypto.Hex.counting;
import static dev.veil.crypto.Hex.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known answers for {@link Blake2s}: RFC 7693 (the "abc" example and the Appendix E self-test), the BLAKE2 team's
 * keyed KAT file, HMAC-BLAKE2s, and the Noise/WireGuard constants Ci and Hi from PROTOCOL.md.
 */
class Blake2sTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** RFC 7693 Appendix B: BLAKE2s-256("abc"). */
    @Test
    void rfc7693Abc() {
        assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
                string(Blake2s.hash(ascii("abc"))));
    }

    /** BLAKE2s-256 of the empty input (blake2s-kat.txt's unkeyed file starts with it). */
    @Test
    void emptyInput() {
        assertEquals("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9",
                string(Blake2s.hash(new byte[0])));
    }

    @Test
    void hashOfPartsIsHashOfConcatenation() {
        assertArrayEquals(Blake2s.hash(ascii("abc")), Blake2s.hash(ascii("a"), new byte[0], ascii("bc")));
    }

    /**
     * RFC 7693 Appendix E: hash the unkeyed and keyed digests of inputs of 0, 3, 64, 65, 255 and 1024 bytes for
     * output lengths 16, 20, 28 and 32; the BLAKE2s-256 of all 48 must be the published value.
     */
    @Test
    void rfc7693SelfTest() {
        int[] outLens = {16, 20, 28, 32};
        int[] inLens = {0, 3, 64, 65, 255, 1024};
        Blake2sDigest grand = new Blake2sDigest(256);
        for (int outLen : outLens) {
            for (int inLen : inLens) {
                byte[] in = selfTestSequence(inLen, inLen);
                byte[] unkeyed = Blake2s.keyed(null, outLen, in);
                grand.update(unkeyed, 0, unkeyed.length);
                byte[] keyed = Blake2s.keyed(selfTestSequence(outLen, outLen), outLen, in);
                grand.update(keyed, 0, keyed.length);
            }
        }
        byte[] result = new byte[32];
        grand.doFinal(result, 0);
        assertEquals("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", string(result));
    }

    /** RFC 7693 Appendix E's deterministic byte sequence (a Fibonacci generator seeded with {@code seed}). */
    private static byte[] selfTestSequence(int len, int seed) {
        byte[] out = new byte[len];
        int a = 0xDEAD4BAD * seed;
        int b = 1;
        for (int i = 0; i < len; i++) {
            int t = a + b;
            a = b;
            b = t;
            out[i] = (byte) (t >>> 24);
        }
        return out;
    }

    /**
     * blake2s-kat.txt from github.com/BLAKE2/BLAKE2 (testvectors/): key 00..1f, input 00..(n-1), 32-byte output.
     */
    @ParameterizedTest(name = "input length {0}")
    @CsvSource({
        "0,   48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
        "1,   40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1",
        "3,   1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b",
        "63,  c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd",
        "64,  8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4",
        "65,  21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8",
        "255, 3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd",
    })
    void keyedKat(int inputLength, String expected) {
        assertEquals(expected, string(Blake2s.keyed(counting(0, 32), 32, counting(0, inputLength))));
    }

    /** MAC is keyed BLAKE2s with a 16-byte output, not HMAC and not a truncated 32-byte hash. */
    @Test
    void macIsKeyedBlake2sWith16ByteOutput() {
        byte[] key = counting(0, 32);
        byte[] data = counting(0, 100);
        byte[] mac = Blake2s.mac(key, data, 10, 80);
        assertArrayEquals(Blake2s.keyed(key, 16, Arrays.copyOfRange(data, 10, 90)), mac);

        byte[] out = new byte[20];
        Blake2s.mac(key, data, 10, 80, out, 4);
        assertArrayEquals(mac, Arrays.copyOfRange(out, 4, 20));
    }

    /**
     * HMAC-BLAKE2s-256 (RFC 2104 over BLAKE2s, 64-byte blocks) on the inputs of RFC 4231 cases 1, 2 and 6. No
     * standard publishes these outputs; they were computed with two independent implementations that agreed:
     * Python's {@code hmac.new(key, msg, hashlib.blake2s)} and {@code openssl mac -digest BLAKE2S-256 HMAC}.
     * The third key is longer than a block, so it is hashed first.
     */
    @Test
    void hmac() {
        assertEquals("65a8b7c5cc9136d424e82c37e2707e74e913c0655b99c75f40edf387453a3260",
                string(Blake2s.hmac(bytes("0b".repeat(20)), ascii("Hi There"))));
        assertEquals("90b6281e2f3038c9056af0b4a7e763cae6fe5d9eb4386a0ec95237890c104ff0",
                string(Blake2s.hmac(ascii("Jefe"), ascii("what do ya want "), ascii("for nothing?"))));
        assertEquals("d23d79394f53d536a096e6514447eeaabb05ded01be32c1937da6a8f7103bc4e",
                string(Blake2s.hmac(bytes("aa".repeat(131)),
                        ascii("Test Using Larger Than Block-Size Key - Hash Key First"))));
    }

    /** PROTOCOL.md: Ci = HASH(Construction) and Hi = HASH(Ci || Identifier), as wireguard-go computes them. */
    @Test
    void noiseInitialChainKeyAndHash() {
        byte[] ci = Blake2s.hash(ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
        assertEquals("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", string(ci));
        byte[] hi = Blake2s.hash(ci, ascii("WireGuard v1 zx2c4 Jason@zx2c4.com"));
        assertEquals("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", string(hi));
    }
}
