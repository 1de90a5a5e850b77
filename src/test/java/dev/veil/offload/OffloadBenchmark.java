package dev.veil.offload;

import dev.veil.buffer.PacketBatch;
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
 * JMH throughput of the offload paths on one TCP super-packet of 65,296 payload bytes with gso_size 1368 (an MTU
 * of 1420 over IPv4 with TCP timestamps), in super-packets per second; × {@value #PAYLOAD} × 8 gives payload bits
 * per second.
 * {@code segment}: {@link Segmenter#load} and {@link Segmenter#drainInto} of the kernel-style super-packet into a
 * batch (48 segments, each with its headers and full TCP checksum). {@code coalesce}: {@link Coalescer#plan} over
 * those 48 segments (with their checksums verified) and {@link Coalescer#emit} of the one merged packet. Run it with
 * {@code bench/jmh.sh OffloadBenchmark -prof gc}. Public because JMH requires it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OffloadBenchmark {
    static final int GSO = 1368;
    static final int PAYLOAD = 47 * GSO + 1000;

    @Param({"tcp4", "tcp6"})
    public String kind;

    private byte[] superPacket;
    private final Segmenter segmenter = new Segmenter();
    private final Coalescer coalescer = new Coalescer();
    private final PacketBatch segments = new PacketBatch(64, 2048);
    private final PacketBatch scratch = new PacketBatch(64, 2048);
    private final byte[] out = new byte[Coalescer.MAX_OUTPUT];

    @Setup
    public void setUp() {
        Packets.Spec s = kind.equals("tcp6") ? Packets.tcp6() : Packets.tcp4();
        s.options = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        s.payload = PAYLOAD;
        superPacket = s.superPacket(GSO);
        if (!segmenter.load(superPacket, 0, superPacket.length) || segmenter.drainInto(segments) != 48) {
            throw new IllegalStateException("not 48 segments");
        }
        if (coalesce() != superPacket.length) throw new IllegalStateException("not merged back");
    }

    /** Cuts the super-packet into 48 wire-sized segments. */
    @Benchmark
    public int segment() {
        scratch.clear();
        segmenter.load(superPacket, 0, superPacket.length);
        return segmenter.drainInto(scratch);
    }

    /** Merges the 48 segments back into one super-packet and writes it out with its vnet header. */
    @Benchmark
    public int coalesce() {
        coalescer.plan(segments, true);
        int n = 0;
        for (int k = 0; k < coalescer.outputs(); k++) n += coalescer.emit(k, out, 0);
        return n;
    }
}
