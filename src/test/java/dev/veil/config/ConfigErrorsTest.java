package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kind of error, with its exact one-line message; and that no message or toString shows a secret key. */
class ConfigErrorsTest {
    /** A peer header and its public key: two lines. */
    private static final String PEER = "[Peer]\\nPublicKey = " + TestKeys.base64(100) + "\\n";

    private static ConfigException error(String text) {
        String expanded = text.replace("{PEER}", PEER).replace("{K1}", TestKeys.base64(1)).replace("\\n", "\n");
        return assertThrows(ConfigException.class, () -> ConfigParser.parse("wg0.conf", expanded));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // structure
        "[Interface]\\nFoo = 1                   | wg0.conf:2: Foo: unknown key in [Interface]",
        "[Interface]\\nPre Up = x                | wg0.conf:2: Pre Up: unknown key in [Interface]",
        "{PEER}Persistent = 1                    | wg0.conf:3: Persistent: unknown key in [Peer]",
        "[Interface]\\nPublicKey = {K1}          | wg0.conf:2: PublicKey: belongs in [Peer], not [Interface]",
        "[Interface]\\nEndpoint = a:1            | wg0.conf:2: Endpoint: belongs in [Peer], not [Interface]",
        "{PEER}Address = 10.0.0.1/24             | wg0.conf:3: Address: belongs in [Interface], not [Peer]",
        "{PEER}listenport = 1                    | wg0.conf:3: ListenPort: belongs in [Interface], not [Peer]",
        "ListenPort = 51820\\n[Interface]        | wg0.conf:1: ListenPort: comes before any [Interface] or [Peer] section",
        "# c\\n\\nAddress = 10.0.0.1             | wg0.conf:3: Address: comes before any [Interface] or [Peer] section",
        "# c\\nFoo = 1                           | wg0.conf:2: Foo: unknown key, before any section",
        "[Interface]\\nListenPort = 1\\n[Interface] | wg0.conf:3: [Interface]: a second [Interface] section (the first is at line 1)",
        "{PEER}[interface]\\n[Interface]         | wg0.conf:4: [Interface]: a second [Interface] section (the first is at line 3)",
        "[Interface]\\n[Foo]                     | wg0.conf:2: [Foo]: unknown section (there are [Interface] and [Peer])",
        "[Peer]\\nAllowedIPs = 10.0.0.2/32\\n{PEER} | wg0.conf:1: [Peer]: has no PublicKey",
        "{PEER}[Peer]\\nEndpoint = a:1\\n{PEER}  | wg0.conf:3: [Peer]: has no PublicKey",
        "[Interface]\\nListenPort 51820          | wg0.conf:2: neither a section header nor Key = Value",
        "[Interface]\\n = 5                      | wg0.conf:2: no key before '='",
        // empty values of wg's keys
        "[Interface]\\nListenPort =              | wg0.conf:2: ListenPort: no value",
        "[Interface]\\nPrivateKey = # none       | wg0.conf:2: PrivateKey: no value",
        "{PEER}AllowedIPs =                      | wg0.conf:3: AllowedIPs: no value",
        // keys
        "[Interface]\\nPrivateKey = abc          | wg0.conf:2: PrivateKey: not a valid base64 key (44 characters ending in '=')",
        "{PEER}PresharedKey = {K1}x              | wg0.conf:3: PresharedKey: not a valid base64 key (44 characters ending in '=')",
        // ports
        "[Interface]\\nListenPort = 65536        | wg0.conf:2: ListenPort: \"65536\" is not a port number (0 to 65535)",
        "[Interface]\\nListenPort = -1           | wg0.conf:2: ListenPort: \"-1\" is not a port number (0 to 65535)",
        "[Interface]\\nListenPort = http         | wg0.conf:2: ListenPort: \"http\" is not a port number (0 to 65535)",
        "[Interface]\\nListenPort = 99999999999999999999 | wg0.conf:2: ListenPort: \"99999999999999999999\" is not a port number (0 to 65535)",
        // fwmark
        "[Interface]\\nFwMark = 0x100000000      | wg0.conf:2: FwMark: \"0x100000000\" is neither off nor a number from 0 to 0xffffffff",
        "[Interface]\\nFwMark = 4294967296       | wg0.conf:2: FwMark: \"4294967296\" is neither off nor a number from 0 to 0xffffffff",
        "[Interface]\\nFwMark = 0X10             | wg0.conf:2: FwMark: \"0X10\" is neither off nor a number from 0 to 0xffffffff",
        "[Interface]\\nFwMark = 0x               | wg0.conf:2: FwMark: \"0x\" is neither off nor a number from 0 to 0xffffffff",
        "[Interface]\\nFwMark = -1               | wg0.conf:2: FwMark: \"-1\" is neither off nor a number from 0 to 0xffffffff",
        "[Interface]\\nFwMark = none             | wg0.conf:2: FwMark: \"none\" is neither off nor a number from 0 to 0xffffffff",
        // keepalive
        "{PEER}PersistentKeepalive = 65536       | wg0.conf:3: PersistentKeepalive: \"65536\" is neither off nor a number from 0 to 65535",
        "{PEER}PersistentKeepalive = -1          | wg0.conf:3: PersistentKeepalive: \"-1\" is neither off nor a number from 0 to 65535",
        "{PEER}PersistentKeepalive = 25s         | wg0.conf:3: PersistentKeepalive: \"25s\" is neither off nor a number from 0 to 65535",
        // wg-quick's keys
        "[Interface]\\nMTU = 67                  | wg0.conf:2: MTU: \"67\" is not a number from 68 to 65535",
        "[Interface]\\nMTU = 65536               | wg0.conf:2: MTU: \"65536\" is not a number from 68 to 65535",
        "[Interface]\\nMTU = 1500b               | wg0.conf:2: MTU: \"1500b\" is not a number from 68 to 65535",
        "[Interface]\\nTable = my table          | wg0.conf:2: Table: \"my table\" is not off, auto, a table number or a table name",
        "[Interface]\\nTable = 4294967296        | wg0.conf:2: Table: \"4294967296\" is not off, auto, a table number or a table name",
        "[Interface]\\nSaveConfig = yes          | wg0.conf:2: SaveConfig: \"yes\" is neither true nor false",
        "[Interface]\\nSaveConfig =              | wg0.conf:2: SaveConfig: \"\" is neither true nor false",
        "[Interface]\\nDNS = 1.1.1.1, 1.2.3      | wg0.conf:2: DNS: \"1.2.3\" is not an IP address",
        "[Interface]\\nDNS = fd00::1::2          | wg0.conf:2: DNS: \"fd00::1::2\" is not an IP address",
        "[Interface]\\nDNS = fe80::1%            | wg0.conf:2: DNS: \"fe80::1%\" is not an IP address",
        // prefixes
        "[Interface]\\nAddress = 10.0.0.1/33     | wg0.conf:2: Address: \"10.0.0.1/33\": the prefix length is not a number from 0 to 32",
        "[Interface]\\nAddress = fd00::1/129     | wg0.conf:2: Address: \"fd00::1/129\": the prefix length is not a number from 0 to 128",
        "[Interface]\\nAddress = 10.0.0          | wg0.conf:2: Address: \"10.0.0\" is not an IP address",
        "{PEER}AllowedIPs = 10.0.0.0/33          | wg0.conf:3: AllowedIPs: \"10.0.0.0/33\": the prefix length is not a number from 0 to 32",
        "{PEER}AllowedIPs = 10.0.0.0/8,          | wg0.conf:3: AllowedIPs: an empty entry in the list",
        "{PEER}AllowedIPs = 10.0.0.0/8,,::/0     | wg0.conf:3: AllowedIPs: an empty entry in the list",
        "{PEER}AllowedIPs = -10.0.0.0/8          | wg0.conf:3: AllowedIPs: \"-10.0.0.0\" is not an IP address",
        "{PEER}AllowedIPs = 10.0.0.256/32        | wg0.conf:3: AllowedIPs: \"10.0.0.256\" is not an IP address",
        "{PEER}AllowedIPs = 10.0.0.0/            | wg0.conf:3: AllowedIPs: \"10.0.0.0/\": the prefix length is not a number from 0 to 32",
        "{PEER}AllowedIPs = 10.0.0.0/+8          | wg0.conf:3: AllowedIPs: \"10.0.0.0/+8\": the prefix length is not a number from 0 to 32",
        "{PEER}AllowedIPs = example.com/32       | wg0.conf:3: AllowedIPs: \"example.com\" is not an IP address",
        // endpoints
        "{PEER}Endpoint = 1.2.3.4                | wg0.conf:3: Endpoint: \"1.2.3.4\" has no port (host:port or [IPv6]:port)",
        "{PEER}Endpoint = 1.2.3.4:               | wg0.conf:3: Endpoint: \"1.2.3.4:\" has no port (host:port or [IPv6]:port)",
        "{PEER}Endpoint = [fd00::1]              | wg0.conf:3: Endpoint: \"[fd00::1]\" has no port (host:port or [IPv6]:port)",
        "{PEER}Endpoint = [fd00::1]51820         | wg0.conf:3: Endpoint: \"[fd00::1]51820\" has no port (host:port or [IPv6]:port)",
        "{PEER}Endpoint = [fd00::1]:             | wg0.conf:3: Endpoint: \"[fd00::1]:\" has no port (host:port or [IPv6]:port)",
        "{PEER}Endpoint = [fd00::1:51820         | wg0.conf:3: Endpoint: \"[fd00::1:51820\" has no closing ']'",
        "{PEER}Endpoint = 1.2.3.4:65536          | wg0.conf:3: Endpoint: \"65536\" is not a port number (0 to 65535)",
        "{PEER}Endpoint = 1.2.3.4:http           | wg0.conf:3: Endpoint: \"http\" is not a port number (0 to 65535)",
        "{PEER}Endpoint = :51820                 | wg0.conf:3: Endpoint: \"\" is not an IP address or host name",
        "{PEER}Endpoint = []:51820               | wg0.conf:3: Endpoint: \"\" is not an IP address or host name",
        "{PEER}Endpoint = 1.2.3.256:1            | wg0.conf:3: Endpoint: \"1.2.3.256\" is not an IP address or host name",
        "{PEER}Endpoint = bad!host:1             | wg0.conf:3: Endpoint: \"bad!host\" is not an IP address or host name",
        "{PEER}Endpoint = a..example:1           | wg0.conf:3: Endpoint: \"a..example\" is not an IP address or host name",
        "{PEER}Endpoint = [fe80::1%eth0]:1       | wg0.conf:3: Endpoint: \"fe80::1%eth0\" is not an IP address or host name",
        "{PEER}Endpoint = fd00::1                | wg0.conf:3: Endpoint: \"fd00:\" is not an IP address or host name",
    })
    void reportsFileLineKeyAndWhat(String text, String message) {
        assertEquals(message, error(text).getMessage());
    }

    @Test
    void theExceptionCarriesItsParts() {
        ConfigException e = error("[Interface]\\nListenPort = 1\\n\\n# gap\\nListenPort = 65536");
        assertEquals("wg0.conf", e.fileName());
        assertEquals(5, e.line());
        assertEquals("ListenPort", e.key());
        ConfigException noKey = error("[Interface]\\nnonsense");
        assertEquals(2, noKey.line());
        assertNull(noKey.key());
        assertEquals(0, e.getStackTrace().length, "a user error carries no stack trace");
    }

    @Test
    void aKeyTooLongForTheSchemeIsNamedOnce() {
        byte[] big = new byte[48];
        String longKey = Base64.getEncoder().encodeToString(big); // 64 characters
        assertEquals("wg0.conf:2: PrivateKey: not a valid base64 key (44 characters ending in '=')",
                error("[Interface]\\nPrivateKey = " + longKey).getMessage());
    }

    /** Base64 of 31 and 33 bytes is 44 characters; only 32 bytes make a key. A set unused bit is refused too. */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {31, 33, 0})
    void wrongKeyLengths(int length) {
        String text = length == 0
                ? nonCanonical(TestKeys.base64(1))
                : Base64.getEncoder().encodeToString(new byte[length]);
        assertEquals(44, text.length());
        assertEquals("wg0.conf:3: PublicKey: not a valid base64 key (44 characters ending in '=')",
                error("[Interface]\\n[Peer]\\nPublicKey = " + text).getMessage());
    }

    /** The same key with one of the two unused low bits of its last character set. */
    private static String nonCanonical(String key) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int last = alphabet.indexOf(key.charAt(42));
        return key.substring(0, 42) + alphabet.charAt(last | 1) + "=";
    }

    // ---- secrets never appear in messages ----

    private static final String SECRET = TestKeys.base64(42);

    private static void assertHidden(String text, String secret) {
        ConfigException e = error(text);
        String shown = e.getMessage() + " " + e;
        assertFalse(shown.contains(secret), shown);
        assertFalse(shown.contains(secret.substring(0, 12)), shown);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "[Interface]\\nPrivateKey = {S}x",
        "[Interface]\\nPrivateKey = {S}{S}",
        "[Interface]\\nPrivateKey = !{S}",
        "[Interface]\\nPrivateKey = {s}",
        "{PEER}PresharedKey = {S}x",
        "{PEER}PresharedKey = {s}",
        "[Interface]\\nListenPort = {S}",
        "[Interface]\\nFwMark = {S}",
        "[Interface]\\nMTU = {S}",
        "[Interface]\\nTable = {S}",
        "[Interface]\\nSaveConfig = {S}",
        "[Interface]\\nDNS = {s}:1",
        "{PEER}Endpoint = {S}:1",
        "{PEER}Endpoint = {S}",
        "{PEER}AllowedIPs = {S}",
        "{PEER}PersistentKeepalive = {S}",
        "[Interface]\\n{S}",
        "[Interface]\\nPrivateKey {S}",
        "[Interface]\\nPrivateKey: {S}",
        "[Interface]\\n[{s}]",
        "{S}",
    })
    void noMessageShowsAKey(String template) {
        // {S} is a whole key, {s} one cut short by a character
        assertHidden(template.replace("{S}", SECRET).replace("{s}", SECRET.substring(0, 43)), SECRET.substring(0, 43));
    }

    @Test
    void aMalformedPrivateKeyLineDoesNotRepeatItsValue() {
        String value = SECRET.substring(0, 40) + "#AB=";
        ConfigException e = error("[Interface]\\nPrivateKey = " + value.replace("#", "%"));
        assertEquals("wg0.conf:2: PrivateKey: not a valid base64 key (44 characters ending in '=')", e.getMessage());
        assertFalse(e.getMessage().contains(SECRET.substring(0, 40)));
    }

    @Test
    void toStringShowsNoSecretKey() {
        byte[] privateKey = TestKeys.key(7);
        byte[] psk = TestKeys.key(8);
        InterfaceSection iface = new InterfaceSection(privateKey, Optional.empty(), OptionalInt.of(1),
                OptionalLong.empty(), List.of(), List.of(), List.of(), OptionalInt.empty(), Optional.empty(), List.of(),
                List.of(), List.of(), List.of(), false);
        PeerSection peer = new PeerSection(TestKeys.key(9), psk, List.of(), Optional.empty(), OptionalInt.empty());
        String text = new WgConfig(iface, List.of(peer)).toString();
        for (byte[] secret : List.of(privateKey, psk)) {
            assertFalse(text.contains(TestKeys.base64(secret[0])), text);
            assertFalse(text.contains(HexFormat.of().formatHex(secret)), text);
        }
        assertTrue(text.contains("privateKey=(hidden)") && text.contains("presharedKey=(hidden)"), text);
        assertTrue(text.contains(TestKeys.base64(9)), "the public key is no secret: " + text);
        assertTrue(InterfaceSection.EMPTY.toString().contains("privateKey=none"));
    }
}
