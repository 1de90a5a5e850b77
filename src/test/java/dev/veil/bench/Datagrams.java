package dev.veil.bench;

import static dev.veil.core.Protocol.*;

import dev.veil.core.Forge;
import dev.veil.crypto.X25519;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The datagrams {@link Flood} sends, built against one victim's public key: valid-mac1 initiations for the flood,
 * and every kind of unauthenticated datagram for the silence mode. Generators hold their own random state; not
 * thread-safe (the flood sends from one thread).
 */
final class Datagrams {
    private final byte[] victim;
    private final Forge.Mac1 mac1;
    private final Random random;
    private final SecureRandom keys;
    private final byte[] floodTemplate;

    Datagrams(byte[] victimPublicKey, long seed) {
        this.victim = victimPublicKey.clone();
        this.mac1 = new Forge.Mac1(victim);
        this.random = new Random(seed);
        this.keys = new SecureRandom();
        this.floodTemplate = unknownKeyInitiation();
    }

    /**
     * A flood initiation: the template with a new sender index and ephemeral key and a valid mac1. The responder must
     * run a Diffie-Hellman to find out it is bogus, unless it is under load and asks for a cookie instead.
     */
    byte[] floodInitiation() {
        byte[] m = floodTemplate.clone();
        fill(m, 4, 4 + 4 + 32);  // sender index and ephemeral
        mac1.sign(m);
        return m;
    }

    /**
     * The silence kinds by name, each a supplier of datagrams none of which may be answered. The replay kind is
     * present only with a {@code replay} datagram (an initiation the victim has already consumed).
     */
    Map<String, Supplier<byte[]>> silenceKinds(byte[] replay) {
        Map<String, Supplier<byte[]>> k = new LinkedHashMap<>();
        k.put("random_bytes", cycle(List.of(0, 1, 3, 4, 5, 16, 31, 32, 33, 63, 64, 65, 91, 92, 93, 147, 148, 149, 500,
            1280, 1472, 8000), len -> random(len, -1)));
        List<Supplier<byte[]>> truncated = new ArrayList<>(), oversized = new ArrayList<>();
        int[][] sizes = {{MESSAGE_INITIATION, INITIATION_SIZE}, {MESSAGE_RESPONSE, RESPONSE_SIZE},
            {MESSAGE_COOKIE_REPLY, COOKIE_REPLY_SIZE}};
        for (int[] s : sizes) {
            for (int len : new int[] {4, 5, s[1] / 2, s[1] - 1}) truncated.add(() -> random(len, s[0]));
            for (int len : new int[] {s[1] + 1, s[1] + 64, 1472}) oversized.add(() -> random(len, s[0]));
        }
        for (int len : new int[] {4, 5, 16, TRANSPORT_MIN_SIZE - 1}) {
            truncated.add(() -> random(len, MESSAGE_TRANSPORT));
        }
        // A transport message has no maximum size; an oversized one is as large as UDP carries, to an unknown index.
        oversized.add(() -> random(65_000, MESSAGE_TRANSPORT));
        k.put("truncated", roundRobin(truncated));
        k.put("oversized", roundRobin(oversized));
        k.put("bad_mac1", roundRobin(List.of(
            () -> random(INITIATION_SIZE, MESSAGE_INITIATION),
            () -> random(RESPONSE_SIZE, MESSAGE_RESPONSE),
            () -> {
                byte[] m = floodInitiation();
                m[INITIATION_SIZE - 32] ^= 1;  // one bit of mac1
                return m;
            })));
        k.put("unknown_key", this::unknownKeyInitiation);
        k.put("response_unknown_index", () -> {
            byte[] m = random(RESPONSE_SIZE, MESSAGE_RESPONSE);
            mac1.sign(m);
            return m;
        });
        if (replay != null) k.put("replayed_initiation", replay::clone);
        k.put("transport_unknown_index", () -> random(TRANSPORT_MIN_SIZE + random.nextInt(1400), MESSAGE_TRANSPORT));
        k.put("cookie_unknown_index", () -> random(COOKIE_REPLY_SIZE, MESSAGE_COOKIE_REPLY));
        return k;
    }

    /** A complete initiation with a valid mac1 from a fresh key pair the victim does not know. */
    byte[] unknownKeyInitiation() {
        return Forge.initiation(X25519.generatePrivateKey(keys), victim, random.nextInt(),
            System.currentTimeMillis() * 1_000_000L, keys);
    }

    /** {@code len} random bytes; with a type (≥ 0) the first four bytes are that message header. */
    private byte[] random(int len, int type) {
        byte[] b = new byte[len];
        random.nextBytes(b);
        if (type >= 0 && len >= 4) {
            b[0] = (byte) type;
            b[1] = b[2] = b[3] = 0;
        }
        return b;
    }

    private void fill(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) b[i] = (byte) random.nextInt();
    }

    private static Supplier<byte[]> cycle(List<Integer> lengths, java.util.function.IntFunction<byte[]> make) {
        return roundRobin(lengths.stream().<Supplier<byte[]>>map(len -> () -> make.apply(len)).toList());
    }

    private static Supplier<byte[]> roundRobin(List<Supplier<byte[]>> all) {
        int[] next = {0};
        return () -> all.get(next[0]++ % all.size()).get();
    }
}
