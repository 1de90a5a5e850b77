package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.crypto.Aead;
import dev.veil.crypto.BcChaCha20Poly1305;
import dev.veil.crypto.Blake2s;
import dev.veil.crypto.JdkChaCha20Poly1305;
import dev.veil.crypto.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NoiseIk} against the Noise project's known answers: the {@code Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s} entry
 * of cacophony.txt (copied verbatim from mcginty/snow, {@code tests/vectors/cacophony.txt}, into
 * {@code src/test/resources/noise/ikpsk2-cacophony.json}), driven through the calls WireGuard's handshake makes, with
 * both AEAD backends; and WireGuard's Ci and Hi from PROTOCOL.md.
 */
class NoiseIkTest {
    private static final HexFormat HEX = HexFormat.of();

    /** The vector's fields; {@code payloads[i]} and {@code ciphertexts[i]} are message i. */
    private record Vector(byte[] prologue, byte[] psk, byte[] initStatic, byte[] initEphemeral, byte[] respStatic,
                          byte[] respEphemeral, byte[] handshakeHash, List<byte[]> payloads, List<byte[]> ciphertexts) {}

    private static Vector load() throws IOException {
        String json;
        try (InputStream in = NoiseIkTest.class.getResourceAsStream("/noise/ikpsk2-cacophony.json")) {
            assertNotNull(in, "test resource noise/ikpsk2-cacophony.json");
            json = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertEquals("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", field(json, "\"protocol_name\":\\s*\"([^\"]+)\""));
        assertEquals(field(json, "\"init_prologue\":\\s*\"(\\p{XDigit}*)\""), field(json, "\"resp_prologue\":\\s*\"(\\p{XDigit}*)\""));
        List<byte[]> payloads = new ArrayList<>();
        List<byte[]> ciphertexts = new ArrayList<>();
        Matcher m = Pattern.compile("\"payload\":\\s*\"(\\p{XDigit}*)\",\\s*\"ciphertext\":\\s*\"(\\p{XDigit}*)\"").matcher(json);
        while (m.find()) {
            payloads.add(HEX.parseHex(m.group(1)));
            ciphertexts.add(HEX.parseHex(m.group(2)));
        }
        assertEquals(6, payloads.size(), "two handshake messages and four transport messages");
        return new Vector(hex(json, "init_prologue"), hex(json, "init_psks"), hex(json, "init_static"),
            hex(json, "init_ephemeral"), hex(json, "resp_static"), hex(json, "resp_ephemeral"),
            hex(json, "handshake_hash"), payloads, ciphertexts);
    }

    /** The hex string under a key, or the first one of the array under it. */
    private static byte[] hex(String json, String key) {
        return HEX.parseHex(field(json, "\"" + key + "\":\\s*\\[?\\s*\"(\\p{XDigit}*)\""));
    }

    private static String field(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        assertTrue(m.find(), regex);
        return m.group(1);
    }

    static List<Arguments> backends() {
        return List.of(Arguments.of(JdkChaCha20Poly1305.INSTANCE), Arguments.of(BcChaCha20Poly1305.INSTANCE));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void cacophonyVectorHandshakeAndTransport(Aead aead) throws IOException {
        Vector v = load();
        MemoryStaticKey initStatic = new MemoryStaticKey(v.initStatic());
        MemoryStaticKey respStatic = new MemoryStaticKey(v.respStatic());
        byte[] respPub = respStatic.publicKey();
        byte[] initPub = initStatic.publicKey();

        // Message 0, initiator -> responder: e, es, s, ss and the payload.
        NoiseIk initiator = NoiseIk.start(aead, v.prologue(), respPub);
        byte[] initSs = new byte[32];
        assertTrue(initStatic.dh(respPub, initSs));
        byte[] p0 = v.payloads().get(0);
        byte[] msg0 = new byte[32 + 48 + p0.length + 16];
        int n0 = initiator.writeMessageA(v.initEphemeral().clone(), respPub, initStatic, initSs, p0, msg0, 0);
        assertEquals(msg0.length, n0);
        assertArrayEquals(v.ciphertexts().get(0), msg0, "message 0");

        NoiseIk responder = NoiseIk.start(aead, v.prologue(), respPub);
        byte[] initEphemeralPub = new byte[32];
        byte[] rs = responder.readMessageAStatic(respStatic, msg0, 0, initEphemeralPub);
        assertArrayEquals(initPub, rs, "the responder learns the initiator's static key");
        assertArrayEquals(X25519.publicKey(v.initEphemeral()), initEphemeralPub);
        byte[] respSs = new byte[32];
        assertTrue(respStatic.dh(rs, respSs));
        assertArrayEquals(initSs, respSs);
        assertArrayEquals(p0, responder.readMessageAPayload(respSs, msg0, 0, p0.length), "payload 0");

        // Message 1, responder -> initiator: e, ee, se, psk and the payload.
        byte[] p1 = v.payloads().get(1);
        byte[] msg1 = new byte[32 + p1.length + 16];
        int n1 = responder.writeMessageB(v.respEphemeral().clone(), initEphemeralPub, rs, v.psk(), p1, msg1, 0);
        assertEquals(msg1.length, n1);
        assertArrayEquals(v.ciphertexts().get(1), msg1, "message 1");
        assertArrayEquals(p1, initiator.readMessageB(v.initEphemeral().clone(), initStatic, v.psk(), msg1, 0, p1.length),
            "payload 1");

        assertArrayEquals(v.handshakeHash(), initiator.hash, "initiator's handshake hash");
        assertArrayEquals(v.handshakeHash(), responder.hash, "responder's handshake hash");

        // Transport: split()[0] carries initiator -> responder, split()[1] the reverse; each nonce counts from 0.
        byte[][] ik = initiator.split();
        byte[][] rk = responder.split();
        assertArrayEquals(ik[0], rk[0]);
        assertArrayEquals(ik[1], rk[1]);
        long[] counters = new long[2];
        for (int i = 2; i < v.payloads().size(); i++) {
            int dir = i % 2;  // 0: initiator sends, 1: responder sends
            byte[] key = ik[dir];
            byte[] p = v.payloads().get(i);
            byte[] c = new byte[p.length + Aead.TAG_LEN];
            long counter = counters[dir]++;
            aead.seal(key, counter, p, 0, p.length, null, c, 0);
            assertArrayEquals(v.ciphertexts().get(i), c, "message " + i);
            byte[] back = new byte[p.length];
            assertEquals(p.length, aead.open(rk[dir], counter, c, 0, c.length, null, back, 0));
            assertArrayEquals(p, back);
        }
    }

    @Test
    void wrongPskFailsMessageB() throws IOException {
        Vector v = load();
        Aead aead = Aead.defaultBackend();
        MemoryStaticKey initStatic = new MemoryStaticKey(v.initStatic());
        byte[] respPub = X25519.publicKey(v.respStatic());
        NoiseIk initiator = NoiseIk.start(aead, v.prologue(), respPub);
        byte[] ss = new byte[32];
        assertTrue(initStatic.dh(respPub, ss));
        byte[] p0 = v.payloads().get(0);
        byte[] msg0 = new byte[32 + 48 + p0.length + 16];
        initiator.writeMessageA(v.initEphemeral().clone(), respPub, initStatic, ss, p0, msg0, 0);
        byte[] otherPsk = v.psk().clone();
        otherPsk[0] ^= 1;
        assertNull(initiator.readMessageB(v.initEphemeral().clone(), initStatic, otherPsk, v.ciphertexts().get(1), 0,
            v.payloads().get(1).length));
    }

    @Test
    void initialChainKeyAndHashAreWireGuardsCiAndHi() {
        byte[] ci = HEX.parseHex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
        byte[] hi = HEX.parseHex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
        assertArrayEquals(ci, NoiseIk.INITIAL_CHAIN_KEY);
        byte[] responderStatic = X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(1)));
        NoiseIk n = NoiseIk.start(Aead.defaultBackend(), Protocol.IDENTIFIER, responderStatic);
        assertArrayEquals(ci, n.chainKey, "mixHash leaves the chaining key alone");
        assertArrayEquals(Blake2s.hash(hi, responderStatic), n.hash,
            "h = HASH(Hi || S_r pub): the hash after mixing the identifier is Hi");
    }
}
