package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ConfigWriterTest {
    @Test
    void writesWgQuickKeysThenShowconfOrder() throws ConfigException {
        String in = """
                [Peer]
                PersistentKeepalive = off
                Endpoint = fd00:0::1:51820
                AllowedIPs = 10.0.0.2/32
                AllowedIPs = FD00::2/128
                PublicKey = %s

                [Interface]
                PrivateKey = %s
                FwMark = 51820
                ListenPort = 51820
                PostDown = echo down
                PostUp = echo up # with its comment
                PreUp = echo pre
                SaveConfig = true
                Table = off
                MTU = 1420
                DNS = example.com, 1.1.1.1
                Address = 10.0.0.1/24
                Address = fd00::1/64

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                """.formatted(TestKeys.base64(2), TestKeys.base64(1), TestKeys.base64(3),
                TestKeys.base64(4));
        String expected = """
                [Interface]
                Address = 10.0.0.1/24, fd00::1/64
                DNS = 1.1.1.1, example.com
                MTU = 1420
                Table = off
                SaveConfig = true
                PreUp = echo pre
                PostUp = echo up # with its comment
                PostDown = echo down
                ListenPort = 51820
                FwMark = 0xca6c
                PrivateKey = %s

                [Peer]
                PublicKey = %s
                AllowedIPs = 10.0.0.2/32, fd00::2/128
                Endpoint = [fd00::1]:51820
                PersistentKeepalive = off

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                """.formatted(TestKeys.base64(1), TestKeys.base64(2), TestKeys.base64(3), TestKeys.base64(4));
        WgConfig config = ConfigParser.parse("wg0.conf", in);
        assertEquals(expected, ConfigWriter.write(config));
        assertEquals(config, ConfigParser.parse("again", ConfigWriter.write(config)));
    }

    @Test
    void theEmptyConfigIsItsHeader() {
        assertEquals("[Interface]\n", ConfigWriter.write(new WgConfig(InterfaceSection.EMPTY, List.of())));
    }

    @Test
    void offValuesAreWrittenAsOff() {
        InterfaceSection iface = new InterfaceSection(null, Optional.empty(), OptionalInt.of(0), OptionalLong.of(0),
                List.of(), List.of(), List.of(), OptionalInt.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of(), false);
        assertEquals("[Interface]\nListenPort = 0\nFwMark = off\n", ConfigWriter.write(new WgConfig(iface, List.of())));
    }

    @Test
    void aValueWithALineBreakIsRefused() {
        InterfaceSection iface = new InterfaceSection(null, Optional.empty(), OptionalInt.empty(),
                OptionalLong.empty(), List.of(), List.of(), List.of(), OptionalInt.empty(), Optional.empty(), List.of("echo a\nListenPort = 1"),
                List.of(), List.of(), List.of(), false);
        assertThrows(IllegalArgumentException.class, () -> ConfigWriter.write(new WgConfig(iface, List.of())));
    }
}
