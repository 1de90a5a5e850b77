package dev.veil.crypto;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH throughput of {@link Aead#seal} and {@link Aead#open} on 1420-byte packets (a full packet at the default
 * MTU) for each backend ({@code openssl-evp}: OpenSSL through its EVP API instead of the provider's functions), in
 * operations per second; multiply by 1420 for bytes per second. Sealing uses a fresh
 * counter each time, as WireGuard does; opening opens one sealed packet again and again. Run it with
 * {@code bench/jmh.sh AeadBenchmark}. Public because JMH requires it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AeadBenchmark {
    static final int PACKET = 1420;

    @Param({"jdk", "bouncycastle", "openssl", "openssl-evp", "libsodium", "libgcrypt"})
    public String backend;

    private Aead aead;
    private final byte[] key = new byte[Aead.KEY_LEN];
    private final byte[] plaintext = new byte[PACKET];
    private final byte[] sealed = new byte[PACKET + Aead.TAG_LEN];
    private final byte[] sealOut = new byte[PACKET + Aead.TAG_LEN];
    private final byte[] openOut = new byte[PACKET];
    private long counter;

    @Setup
    public void setUp() {
        aead = switch (backend) {
            case "jdk" -> JdkChaCha20Poly1305.INSTANCE;
            case "bouncycastle" -> BcChaCha20Poly1305.INSTANCE;
            case "openssl" -> OpenSslChaCha20Poly1305.instance().orElseThrow(() -> new IllegalStateException(
                    "openssl unavailable: " + OpenSslChaCha20Poly1305.unavailableReason()));
            case "openssl-evp" -> OpenSslChaCha20Poly1305.evpInstance().orElseThrow(() -> new IllegalStateException(
                    "openssl unavailable: " + OpenSslChaCha20Poly1305.unavailableReason()));
            case "libsodium" -> SodiumChaCha20Poly1305.instance().orElseThrow(() -> new IllegalStateException(
                "libsodium unavailable: " + SodiumChaCha20Poly1305.unavailableReason()));
            case "libgcrypt" -> GcryptChaCha20Poly1305.instance().orElseThrow(() -> new IllegalStateException(
                "libgcrypt unavailable: " + GcryptChaCha20Poly1305.unavailableReason()));
            default -> throw new IllegalArgumentException("unknown backend " + backend);
        };
        Random random = new Random(1);
        random.nextBytes(key);
        random.nextBytes(plaintext);
        aead.seal(key, 0, plaintext, 0, PACKET, null, sealed, 0);
        if (aead.open(key, 0, sealed, 0, sealed.length, null, openOut, 0) != PACKET) {
            throw new IllegalStateException(backend + " cannot open what it sealed");
        }
    }

    @Benchmark
    public int seal() {
        return aead.seal(key, ++counter, plaintext, 0, PACKET, null, sealOut, 0);
    }

    @Benchmark
    public int open() {
        return aead.open(key, 0, sealed, 0, sealed.length, null, openOut, 0);
    }
}
