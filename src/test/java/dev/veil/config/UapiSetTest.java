package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class UapiSetTest {
    private static String hex(int seed) {
        return HexFormat.of().formatHex(TestKeys.key(seed));
    }

    private final List<String> asked = new ArrayList<>();

    private byte[] resolve(String host) throws UnknownHostException {
        asked.add(host);
        return switch (host) {
            case "v4.example" -> new byte[] {(byte) 198, 51, 100, 7};
            case "v6.example" -> new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
            default -> throw new UnknownHostException(host);
        };
    }

    @Test
    void sendsWhatWgSetconfSends() throws Exception {
        WgConfig c = ConfigParser.parse("wg0.conf", """
                [Interface]
                PrivateKey = %s
                ListenPort = 51820
                FwMark = 0x10
                Address = 10.0.0.1/24
                DNS = 1.1.1.1
                MTU = 1420
                Table = off
                PreUp = echo pre
                PostUp = echo up
                PreDown = echo predown
                PostDown = echo down
                SaveConfig = true

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                AllowedIPs = 10.0.0.2/32, fd00::2/128
                AllowedIPs = 192.168.1.7/24
                Endpoint = v4.example:51820
                PersistentKeepalive = 25

                [Peer]
                PublicKey = %s
                Endpoint = v6.example:1
                PersistentKeepalive = off

                [Peer]
                PublicKey = %s
                Endpoint = [fd00::1]:2
                AllowedIPs = ::/0

                [Peer]
                PublicKey = %s
                Endpoint = 192.0.2.1:3
                """.formatted(TestKeys.base64(1), TestKeys.base64(2), TestKeys.base64(3), TestKeys.base64(4),
                TestKeys.base64(5), TestKeys.base64(6)));
        String expected = """
                set=1
                private_key=%s
                listen_port=51820
                fwmark=16
                replace_peers=true
                public_key=%s
                preshared_key=%s
                endpoint=198.51.100.7:51820
                persistent_keepalive_interval=25
                replace_allowed_ips=true
                allowed_ip=10.0.0.2/32
                allowed_ip=fd00::2/128
                allowed_ip=192.168.1.7/24
                public_key=%s
                endpoint=[2001:db8::9]:1
                persistent_keepalive_interval=0
                replace_allowed_ips=true
                public_key=%s
                endpoint=[fd00::1]:2
                replace_allowed_ips=true
                allowed_ip=::/0
                public_key=%s
                endpoint=192.0.2.1:3
                replace_allowed_ips=true

                """.formatted(hex(1), hex(2), hex(3), hex(4), hex(5), hex(6));
        assertEquals(expected, UapiSet.request(c, this::resolve));
        assertEquals(List.of("v4.example", "v6.example"), asked, "addresses are not resolved");
    }

    @Test
    void anEmptyFileClearsTheDevice() throws Exception {
        String expected = "set=1\nprivate_key=" + "0".repeat(64) + "\nlisten_port=0\nfwmark=0\nreplace_peers=true\n\n";
        assertEquals(expected, UapiSet.request(ConfigParser.parse("wg0.conf", ""), this::resolve));
    }

    @Test
    void anUnresolvableHostIsTheResolversError() throws ConfigException {
        WgConfig c = ConfigParser.parse("wg0.conf", "[Peer]\nPublicKey = " + TestKeys.base64(1)
                + "\nEndpoint = nowhere.example:1\n");
        UnknownHostException e = assertThrows(UnknownHostException.class, () -> UapiSet.request(c, this::resolve));
        assertEquals("nowhere.example", e.getMessage());
        UnknownHostException bad = assertThrows(UnknownHostException.class,
                () -> UapiSet.request(c, host -> new byte[5]));
        assertEquals("nowhere.example: the resolver returned no IPv4 or IPv6 address", bad.getMessage());
    }
}
