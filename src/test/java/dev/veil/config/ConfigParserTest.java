package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each key accepts and how lines are read. The errors are in {@link ConfigErrorsTest}. */
class ConfigParserTest {
    private static final String PEER_HEAD = "[Peer]\nPublicKey = " + TestKeys.base64(100) + "\n";

    static WgConfig parse(String text) throws ConfigException {
        return ConfigParser.parse("wg0.conf", text);
    }

    private static InterfaceSection iface(String... lines) throws ConfigException {
        return parse("[Interface]\n" + String.join("\n", lines)).iface();
    }

    private static PeerSection peer(String... lines) throws ConfigException {
        WgConfig c = parse(PEER_HEAD + String.join("\n", lines));
        assertEquals(1, c.peers().size());
        return c.peers().getFirst();
    }

    private static List<String> strings(List<?> items) {
        return items.stream().map(Object::toString).toList();
    }

    @Test
    void aTypicalFile() throws ConfigException {
        WgConfig c = parse("""
                # wg0, the office tunnel
                [Interface]
                PrivateKey = %s
                ListenPort = 51820
                Address = 10.0.0.1/24, fd00::1/64
                DNS = 10.0.0.53, office.example

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                AllowedIPs = 10.0.0.2/32, fd00::2/128
                Endpoint = vpn.example.com:51820
                PersistentKeepalive = 25

                [Peer]
                PublicKey = %s
                AllowedIPs = 10.0.0.3/32
                """.formatted(TestKeys.base64(1), TestKeys.base64(2), TestKeys.base64(3), TestKeys.base64(4)));
        InterfaceSection i = c.iface();
        assertArrayEquals(TestKeys.key(1), i.privateKey());
        assertEquals(OptionalInt.of(51820), i.listenPort());
        assertEquals(List.of("10.0.0.1/24", "fd00::1/64"), strings(i.addresses()));
        assertEquals(List.of("10.0.0.53"), i.dns());
        assertEquals(List.of("office.example"), i.dnsSearch());
        assertEquals(2, c.peers().size());
        PeerSection p = c.peers().get(0);
        assertArrayEquals(TestKeys.key(2), p.publicKey());
        assertArrayEquals(TestKeys.key(3), p.presharedKey());
        assertEquals(List.of("10.0.0.2/32", "fd00::2/128"), strings(p.allowedIps()));
        assertEquals(Optional.of(new HostPort("vpn.example.com", 51820)), p.endpoint());
        assertEquals(OptionalInt.of(25), p.persistentKeepalive());
        PeerSection q = c.peers().get(1);
        assertArrayEquals(TestKeys.key(4), q.publicKey());
        assertNull(q.presharedKey());
        assertEquals(Optional.empty(), q.endpoint());
        assertEquals(OptionalInt.empty(), q.persistentKeepalive());
    }

    @Test
    void nothingSetIsTheEmptyConfig() throws ConfigException {
        assertEquals(new WgConfig(InterfaceSection.EMPTY, List.of()), parse(""));
        assertEquals(new WgConfig(InterfaceSection.EMPTY, List.of()), parse("\n  \n# only a comment\n[Interface]\n"));
        assertNull(InterfaceSection.EMPTY.privateKey());
        assertFalse(InterfaceSection.EMPTY.saveConfig());
    }

    @Test
    void peersWithoutAnInterfaceSection() throws ConfigException {
        WgConfig c = parse(PEER_HEAD);
        assertEquals(InterfaceSection.EMPTY, c.iface());
        assertArrayEquals(TestKeys.key(100), c.peers().getFirst().publicKey());
    }

