package dev.veil.uapi;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.core.Endpoint;
import dev.veil.routing.AddressText;
import dev.veil.routing.AllowedIps;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The value parsers accept what Go's netip and strconv accept, and nothing else. */
class UapiTextTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void keysAreExactly64HexDigitsInEitherCase() {
        String k = "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789";
        byte[] b = k.getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hex(k.toLowerCase()), UapiText.hexKey(b, 0, 64));
        assertNull(UapiText.hexKey(b, 0, 62));
        assertNull(UapiText.hexKey((k + "00").getBytes(StandardCharsets.US_ASCII), 0, 66));
        for (String bad : List.of("g", " ", "\u00e9", "-")) {
            byte[] broken = b.clone();
            broken[10] = bad.getBytes(StandardCharsets.ISO_8859_1)[0];
            assertNull(UapiText.hexKey(broken, 0, 64), bad);
        }
    }

    @Test
    void unsignedNumbers() {
        assertEquals(0, UapiText.unsigned("0", 0xffff));
        assertEquals(80, UapiText.unsigned("0080", 0xffff));
        assertEquals(65535, UapiText.unsigned("65535", 0xffff));
        assertEquals(4294967295L, UapiText.unsigned("4294967295", 0xffff_ffffL));
        for (String bad : List.of("", "65536", "+1", "-1", "1 ", " 1", "1_000", "0x10", "99999999999999999999999"))
            assertEquals(-1, UapiText.unsigned(bad, 0xffff), bad);
    }

    @Test
    void addresses() {
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, UapiText.address("192.0.2.1"));
        assertArrayEquals(new byte[] {0, 0, 0, 0}, UapiText.address("0.0.0.0"));
        assertArrayEquals(hex("00000000000000000000000000000000"), UapiText.address("::"));
        assertArrayEquals(hex("00000000000000000000000000000001"), UapiText.address("::1"));
        assertArrayEquals(hex("00010000000000000000000000000000"), UapiText.address("1::"));
        assertArrayEquals(hex("20010db8000000000000000000000001"), UapiText.address("2001:DB8::1"));
        assertArrayEquals(hex("00010002000300040005000600070008"), UapiText.address("1:2:3:4:5:6:7:8"));
        assertArrayEquals(hex("00000000000000000000ffffc0000201"), UapiText.address("::ffff:192.0.2.1"));
        assertArrayEquals(hex("00010002000300040005000601020304"), UapiText.address("1:2:3:4:5:6:1.2.3.4"));
        assertArrayEquals(hex("00010000000000000000000000000002"), UapiText.address("1:0:0::0:2"));
        for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..2.3", "1.2.3.4.", " 1.2.3.4",
                "1.2.3.-4", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
                "::1:2:3:4:5:6:7:8", "12345::", ":1", "1:", "::g", "1:2:3:4:5:1.2.3.4", "::1.2.3", "1.2.3.4::",
                "fe80::1%eth0", "%eth0", "[::1]", "localhost", "::ffff:1.2.3.04"))
            assertNull(UapiText.address(bad), bad);
    }

    @Test
    void endpoints() {
        assertEquals(new Endpoint(new byte[] {10, 0, 0, 1}, 51820), UapiText.endpoint("10.0.0.1:51820"));
        assertEquals(new Endpoint(hex("20010db8000000000000000000000001"), 1), UapiText.endpoint("[2001:db8::1]:1"));
        for (String bad : List.of("10.0.0.1", "10.0.0.1:", ":1", "[::1]", "[::1:1", "::1:1", "[10.0.0.1]:1",
                "[fe80::1%eth0]:1", "10.0.0.1:65536", "10.0.0.1:-1", "[]:1", "[:1", "example.com:1"))
            assertNull(UapiText.endpoint(bad), bad);
    }

    @Test
    void prefixes() {
        assertEquals(new AllowedIps.Prefix(new byte[] {10, 0, 0, 0}, 8), UapiText.prefix("10.1.2.3/8"));
        assertEquals(new AllowedIps.Prefix(new byte[4], 0), UapiText.prefix("0.0.0.0/0"));
        assertEquals(new AllowedIps.Prefix(new byte[16], 0), UapiText.prefix("::/0"));
        assertEquals(new AllowedIps.Prefix(hex("fd000000000000000000000000000001"), 128), UapiText.prefix("fd00::1/128"));
        for (String bad : List.of("10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/-1",
                "::/129", "fe80::%eth0/64", "/8", "10.0.0.0/8/8", "10.0.0.0 /8"))
            assertNull(UapiText.prefix(bad), bad);
    }

    @Provide
    Arbitrary<byte[]> ipv6() {
        // Runs of zero groups at every place, so that "::" lands everywhere.
        return Arbitraries.integers().between(0, 0xffff).list().ofSize(8).map(groups -> {
            byte[] a = new byte[16];
            for (int i = 0; i < 8; i++) {
                int g = groups.get(i) % 3 == 0 ? 0 : groups.get(i);
                a[2 * i] = (byte) (g >>> 8);
                a[2 * i + 1] = (byte) g;
            }
            return a;
        });
    }

    @Property
    void everyFormattedIpv6AddressParsesBack(@ForAll("ipv6") byte[] a) {
        assertArrayEquals(a, UapiText.address(AddressText.format(a)));
        assertEquals(new Endpoint(a, 7), UapiText.endpoint(AddressText.format(a, 7)));
    }

    @Property
    void everyFormattedIpv4AddressParsesBack(@ForAll byte[] raw) {
        byte[] a = java.util.Arrays.copyOf(raw, 4);
        assertArrayEquals(a, UapiText.address(AddressText.format(a)));
        assertEquals(new Endpoint(a, 65535), UapiText.endpoint(AddressText.format(a, 65535)));
    }
}
