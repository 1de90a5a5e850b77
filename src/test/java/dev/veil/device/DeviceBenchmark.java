package dev.veil.device;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.DatagramTransport;
import dev.veil.core.Endpoint;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Peer;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.tun.TunDevice;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH throughput of two whole {@link Device}s with their threads: A's TUN yields {@value #PACKET}-byte inner IPv4
 * packets as fast as A takes them, A routes and seals them, the datagrams cross an in-JVM pipe, B opens, checks
 * and delivers them to its TUN, which counts them. One operation is {@value #PER_OP} packets delivered at B, so
 * packets/s = ops/s × {@value #PER_OP} and B/packet = gc.alloc.rate.norm / {@value #PER_OP} (JMH's GC profiler
 * counts the allocation of every thread). {@code workers} is {@code veil.crypto.workers}.
 *
 * <p>The TUN and transport here are zero-allocation twins of {@code MemoryTun} and {@code MemoryTransport}
 * (which copy each packet into a new array by design, and keep what they deliver), so that the figure is the
 * device's own: a ring of preallocated datagram buffers with backpressure instead of a socket, a packet source
 * instead of a host. Run it with {@code bench/jmh.sh DeviceBenchmark -prof gc}. Public because JMH requires it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DeviceBenchmark {
    static final int PACKET = 1420;
    static final int PER_OP = 1024;

    @Param({"0", "1", "2"})
    public int workers;

    private Device a;
    private Device b;
    private SinkTun sink;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SecureRandom random = new SecureRandom();
        Endpoint ea = new Endpoint(new byte[] {(byte) 192, 0, 2, 1}, 51820);
        Endpoint eb = new Endpoint(new byte[] {(byte) 192, 0, 2, 2}, 51820);
        byte[] ia = {10, 0, 0, 1}, ib = {10, 0, 0, 2};
        Pipe aToB = new Pipe(ea), bToA = new Pipe(eb);
        sink = new SinkTun();
        SourceTun source = new SourceTun(Harness.ipv4(ia, ib, PACKET - 20));
        a = new Device("bencha", source, (port, mark) -> new PipeEnd(bToA, aToB), SystemClock.INSTANCE, random,
            Aead.defaultBackend(), workers);
        b = new Device("benchb", sink, (port, mark) -> new PipeEnd(aToB, bToA), SystemClock.INSTANCE, random,
            Aead.defaultBackend(), workers);
        byte[] ka = X25519.generatePrivateKey(random), kb = X25519.generatePrivateKey(random);
        a.configure(n -> {
            n.setStaticKey(new MemoryStaticKey(ka));
            Peer p = n.addPeer(X25519.publicKey(kb));
            p.setEndpoint(eb);
            n.allowedIps().insert(ib, 32, p);
            return null;
        });
        b.configure(n -> {
            n.setStaticKey(new MemoryStaticKey(kb));
            Peer p = n.addPeer(X25519.publicKey(ka));
            p.setEndpoint(ea);
            n.allowedIps().insert(ia, 32, p);
            return null;
        });
        b.start();
        a.start();
        sink.awaitMore(PER_OP);  // the handshake is done and packets flow
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }

    /** Waits until B delivered another {@value #PER_OP} packets. */
    @Benchmark
    public long deliver() throws InterruptedException {
        return sink.awaitMore(PER_OP);
    }

    /** A TUN whose host sends the same packet without pause: each read fills the whole batch. */
    static final class SourceTun implements TunDevice {
        private final byte[] packet;
        private volatile boolean closed;

        SourceTun(byte[] packet) { this.packet = packet; }

        @Override public String name() { return "source"; }
        @Override public int mtu() { return PACKET; }

        @Override
        public int read(PacketBatch batch) {
            if (closed) return -1;
            batch.clear();
            while (!batch.isFull()) batch.add(packet, 0, packet.length, null);
            return batch.count();
        }

        @Override public void write(PacketBatch batch) {}
        @Override public void close() { closed = true; }
    }

    /** A TUN that counts what it is given and lets a thread wait for more. */
    static final class SinkTun implements TunDevice {
        private long delivered;
        private boolean closed;

        @Override public String name() { return "sink"; }
        @Override public int mtu() { return PACKET; }

        @Override
        public synchronized int read(PacketBatch batch) throws java.io.IOException {
            while (!closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            return -1;
        }

        @Override
        public synchronized void write(PacketBatch batch) {
            delivered += batch.count();
            notifyAll();
        }

        synchronized long awaitMore(long n) throws InterruptedException {
            long target = delivered + n;
            while (delivered < target && !closed) wait();
            return delivered;
        }

        @Override
        public synchronized void close() {
            closed = true;
            notifyAll();
        }
    }

    /** One direction of the wire: a bounded ring of preallocated datagram buffers; a full ring makes senders wait. */
    static final class Pipe {
        private static final int SLOTS = 1024;
        private final Endpoint source;
        private final byte[][] data = new byte[SLOTS][2048];
        private final int[] lengths = new int[SLOTS];
        private long head;
        private long tail;
        private boolean closed;

        Pipe(Endpoint source) { this.source = source; }

        synchronized void put(PacketBatch batch) throws InterruptedException {
            for (int i = 0; i < batch.count() && !closed; i++) {
                while (tail - head == SLOTS && !closed) wait();
                if (closed) return;
                int s = (int) (tail % SLOTS);
                int len = Math.min(batch.length(i), data[s].length);
                System.arraycopy(batch.buffer(i), 0, data[s], 0, len);
                lengths[s] = len;
                tail++;
                notifyAll();
            }
        }

        synchronized int take(PacketBatch batch) throws InterruptedException {
            while (head == tail && !closed) wait();
            if (closed) return -1;
            batch.clear();
            while (head < tail && !batch.isFull()) {
                int s = (int) (head % SLOTS);
                batch.add(data[s], 0, lengths[s], source);
                head++;
            }
            notifyAll();
            return batch.count();
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }
    }

    /** A device's transport: receives from one pipe, sends into the other (every endpoint is the other side). */
    static final class PipeEnd implements DatagramTransport {
        private final Pipe in;
        private final Pipe out;

        PipeEnd(Pipe in, Pipe out) {
            this.in = in;
            this.out = out;
        }

        @Override public int localPort() { return 51820; }

        @Override
        public int receive(PacketBatch batch) {
            try {
                return in.take(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override
        public void send(PacketBatch batch) {
            try {
                out.put(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            in.close();
            out.close();
        }
    }
}
