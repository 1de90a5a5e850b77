package dev.veil.core;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH throughput of the per-packet data path over an established session, with {@value #PACKET}-byte inner IPv4
 * packets (a full packet at the default MTU), in packets per second; × {@value #PACKET} × 8 gives inner bits per
 * second. {@code encapsulate}: {@link Node#send} on A (routing, padding, sealing into the node's scratch buffer).
 * {@code decapsulate}: {@link Node#receive} on B of datagrams A sealed beforehand, cycling through a ring of
 * {@value #RING} with increasing counters and resetting B's replay window when the ring starts over (a 1-in-1024
 * cost). {@code roundTrip}: A seals and B opens the same packet in one operation. {@code encapsulateInSteps} and
 * {@code decapsulateInSteps} take the device's path instead (prepare, seal or open in place in a reusable buffer,
 * complete), including the copy of the packet into that buffer that a read into it would do. The datagram and the
 * delivered packet are handed over by reference, never copied; A and B never do I/O. Run it with {@code
 * bench/jmh.sh TransportBenchmark -prof gc}. Public because JMH requires it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TransportBenchmark {
    static final int PACKET = 1420;
    static final int RING = 1024;

    private final byte[] packet = Pair.aToB(PACKET - 20);
    private final byte[][] sealed = new byte[RING][];
    private BenchPair pair;
    private Node a;
    private Node b;
    private BenchPair.Capture atA;
    private BenchPair.Capture atB;
    private int next;
    private final byte[] inPlace = new byte[PACKET + 64];
    private final OutboundElement outbound = new OutboundElement();
    private final InboundElement inbound = new InboundElement();

    @Setup
    public void setUp() {
        pair = new BenchPair();
        a = pair.a;
        b = pair.b;
        atA = pair.atA;
        atB = pair.atB;
        // A's keepalive confirms the session at B, which promotes it to current.
        if (pair.handshake() != Result.Ok.RESPONSE || pair.deliverToB() != Result.Ok.KEEPALIVE) {
            throw new IllegalStateException("no session");
        }
        for (int i = 0; i < RING; i++) {
            if (a.send(packet, 0, PACKET, atA) != Result.Ok.SENT) throw new IllegalStateException("not sent");
            sealed[i] = Arrays.copyOfRange(atA.data, atA.off, atA.off + atA.len);
        }
        if (decapsulate() != Result.Ok.DATA || atB.delivered != PACKET) throw new IllegalStateException("not opened");
        if (roundTrip() != Result.Ok.DATA) throw new IllegalStateException("round trip failed");
        next = 0;  // the first measured decapsulate resets the window
    }

    /** A routes, pads and seals one packet. */
    @Benchmark
    public Result encapsulate() {
        return a.send(packet, 0, PACKET, atA);
    }

    /** B opens, checks and delivers one datagram sealed beforehand. */
    @Benchmark
    public Result decapsulate() {
        int i = next;
        if (i == 0) pair.bPeer.current.replay.reset();
        next = (i + 1) & (RING - 1);
        byte[] d = sealed[i];
        return b.receive(d, 0, d.length, pair.aEndpoint, atB);
    }

    /** The device's path on A: prepare (route, reserve a counter) then seal in place into a reusable buffer. */
    @Benchmark
    public int encapsulateInSteps() {
        System.arraycopy(packet, 0, inPlace, 0, PACKET);
        a.prepareSend(inPlace, 0, PACKET, outbound, atA);
        return outbound.seal(inPlace, 0, inPlace, 0);
    }

    /** The device's path on B: prepare (index lookup), open in place, complete (replay check and the rest). */
    @Benchmark
    public Result decapsulateInSteps() {
        int i = next;
        if (i == 0) pair.bPeer.current.replay.reset();
        next = (i + 1) & (RING - 1);
        byte[] d = sealed[i];
        System.arraycopy(d, 0, inPlace, 0, d.length);
        b.prepareReceive(inPlace, 0, d.length, inbound);
        inbound.open(inPlace, 0, inPlace, Protocol.TRANSPORT_HEADER_SIZE);
        return b.completeReceive(inbound, inPlace, Protocol.TRANSPORT_HEADER_SIZE, pair.aEndpoint, atB);
    }

    /** A seals one packet and B opens it. */
    @Benchmark
    public Result roundTrip() {
        a.send(packet, 0, PACKET, atA);
        return pair.deliverToB();
    }
}