    @Test
    void interfaceAfterThePeers() throws ConfigException {
        WgConfig c = parse(PEER_HEAD + "[Interface]\nListenPort = 7\n");
        assertEquals(OptionalInt.of(7), c.iface().listenPort());
        assertEquals(1, c.peers().size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "ListenPort = 51820        | 51820",
        "ListenPort = 0            | 0",
        "ListenPort = 65535        | 65535",
        "ListenPort = 00080        | 80",
        "listenport=1              | 1",
        "LISTENPORT\t=\t2          | 2",
        "Listen Port = 3           | 3",
        "ListenPort = 51 820       | 51820",
        "ListenPort = 4 # a comment| 4",
    })
    void listenPort(String line, int port) throws ConfigException {
        assertEquals(OptionalInt.of(port), iface(line).listenPort());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "FwMark = 0x1234      | 4660",
        "FwMark = 0xffffffff  | 4294967295",
        "FwMark = 0xABCdef    | 11259375",
        "FwMark = 1234        | 1234",
        "FwMark = 4294967295  | 4294967295",
        "FwMark = 0           | 0",
        "FwMark = 0x0         | 0",
        "FwMark = off         | 0",
        "FwMark = OFF         | 0",
        "fwmark = 51820       | 51820",
    })
    void fwmark(String line, long mark) throws ConfigException {
        assertEquals(OptionalLong.of(mark), iface(line).fwmark());
    }

    @Test
    void privateKey() throws ConfigException {
        assertArrayEquals(TestKeys.key(9), iface("PrivateKey = " + TestKeys.base64(9)).privateKey());
        assertArrayEquals(TestKeys.key(9), iface("privatekey=" + TestKeys.base64(9) + "  # mine").privateKey());
        assertNull(iface("ListenPort = 1").privateKey());
    }

    @Test
    void addressesAccumulateOverLinesAndKeepHostBits() throws ConfigException {
        InterfaceSection i = iface("Address = 10.0.0.1/24, fd00::1/64", "Address = 192.168.7.9",
                "Address=10.1.0.1/16 10.2.0.1/16,,10.3.0.1/16", "Address = FD00:0:0::0002/128", "Address =");
        assertEquals(List.of("10.0.0.1/24", "fd00::1/64", "192.168.7.9/32", "10.1.0.1/16", "10.2.0.1/16",
                "10.3.0.1/16", "fd00::2/128"), strings(i.addresses()));
        assertTrue(i.addresses().getFirst().hasHostBits());
    }

    @Test
    void dnsSplitsServersFromSearchDomains() throws ConfigException {
        InterfaceSection i = iface("DNS = 1.1.1.1, 2606:4700:4700:0::1111,example.com corp.local",
                "DNS = FE80::1%eth0", "DNS = 10.0.0.53");
        assertEquals(List.of("1.1.1.1", "2606:4700:4700::1111", "fe80::1%eth0", "10.0.0.53"), i.dns());
        assertEquals(List.of("example.com", "corp.local"), i.dnsSearch());
    }

    @Test
    void mtu() throws ConfigException {
        assertEquals(OptionalInt.of(1420), iface("MTU = 1420").mtu());
        assertEquals(OptionalInt.of(68), iface("mtu = 68").mtu());
        assertEquals(OptionalInt.of(1280), iface("MTU = 1500", "MTU = 1280").mtu());
        assertEquals(OptionalInt.empty(), iface("MTU = 1500", "MTU =").mtu(), "an empty MTU is automatic again");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Table = off     | off",
        "Table = auto    | auto",
        "Table = 1234    | 1234",
        "Table = main    | main",
        "table = vpn_2.x | vpn_2.x",
    })
    void table(String line, String table) throws ConfigException {
        assertEquals(Optional.of(table), iface(line).table());
    }

    @Test
    void anEmptyTableIsAuto() throws ConfigException {
        assertEquals(Optional.empty(), iface("Table = 7", "Table = ").table());
    }

    @Test
    void hooksKeepOrderTextAndComments() throws ConfigException {
        InterfaceSection i = iface(
                "PreUp = echo one",
                "PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
                "PreUp = echo two  # the hook keeps this, as wg-quick does",
                "PreDown = logger \"a=b\"",
                "PostDown = ip rule del   table 7\r",
                "preup=echo three",
                "PostDown =");
        assertEquals(List.of("echo one", "echo two  # the hook keeps this, as wg-quick does", "echo three"), i.preUp());
        assertEquals(List.of("iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE"),
                i.postUp());
        assertEquals(List.of("logger \"a=b\""), i.preDown());
        assertEquals(List.of("ip rule del   table 7"), i.postDown());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "SaveConfig = true  | true",
        "SaveConfig = TRUE  | true",
        "SaveConfig = false | false",
        "saveconfig=False   | false",
    })
    void saveConfig(String line, boolean save) throws ConfigException {
        assertEquals(save, iface(line).saveConfig());
    }

    @Test
    void keys() throws ConfigException {
        PeerSection p = peer("PresharedKey = " + TestKeys.base64(5));
        assertArrayEquals(TestKeys.key(100), p.publicKey());
        assertArrayEquals(TestKeys.key(5), p.presharedKey());
        assertArrayEquals(TestKeys.key(6), peer("publickey = " + TestKeys.base64(6)).publicKey(), "the last one wins");
    }

    @Test
    void allowedIpsAccumulateOverLines() throws ConfigException {
        PeerSection p = peer("AllowedIPs = 10.0.0.2/32, fd00::2/128", "AllowedIPs=0.0.0.0/0,::/0",
                "allowedips = 192.168.0.5/24 , 10.9.0.0", "AllowedIPs = 2001:db8::/32 # the lab");
        assertEquals(List.of("10.0.0.2/32", "fd00::2/128", "0.0.0.0/0", "::/0", "192.168.0.5/24", "10.9.0.0/32",
                "2001:db8::/32"), strings(p.allowedIps()));
        assertTrue(p.allowedIps().get(4).hasHostBits());
        assertFalse(p.allowedIps().get(6).hasHostBits());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Endpoint = 192.0.2.1:51820              | 192.0.2.1               | 51820",
        "Endpoint = [fd00::1]:51820              | fd00::1                 | 51820",
        "Endpoint = [2001:DB8:0::1:2]:1          | 2001:db8::1:2           | 1",
        "Endpoint = fd00::1:51820                | fd00::1                 | 51820",
        "Endpoint = [::ffff:192.0.2.1]:7         | ::ffff:192.0.2.1        | 7",
        "Endpoint = vpn.example.com:51820        | vpn.example.com         | 51820",
        "Endpoint = vpn.example.com.:65535       | vpn.example.com.        | 65535",
        "Endpoint = my-host_1:0                  | my-host_1               | 0",
        "Endpoint = [vpn.example.com]:9          | vpn.example.com         | 9",
        "endpoint=  192.0.2.1 : 51820 # spaces   | 192.0.2.1               | 51820",
    })
    void endpoint(String line, String host, int port) throws ConfigException {
        assertEquals(Optional.of(new HostPort(host, port)), peer(line).endpoint());
    }

    @Test
    void theLastEndpointWins() throws ConfigException {
        assertEquals(Optional.of(new HostPort("b.example", 2)),
                peer("Endpoint = a.example:1", "Endpoint = b.example:2").endpoint());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "PersistentKeepalive = 25    | 25",
        "PersistentKeepalive = 0     | 0",
        "PersistentKeepalive = off   | 0",
        "PersistentKeepalive = Off   | 0",
        "PersistentKeepalive = 65535 | 65535",
        "persistentkeepalive=10      | 10",
    })
    void persistentKeepalive(String line, int seconds) throws ConfigException {
        assertEquals(OptionalInt.of(seconds), peer(line).persistentKeepalive());
    }

    @Test
    void crlfLineEndings() throws ConfigException {
        WgConfig c = parse("[Interface]\r\nListenPort = 51820\r\nPostUp = echo hi\r\n\r\n" + PEER_HEAD.replace("\n", "\r\n")
                + "AllowedIPs = 10.0.0.2/32\r\nEndpoint = [fd00::1]:5\r\n");
        assertEquals(OptionalInt.of(51820), c.iface().listenPort());
        assertEquals(List.of("echo hi"), c.iface().postUp());
        assertEquals(List.of("10.0.0.2/32"), strings(c.peers().getFirst().allowedIps()));
        assertEquals(Optional.of(new HostPort("fd00::1", 5)), c.peers().getFirst().endpoint());
    }

    @Test
    void aByteOrderMarkIsSkipped() throws ConfigException {
        assertEquals(OptionalInt.of(1), parse("\uFEFF[Interface]\nListenPort = 1\n").iface().listenPort());
    }

    @Test
    void sectionHeadersIgnoreCaseSpacesAndComments() throws ConfigException {
        WgConfig c = parse("  [interface]  # mine\nListenPort = 1\n[ PEER ]\nPublicKey = " + TestKeys.base64(1) + "\n");
        assertEquals(OptionalInt.of(1), c.iface().listenPort());
        assertEquals(1, c.peers().size());
    }

    @Test
    void theLastValueOfARepeatedKeyWins() throws ConfigException {
        InterfaceSection i = iface("ListenPort = 1", "ListenPort = 2", "FwMark = 3", "FwMark = off",
                "PrivateKey = " + TestKeys.base64(1), "PrivateKey = " + TestKeys.base64(2), "SaveConfig = true",
                "SaveConfig = false");
        assertEquals(OptionalInt.of(2), i.listenPort());
        assertEquals(OptionalLong.of(0), i.fwmark());
        assertArrayEquals(TestKeys.key(2), i.privateKey());
        assertFalse(i.saveConfig());
        PeerSection p = peer("PersistentKeepalive = 5", "PersistentKeepalive = 6", "PresharedKey = " + TestKeys.base64(1),
                "PresharedKey = " + TestKeys.base64(3));
        assertEquals(OptionalInt.of(6), p.persistentKeepalive());
        assertArrayEquals(TestKeys.key(3), p.presharedKey());
    }

    @Test
    void aValueMayHoldEquals() throws ConfigException {
        // the key ends at the first '=', so base64 padding and '=' in hooks survive
        assertEquals(List.of("a=b=c"), iface("PostUp = a=b=c").postUp());
        assertArrayEquals(TestKeys.key(7), iface("PrivateKey=" + TestKeys.base64(7)).privateKey());
    }
}
