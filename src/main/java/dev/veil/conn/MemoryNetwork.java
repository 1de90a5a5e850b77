package dev.veil.conn;

import dev.veil.core.Endpoint;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * An in-memory "internet" for tests: transports bind to endpoints on it and datagrams are delivered to whichever
 * transport owns the destination. A filter can drop datagrams (to simulate loss or an attacker's vantage point)
 * and a tap sees every datagram. Thread-safe.
 */
public final class MemoryNetwork {
    /** A datagram in flight. */
    public record Datagram(Endpoint from, Endpoint to, byte[] data) {}

    private final Map<Endpoint, MemoryTransport> bound = new ConcurrentHashMap<>();
    private volatile Predicate<Datagram> filter = d -> true;
    private volatile java.util.function.Consumer<Datagram> tap = d -> {};

    /** Binds a new transport to an endpoint; fails as a socket would when the endpoint is taken. */
    public MemoryTransport bind(Endpoint local) throws java.net.BindException {
        MemoryTransport t = new MemoryTransport(this, local);
        if (bound.putIfAbsent(local, t) != null) throw new java.net.BindException("address in use: " + local);
        return t;
    }

    /**
     * A factory that binds transports at the given address on this network; port 0 becomes {@code defaultPort}.
     * The firewall mark is ignored.
     */
    public TransportFactory factory(byte[] address, int defaultPort) {
        byte[] a = address.clone();
        return (port, fwmark) -> bind(new Endpoint(a, port == 0 ? defaultPort : port));
    }

    /** Moves a transport to a new local endpoint (a roaming host whose address changed). */
    public void rebind(MemoryTransport t, Endpoint newLocal) {
        bound.remove(t.local(), t);
        t.setLocal(newLocal);
        bound.put(newLocal, t);
    }

    void unbind(MemoryTransport t) {
        bound.remove(t.local(), t);
    }

    /** Only datagrams for which the filter is true are delivered. */
    public void setFilter(Predicate<Datagram> f) { filter = f; }

    /** Sees every datagram sent, before the filter. */
    public void setTap(java.util.function.Consumer<Datagram> t) { tap = t; }

    void route(Datagram d) {
        tap.accept(d);
        if (!filter.test(d)) return;
        MemoryTransport t = bound.get(d.to());
        if (t != null) t.enqueue(d.from(), d.data());
    }

    /** Injects a datagram as if sent from any source (an attacker can spoof). */
    public void inject(Endpoint from, Endpoint to, byte[] data) {
        route(new Datagram(from, to, data.clone()));
    }
}
