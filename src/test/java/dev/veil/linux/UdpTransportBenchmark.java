package dev.veil.linux;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH throughput of {@link UdpTransport} over IPv4 loopback: one invocation sends a batch of 64 datagrams from one
 * transport and receives all 64 on another, on the same thread; scores are datagrams per second (and B/op per
 * datagram with {@code -prof gc}). The {@code path} parameter picks how the transports move datagrams:
 * {@code gso-gro} (the default: 64 messages per recvmmsg/sendmmsg, UDP GSO and GRO), {@code mmsg} (64 per call,
 * no offload: {@code veil.udp.offload=false}) and {@code single} (one datagram per system call, the old behaviour:
 * {@code veil.udp.batch=1 veil.udp.offload=false}). Run it with {@code bench/udp.sh}. Public because JMH requires it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(UdpTransportBenchmark.BATCH)
public class UdpTransportBenchmark {
    static final int BATCH = 64;

    @Param({"gso-gro", "mmsg", "single"})
    public String path;

    /** Datagram size: a full-MTU WireGuard packet (1420 inner + 32) by default. */
    @Param({"1452"})
    public int size;

    private UdpTransport sender;
    private UdpTransport receiver;
    private PacketBatch out;
    private PacketBatch in;
    private volatile long progress;
    private Thread watchdog;

    @Setup
    public void setUp() throws IOException {
        UdpTransport.Options options = switch (path) {
            case "gso-gro" -> new UdpTransport.Options(BATCH, true, true);
            case "mmsg" -> new UdpTransport.Options(BATCH, false, false);
            case "single" -> new UdpTransport.Options(1, false, false);
            default -> throw new IllegalArgumentException("unknown path " + path);
        };
        sender = UdpTransport.open(0, 0, options);
        receiver = UdpTransport.open(0, 0, options);
        Endpoint to = new Endpoint(new byte[] {127, 0, 0, 1}, receiver.localPort());
        out = new PacketBatch(BATCH, 65536);
        in = new PacketBatch(BATCH, 65536);
        byte[] d = new byte[size];
        new Random(1).nextBytes(d);
        for (int i = 0; i < BATCH; i++) out.add(d, 0, size, to);
        // A lost datagram would block receive for ever: close the receiver when nothing moves for 10 s.
        watchdog = Thread.ofPlatform().daemon().name("veil-bench-watchdog").start(() -> {
            long seen = -1;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    return;
                }
                if (progress == seen) receiver.close();
                seen = progress;
            }
        });
    }

    @TearDown
    public void tearDown() {
        watchdog.interrupt();
        sender.close();
        receiver.close();
    }

    @Benchmark
    public int sendAndReceive() throws IOException {
        sender.send(out);
        int got = 0;
        while (got < BATCH) {
            int n = receiver.receive(in);
            if (n < 0) throw new IOException("datagrams were lost; stats " + receiver.stats());
            got += n;
        }
        progress++;
        return got;
    }
}
