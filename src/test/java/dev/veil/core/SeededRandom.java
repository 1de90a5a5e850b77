package dev.veil.core;

import java.security.SecureRandom;
import java.util.SplittableRandom;

/** Deterministic randomness for tests: a {@link SecureRandom} whose bytes come from a seeded generator. */
public final class SeededRandom extends SecureRandom {
    private final SplittableRandom r;

    public SeededRandom(long seed) {
        super(new byte[0]);
        this.r = new SplittableRandom(seed);
    }

    @Override
    public void nextBytes(byte[] bytes) {
        r.nextBytes(bytes);
    }
}
