package dev.veil.conn;

import java.io.IOException;

/**
 * Opens the device's datagram transport on a port, so the device can rebind when the listen port or the firewall
 * mark changes at run time. Implementations are thread-safe.
 */
@FunctionalInterface
public interface TransportFactory {
    /**
     * Opens a transport listening on {@code port} (0 picks a free port) whose outgoing datagrams carry the firewall
     * mark {@code fwmark} (0 for none; implementations that cannot mark ignore it).
     */
    DatagramTransport open(int port, int fwmark) throws IOException;
}
