package dev.veil.core;

import dev.veil.routing.AddressText;
import java.util.Arrays;

/**
 * A UDP endpoint as the core sees it: a 4- or 16-byte address and a port. A value; the address array is copied in
 * and never exposed for writing.
 */
public record Endpoint(byte[] address, int port) {
    public Endpoint {
        if (address.length != 4 && address.length != 16) throw new IllegalArgumentException("address length " + address.length);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
        address = address.clone();
    }

    @Override
    public byte[] address() {
        return address.clone();
    }

    /** Appends address || port (big-endian), the bytes a cookie is computed over. */
    byte[] cookieInput() {
        byte[] b = Arrays.copyOf(address, address.length + 2);
        b[address.length] = (byte) (port >>> 8);
        b[address.length + 1] = (byte) port;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && e.port == port && Arrays.equals(e.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + port;
    }

    @Override
    public String toString() {
        return AddressText.format(address, port);
    }
}
