package dev.veil.crypto;

import java.util.Arrays;
import java.util.Optional;

/**
 * Chooses {@link Aead#defaultBackend()} once per JVM and logs the choice in one line. The system property
 * {@value #PROPERTY} forces a backend ({@code jdk}, {@code bouncycastle}, {@code openssl}, {@code libsodium} or
 * {@code libgcrypt}); unset, libgcrypt is used when it loads and passes a self-test (the fastest on an AVX2 CPU, one
 * pass over the data; on an AVX-512 CPU OpenSSL is faster but holds about 4 MB more per process: BENCHMARKS.md),
 * else OpenSSL when libcrypto does, else the JDK, and the line names what was passed over and why. A forced native
 * backend that is unavailable or fails the self-test falls back to the JDK, and the line says why. Immutable after
 * class initialisation; thread-safe.
 */
final class AeadSelection {
    /** The system property that forces a backend. */
    static final String PROPERTY = "veil.aead";

    static final Aead DEFAULT = chooseAndLog();

    private AeadSelection() {}

    /** A backend and the line that explains why it was chosen. */
    record Choice(Aead aead, String line) {}

    private static Aead chooseAndLog() {
        Choice c = choose(System.getProperty(PROPERTY));
        System.getLogger("dev.veil.crypto").log(System.Logger.Level.INFO, c.line());
        return c.aead();
    }

    /** The backend for a value of {@value #PROPERTY} (null or empty when unset). */
    static Choice choose(String forced) {
        String wanted = forced == null ? "" : forced.trim();
        return switch (wanted) {
            case "jdk" -> new Choice(JdkChaCha20Poly1305.INSTANCE, "veil: AEAD backend jdk (" + PROPERTY + "=jdk)");
            case "bouncycastle" -> new Choice(BcChaCha20Poly1305.INSTANCE,
                "veil: AEAD backend bouncycastle (" + PROPERTY + "=bouncycastle)");
            case "" -> automatic();
            case "openssl" -> openSslOrJdk(PROPERTY + "=openssl, ");
            case "libsodium" -> sodiumOrJdk();
            case "libgcrypt" -> gcryptOrJdk(PROPERTY + "=libgcrypt, ");
            default -> {
                Choice auto = automatic();
                yield new Choice(auto.aead(), auto.line() + "; ignored unknown " + PROPERTY + "=" + wanted);
            }
        };
    }

    /** libgcrypt, else OpenSSL (saying why not libgcrypt), else the JDK. */
    private static Choice automatic() {
        Choice gcrypt = gcryptOrJdk("");
        if (gcrypt.aead() != JdkChaCha20Poly1305.INSTANCE) return gcrypt;
        String passedOver = gcrypt.line().substring(gcrypt.line().indexOf('(') + 1, gcrypt.line().length() - 1);
        return openSslOrJdk(passedOver + "; ");
    }

    private static Choice gcryptOrJdk(String why) {
        return nativeOrJdk("libgcrypt", "libgcrypt", why, GcryptChaCha20Poly1305.instance(),
            GcryptChaCha20Poly1305.unavailableReason(), GcryptChaCha20Poly1305.version());
    }

    private static Choice openSslOrJdk(String why) {
        return nativeOrJdk("openssl", "OpenSSL", why, OpenSslChaCha20Poly1305.instance(),
            OpenSslChaCha20Poly1305.unavailableReason(), OpenSslChaCha20Poly1305.version());
    }

    private static Choice sodiumOrJdk() {
        return nativeOrJdk("libsodium", "libsodium", PROPERTY + "=libsodium, ", SodiumChaCha20Poly1305.instance(),
            SodiumChaCha20Poly1305.unavailableReason(), SodiumChaCha20Poly1305.version());
    }

    /** A native backend when it loaded and passes the self-test, else the JDK with the reason in the line. */
    private static Choice nativeOrJdk(String name, String library, String why, Optional<Aead> candidate,
            String unavailable, String version) {
        if (candidate.isEmpty()) {
            return new Choice(JdkChaCha20Poly1305.INSTANCE,
                "veil: AEAD backend jdk (" + why + library + " unavailable: " + unavailable + ")");
        }
        String failure = selfTest(candidate.get());
        if (failure != null) {
            return new Choice(JdkChaCha20Poly1305.INSTANCE,
                "veil: AEAD backend jdk (" + why + library + " failed its self-test: " + failure + ")");
        }
        return new Choice(candidate.get(), "veil: AEAD backend " + name + " (" + why + version + ")");
    }

    /**
     * Checks a candidate against the JDK backend: both seal the same packets to the same bytes, the candidate opens
     * them, and refuses a tampered tag leaving zeros. Returns null when all agree, else what went wrong.
     */
    static String selfTest(Aead candidate) {
        Aead reference = JdkChaCha20Poly1305.INSTANCE;
        byte[] key = new byte[Aead.KEY_LEN];
        for (int i = 0; i < key.length; i++) key[i] = (byte) (i * 7 + 1);
        byte[] aad = {1, 2, 3, 4, 5};
        try {
            for (int len : new int[] {0, 1, 64, 1420}) {
                byte[] plaintext = new byte[len];
                for (int i = 0; i < len; i++) plaintext[i] = (byte) (i * 31 + len);
                byte[] expected = new byte[len + Aead.TAG_LEN];
                byte[] sealed = new byte[len + Aead.TAG_LEN];
                reference.seal(key, len, plaintext, 0, len, aad, expected, 0);
                candidate.seal(key, len, plaintext, 0, len, aad, sealed, 0);
                if (!Arrays.equals(expected, sealed)) return "seal of " + len + " bytes differs from the JDK's";
                byte[] opened = new byte[len];
                if (candidate.open(key, len, sealed, 0, sealed.length, aad, opened, 0) != len
                        || !Arrays.equals(plaintext, opened)) {
                    return "open of " + len + " bytes failed";
                }
                sealed[sealed.length - 1] ^= 1;
                if (candidate.open(key, len, sealed, 0, sealed.length, aad, opened, 0) != -1
                        || !Arrays.equals(new byte[len], opened)) {
                    return "a tampered tag of " + len + " bytes was not refused";
                }
            }
            return null;
        } catch (RuntimeException e) {
            return e.toString();
        }
    }
}
