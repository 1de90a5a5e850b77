package dev.veil.core;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH throughput of a full WireGuard handshake between two {@link Node}s on one thread, in handshakes per second:
 * A creates an initiation, B consumes it and answers, A consumes the response (and sends its keepalive, which B does
 * not receive). Each operation first moves a fake clock past REKEY_TIMEOUT, so neither A's one-initiation-in-flight
 * rule nor B's 20 ms flood check refuses it. Datagrams are handed over by reference, with no copy and no I/O. Run it
 * with {@code bench/jmh.sh HandshakeBenchmark -prof gc}. Public because JMH requires it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandshakeBenchmark {
    private static final long STEP = Protocol.REKEY_TIMEOUT + TimeUnit.MILLISECONDS.toNanos(1);
    private BenchPair pair;

    @Setup
    public void setUp() {
        pair = new BenchPair();
        for (int i = 0; i < 3; i++) {
            if (handshake() != Result.Ok.RESPONSE) throw new IllegalStateException("handshake failed");
        }
    }

    /** One handshake; RESPONSE when A consumed B's answer. */
    @Benchmark
    public Result handshake() {
        pair.clock.advanceNanos(STEP);
        return pair.handshake();
    }
}
