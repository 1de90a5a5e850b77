package dev.veil.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AddressTextTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // IPv4
        "0.0.0.0, 0.0.0.0",
        "10.0.0.1, 10.0.0.1",
        "255.255.255.255, 255.255.255.255",
        "192.168.100.7, 192.168.100.7",
        // RFC 5952 4.1: no leading zeros; 4.3: lowercase
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:DB8:0:0:0:0:0:ABCD, 2001:db8::abcd",
        // 4.2.1: shorten as much as possible
        "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
        // 4.2.2: a single zero group is not shortened
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "0:2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:0, 1:2:3:4:5:6:7:0",
        // 4.2.3: the longest run is shortened; of equal runs, the first
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        // edges
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "1:0:0:0:0:0:0:0, 1::",
        "fe80:0:0:0:0:0:0:0, fe80::",
        "1:0:0:0:0:0:0:8, 1::8",
        "0:0:1:0:0:0:0:0, 0:0:1::",
        "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
        "fd00:0:0:0:0:0:0:0, fd00::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        // 5: IPv4-mapped addresses end in a dotted quad
        "::ffff:192.0.2.1, ::ffff:192.0.2.1",
        "0:0:0:0:0:ffff:a00:1, ::ffff:10.0.0.1",
        // not mapped: the dotted quad form is only for ::ffff:0:0/96
        "0:0:0:0:1:ffff:a00:1, ::1:ffff:a00:1",
        "64:ff9b::c000:201, 64:ff9b::c000:201",
    })
    void formats(String input, String expected) {
        assertEquals(expected, AddressText.format(Ip.parse(input)));
    }

    @Test
    void rejectsOtherLengths() {
        assertThrows(IllegalArgumentException.class, () -> AddressText.format(new byte[5]));
    }
}
