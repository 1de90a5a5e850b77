package dev.veil.bench;

import dev.veil.core.Forge;
import dev.veil.core.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Veil's own denial-of-service generator, run between network namespaces by the flood tests and by
 * {@code bench/flood.sh}. It sends from many source addresses (one UDP socket bound to each), at a bounded rate,
 * until it has sent {@code --count} datagrams or {@code --seconds} have passed (or, with {@code --stop-on-eof true},
 * its standard input ends, so a caller can stop it early), then waits {@code --grace-ms} for
 * late replies, prints one JSON line of what it sent and received, and exits.
 *
 * <ul>
 *   <li>{@code --mode flood}: handshake initiations with a valid mac1 for the victim's public key (all that mac1
 *       needs), each with a new ephemeral key. A WireGuard responder answers them with cookie replies once it is
 *       under load, and with nothing otherwise; the count of cookie replies shows the switch.
 *   <li>{@code --mode silence}: every kind of unauthenticated datagram, {@code --count} of each, interleaved
 *       (see {@link Datagrams#silenceKinds}). With {@code --peer-key FILE} (the base64 private key of a configured
 *       peer) it first sends one real initiation, waits for the response, and then replays that initiation. No
 *       datagram of this mode may be answered: every reply after the priming is counted.
 * </ul>
 *
 * <p>The source addresses must be local to the namespace it runs in: added to an interface, or covered by a local
 * route ({@code ip route add local 10.235.7.0/24 dev lo}). Single-threaded sending plus one receiver thread.
 */
public final class Flood {
    /** The command line, parsed. */
    record Options(String mode, InetSocketAddress target, byte[] victim, InetAddress firstSource, int sources,
                   double rate, long count, double seconds, Path peerKey, long graceMillis, boolean stopOnEof) {}

    /** What one run did. */
    record Report(Options o, long sent, long notSent, double seconds, Map<String, Long> kinds, boolean primed,
                  long cookieReplies, long responses, long otherReplies, long latePrimeResponses) {
        long replies() { return cookieReplies + responses + otherReplies; }

        String json() {
            StringBuilder b = new StringBuilder("{\"mode\":\"").append(o.mode()).append('"');
            b.append(",\"target\":\"").append(o.target().getAddress().getHostAddress()).append(':')
                .append(o.target().getPort()).append('"');
            b.append(",\"sources\":").append(o.sources()).append(",\"sent\":").append(sent)
                .append(",\"not_sent\":").append(notSent);
            b.append(",\"seconds\":").append(String.format(Locale.ROOT, "%.2f", seconds));
            b.append(",\"rate\":").append(String.format(Locale.ROOT, "%.0f", seconds > 0 ? sent / seconds : 0));
            b.append(",\"kinds\":{");
            int i = 0;
            for (var e : kinds.entrySet()) {
                b.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
            }
            b.append("},\"primed\":").append(primed).append(",\"replies\":").append(replies());
            b.append(",\"cookie_replies\":").append(cookieReplies).append(",\"responses\":").append(responses);
            b.append(",\"other_replies\":").append(otherReplies);
            return b.append(",\"late_prime_responses\":").append(latePrimeResponses).append('}').toString();
        }
    }

    private Flood() {}

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("flood: " + e.getMessage());
            System.err.println("usage: Flood --target ADDR:PORT --public-key BASE64 [--mode flood|silence]"
                + " [--sources FIRST_ADDR] [--source-count N] [--rate PER_SECOND] [--count N] [--seconds S]"
                + " [--peer-key FILE] [--grace-ms MS] [--stop-on-eof true|false]");
            System.exit(2);
            return;
        }
        try {
            System.out.println(run(o).json());
        } catch (IOException e) {
            System.err.println("flood: " + e.getMessage());
            System.exit(1);
        }
    }

    static Options parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("bad argument " + args[i]);
            }
            m.put(args[i].substring(2), args[++i]);
        }
        for (String k : m.keySet()) {
            if (!List.of("target", "public-key", "mode", "sources", "source-count", "rate", "count", "seconds",
                "peer-key", "grace-ms", "stop-on-eof").contains(k)) {
                throw new IllegalArgumentException("unknown option --" + k);
            }
        }
        String mode = m.getOrDefault("mode", "flood");
        if (!mode.equals("flood") && !mode.equals("silence")) {
            throw new IllegalArgumentException("--mode flood or silence");
        }
        String t = required(m, "target");
        int colon = t.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("--target ADDR:PORT");
        byte[] victim = Base64.getDecoder().decode(required(m, "public-key"));
        if (victim.length != 32) throw new IllegalArgumentException("--public-key: not a 32-byte key");
        try {
            InetAddress host = InetAddress.getByName(t.substring(0, colon).replaceAll("[\\[\\]]", ""));
            InetSocketAddress target = new InetSocketAddress(host, Integer.parseInt(t.substring(colon + 1)));
            boolean v6 = target.getAddress() instanceof java.net.Inet6Address;
            InetAddress first = InetAddress.getByName(m.getOrDefault("sources", v6 ? "::" : "0.0.0.0"));
            Options o = new Options(mode, target, victim, first, Integer.parseInt(m.getOrDefault("source-count", "1")),
                Double.parseDouble(m.getOrDefault("rate", "1000")), Long.parseLong(m.getOrDefault("count", "10000")),
                Double.parseDouble(m.getOrDefault("seconds", "10")),
                m.containsKey("peer-key") ? Path.of(m.get("peer-key")) : null,
                Long.parseLong(m.getOrDefault("grace-ms", "1000")), Boolean.parseBoolean(m.get("stop-on-eof")));
            if (o.sources() < 1 || o.sources() > 4096) throw new IllegalArgumentException("--source-count 1 to 4096");
            if (!(o.rate() > 0) || o.count() < 1 || !(o.seconds() > 0) || o.seconds() > 600) {
                throw new IllegalArgumentException("--rate, --count and --seconds (at most 600) must be positive");
            }
            return o;
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static String required(Map<String, String> m, String k) {
        String v = m.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    /** Runs the flood or the silence check against the target; bounded by the count and the seconds. */
    static Report run(Options o) throws IOException {
        Datagrams d = new Datagrams(o.victim(), System.nanoTime());
        List<DatagramChannel> channels = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (InetAddress a : addresses(o.firstSource(), o.sources())) channels.add(bind(a, selector));
            Set<Integer> primeSenders = ConcurrentHashMap.newKeySet();
            Receiver receiver = new Receiver(selector, primeSenders);
            boolean primed = false;
            byte[] replay = null;
            if (o.mode().equals("silence") && o.peerKey() != null) {
                replay = prime(o, channels.getFirst(), primeSenders);
                primed = replay != null;
            }
            Thread rx = Thread.ofPlatform().name("flood-rx").daemon().start(receiver);
            System.out.println("flooding");  // the caller may wait for this line
            System.out.flush();
            Map<String, Supplier<byte[]>> kinds = o.mode().equals("flood")
                ? Map.of("valid_mac1_initiation", d::floodInitiation) : d.silenceKinds(replay);
            long total = o.mode().equals("flood") ? o.count() : o.count() * kinds.size();
            List<String> names = List.copyOf(kinds.keySet());
            Map<String, Long> sentByKind = new LinkedHashMap<>();
            for (String n : names) sentByKind.put(n, 0L);
            long sent = 0, notSent = 0;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            if (o.stopOnEof()) Thread.ofPlatform().name("flood-stdin").daemon().start(() -> awaitEof(stop));
            long interval = (long) (1e9 / o.rate());
            long start = System.nanoTime(), deadline = start + (long) (o.seconds() * 1e9);
            for (long i = 0; i < total; i++) {
                long due = start + i * interval;
                long now = System.nanoTime();
                if (now >= deadline || stop.get()) break;
                if (due - now > 200_000) LockSupport.parkNanos(due - now);
                String kind = names.get((int) (i % names.size()));
                byte[] datagram = kinds.get(kind).get();
                // send returns 0 when the socket buffer is full, and for an empty datagram, which does go out
                DatagramChannel from = channels.get((int) (i % channels.size()));
                if (from.send(ByteBuffer.wrap(datagram), o.target()) > 0 || datagram.length == 0) {
                    sent++;
                    sentByKind.merge(kind, 1L, Long::sum);
                } else {
                    notSent++;  // the socket buffer was full
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(o.graceMillis()));  // late replies still count
            receiver.stop();
            try {
                rx.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Report(o, sent, notSent, seconds, sentByKind, primed, receiver.cookies.get(),
                receiver.responses.get(), receiver.others.get(), receiver.latePrime.get());
        } finally {
            for (DatagramChannel c : channels) c.close();
        }
    }

    /** Reads standard input to its end, then asks the flood to stop. */
    private static void awaitEof(java.util.concurrent.atomic.AtomicBoolean stop) {
        try {
            while (System.in.read() >= 0) {
                // only the end matters
            }
        } catch (IOException e) {
            // a broken input ends the flood as well
        }
        stop.set(true);
    }

    /** {@code n} consecutive addresses from {@code first} (its last bytes counting up). */
    static List<InetAddress> addresses(InetAddress first, int n) throws IOException {
        List<InetAddress> l = new ArrayList<>();
        byte[] a = first.getAddress();
        for (int i = 0; i < n; i++) {
            l.add(InetAddress.getByAddress(a.clone()));
            for (int j = a.length - 1; j >= 0 && ++a[j] == 0; j--) {
                // carry into the next byte
            }
        }
        return l;
    }

    private static DatagramChannel bind(InetAddress a, Selector selector) throws IOException {
        DatagramChannel c = DatagramChannel.open(
            a instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            c.bind(new InetSocketAddress(a, 0));
        } catch (IOException e) {
            c.close();
            throw new IOException("cannot bind a source socket to " + a.getHostAddress() + " (is it local here?): "
                + e.getMessage(), e);
        }
        c.configureBlocking(false);
        c.register(selector, SelectionKey.OP_READ);
        return c;
    }

    /**
     * Sends a real initiation with the peer's key and waits up to a second for its response, a fresh one (new index,
     * new timestamp) each second for up to 30 s (a daemon that has just started, on a loaded machine, may be slow to
     * answer the first); returns the initiation that was answered (to replay), or null when none was. Each attempt's
     * sender index goes into {@code senders}: a response to an earlier, unanswered attempt may still come later, and
     * it answers a real initiation, not an unauthenticated datagram. The answered attempt's index is taken out again,
     * since that initiation is replayed and a second response to it would answer a replay.
     */
    private static byte[] prime(Options o, DatagramChannel c, Set<Integer> senders) throws IOException {
        byte[] key = Base64.getDecoder().decode(Files.readString(o.peerKey()).strip());
        SecureRandom random = new SecureRandom();
        ByteBuffer in = ByteBuffer.allocate(2048);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            while (System.nanoTime() < deadline) {
                int sender = random.nextInt();
                senders.add(sender);
                byte[] init = Forge.initiation(key, o.victim(), sender, System.currentTimeMillis() * 1_000_000L, random);
                c.send(ByteBuffer.wrap(init), o.target());
                long attemptEnd = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                while (System.nanoTime() < attemptEnd) {  // the receiver thread has not started: poll this socket alone
                    in.clear();
                    if (c.receive(in) == null) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                        continue;
                    }
                    in.flip();
                    if (in.remaining() == Protocol.RESPONSE_SIZE && in.get(0) == Protocol.MESSAGE_RESPONSE
                        && Forge.responseReceiver(in.array(), 0) == sender) {
                        // This one is replayed later: a response to its index from now on answers a replay.
                        senders.remove(sender);
                        return init;
                    }
                }
            }
            return null;
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    /** Counts every datagram that arrives on any source socket, by kind, until stopped. */
    private static final class Receiver implements Runnable {
        final AtomicLong cookies = new AtomicLong(), responses = new AtomicLong(), others = new AtomicLong(),
            latePrime = new AtomicLong();
        private final Selector selector;
        private final Set<Integer> primeSenders;
        private volatile boolean stopped;

        Receiver(Selector selector, Set<Integer> primeSenders) {
            this.selector = selector;
            this.primeSenders = primeSenders;
        }

        void stop() {
            stopped = true;
            selector.wakeup();
        }

        @Override
        public void run() {
            ByteBuffer in = ByteBuffer.allocate(65536);
            try {
                while (!stopped) {
                    selector.select(100);
                    for (SelectionKey k : selector.selectedKeys()) drain((DatagramChannel) k.channel(), in);
                    selector.selectedKeys().clear();
                }
                for (SelectionKey k : selector.keys()) drain((DatagramChannel) k.channel(), in);  // the last arrivals
            } catch (IOException e) {
                others.incrementAndGet();  // cannot happen on open channels; never hide it as zero replies
            }
        }

        private void drain(DatagramChannel c, ByteBuffer in) throws IOException {
            in.clear();
            while (c.receive(in) != null) {
                in.flip();
                count(in);
                in.clear();
            }
        }

        private void count(ByteBuffer b) {
            int len = b.remaining(), type = len > 0 ? b.get(0) : -1;
            if (type == Protocol.MESSAGE_COOKIE_REPLY && len == Protocol.COOKIE_REPLY_SIZE) {
                cookies.incrementAndGet();
            } else if (type == Protocol.MESSAGE_RESPONSE && len == Protocol.RESPONSE_SIZE) {
                int receiver = Forge.responseReceiver(b.array(), b.arrayOffset() + b.position());
                (primeSenders.contains(receiver) ? latePrime : responses).incrementAndGet();
            } else {
                others.incrementAndGet();
            }
        }
    }
}
