package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.veil.routing.AddressText;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpTextTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "0.0.0.0, 0.0.0.0",
        "10.0.0.1, 10.0.0.1",
        "255.255.255.255, 255.255.255.255",
        "::, ::",
        "::1, ::1",
        "1::, 1::",
        "fd00::1, fd00::1",
        "FD00:0000:0000:0000:0000:0000:0000:0001, fd00::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
        "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
        "::ffff:192.0.2.1, ::ffff:192.0.2.1",
        "64:ff9b::192.0.2.1, 64:ff9b::c000:201",
        "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304",
    })
    void parsesAddresses(String text, String canonical) {
        assertEquals(canonical, AddressText.format(IpText.parse(text)));
    }

    @ParameterizedTest(name = "\"{0}\" is not an address")
    @ValueSource(strings = {
        "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4 ",
        "a.b.c.d", "1.2.3.-4", "+1.2.3.4", "１.2.3.4",
        ":", ":::", "1:::2", "1::2::3", ":1::", "1::2:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", "12345::", "g::", "fe80::1%eth0", "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:256.1.1.1", "::01.2.3.4", "[::1]",
    })
    void rejectsNonAddresses(String text) {
        assertNull(IpText.parse(text));
    }
}
