package dev.veil.config;

import dev.veil.routing.AddressText;
import java.util.Arrays;

/**
 * An address with a prefix length, as written in {@code Address} and {@code AllowedIPs}. Unlike
 * {@link dev.veil.routing.AllowedIps.Prefix} the host bits are kept: {@code Address = 10.0.0.1/24} names the host, and
 * {@code wg} passes an AllowedIP on as written (the routing table clears them). An immutable value; the array is
 * copied in and out.
 */
public record Cidr(byte[] address, int length) {
    /** Throws IllegalArgumentException unless the address is 4 or 16 bytes and the length fits it. */
    public Cidr {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("IP address of " + address.length + " bytes");
        }
        if (length < 0 || length > 8 * address.length) throw new IllegalArgumentException("prefix length " + length);
        address = address.clone();
    }

    /** A copy of the address. */
    @Override
    public byte[] address() {
        return address.clone();
    }

    /** Whether bits past the prefix length are set ({@code wg} warns about such an AllowedIP). */
    public boolean hasHostBits() {
        for (int bit = length; bit < 8 * address.length; bit++) {
            if ((address[bit / 8] & (0x80 >>> (bit % 8))) != 0) return true;
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.length == length && Arrays.equals(c.address, address);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(address) + length;
    }

    /** Like {@code 10.0.0.1/24} or {@code fd00::1/64}, IPv6 in its RFC 5952 form. */
    @Override
    public String toString() {
        return AddressText.format(address) + "/" + length;
    }
}
