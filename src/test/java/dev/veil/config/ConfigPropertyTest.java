package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.routing.AddressText;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Random text fails only with a ConfigException (and what parses, writes back to itself); random configurations
 * survive a write and a parse; a bad secret key is never repeated in a message.
 */
class ConfigPropertyTest {
    private static final List<String> WORDS = List.of("[Interface]", "[Peer]", "[interface]", "[", "]", "=", " = ",
            "#", ",", ", ", ":", "/", " ", "\t", "\r", "\uFEFF", "PrivateKey", "ListenPort", "FwMark", "Address", "DNS",
            "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig", "PublicKey", "PresharedKey",
            "AllowedIPs", "Endpoint", "PersistentKeepalive", "off", "auto", "true", "false", "0x", "0x1f", "51820",
            "65535", "65536", "10.0.0.1", "10.0.0.0/8", "/33", "/0", "fd00::1", "::", "[fd00::1]:51820",
            "vpn.example.com", "1.2.3.4:5", TestKeys.base64(1), TestKeys.base64(2), TestKeys.base64(1).substring(5));

    private static final List<String> INTERFACE_LINES = List.of("PrivateKey = " + TestKeys.base64(1),
            "ListenPort = 51820", "FwMark = 0x1f", "FwMark = off", "Address = 10.0.0.1/24, fd00::1/64",
            "DNS = 1.1.1.1 example.com", "MTU = 1420", "Table = off", "PreUp = echo up # kept", "PostDown = iptables -D x",
            "SaveConfig = true", "# a comment", "");
    private static final List<String> PEER_LINES = List.of("PresharedKey = " + TestKeys.base64(4),
            "AllowedIPs = 10.0.0.0/8, ::/0", "AllowedIPs = 192.168.0.1", "Endpoint = [fd00::1]:51820",
            "Endpoint = vpn.example.com:1", "PersistentKeepalive = 25", "PersistentKeepalive = off", "# a comment", "");

    /** Valid files, then up to three random edits: a few characters cut and a fragment put in their place. */
    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> iface = Arbitraries.of(INTERFACE_LINES).list().ofMaxSize(6)
                .map(lines -> "[Interface]\n" + String.join("\n", lines) + "\n");
        Arbitrary<String> peer = Arbitraries.of(PEER_LINES).list().ofMaxSize(5)
                .map(lines -> "[Peer]\nPublicKey = " + TestKeys.base64(2) + "\n" + String.join("\n", lines) + "\n");
        Arbitrary<String> file = Combinators.combine(iface.optional(0.8), peer.list().ofMaxSize(3))
                .as((i, peers) -> i.orElse("") + String.join("\n", peers));
        Arbitrary<String> fragment = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(WORDS)),
                Tuple.of(1, Arbitraries.of("\n", "\r\n", "")),
                Tuple.of(2, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(10)),
                Tuple.of(1, Arbitraries.strings().all().ofMaxLength(4)));
        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 6),
                fragment).as(Edit::new);
        return Combinators.combine(file, edit.list().ofMaxSize(3)).as((text, edits) -> {
            for (Edit e : edits) text = e.apply(text);
            return text;
        });
    }

    /** Cuts {@code cut} characters at a point {@code where} of the way through a text and puts {@code put} there. */
    record Edit(double where, int cut, String put) {
        String apply(String text) {
            int at = (int) (where * text.length());
            return text.substring(0, at) + put + text.substring(Math.min(text.length(), at + cut));
        }
    }

    @Property(tries = 3000)
    @StatisticsReport(onFailureOnly = true)
    void randomTextFailsOnlyWithConfigException(@ForAll("texts") String text) throws Exception {
        Statistics.coverage(c -> { // both outcomes must be common, or the property tests little
            c.check("parsed").percentage(p -> p >= 3);
            c.check("refused").percentage(p -> p >= 30);
        });
        WgConfig config;
        try {
            config = ConfigParser.parse("r.conf", text);
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith("r.conf:" + e.line() + ": "), e.getMessage());
            assertTrue(e.line() >= 1 && e.line() <= text.split("\n", -1).length, e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            Statistics.collect("refused");
            return;
        }
        Statistics.collect(config.peers().isEmpty() && config.iface().equals(InterfaceSection.EMPTY) ? "empty" : "parsed");
        assertEquals(config, ConfigParser.parse("r.conf", ConfigWriter.write(config)));
        assertTrue(UapiSet.request(config, host -> new byte[4]).startsWith("set=1\n"));
    }

    // ---- random configurations ----

    private static Arbitrary<byte[]> keys() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32);
    }

    private static Arbitrary<byte[]> addresses() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16));
    }

    private static Arbitrary<List<Cidr>> cidrs() {
        return addresses().flatMap(a -> Arbitraries.integers().between(0, 8 * a.length).map(n -> new Cidr(a, n)))
                .list().ofMaxSize(4);
    }

    private static Arbitrary<String> domains() {
        Arbitrary<String> label = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_').ofMinLength(1)
                .ofMaxLength(8).filter(s -> Character.isLetter(s.charAt(0)));
        return label.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(".", l));
    }

    /** Printable text with no space at either end: what a hook line reads back as. */
    private static Arbitrary<List<String>> hooks() {
        return Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(30)
                .filter(s -> s.charAt(0) != ' ' && s.charAt(s.length() - 1) != ' ').list().ofMaxSize(3);
    }

    private static Arbitrary<Optional<String>> tables() {
        return Arbitraries.oneOf(Arbitraries.of("off", "auto", "main"),
                Arbitraries.longs().between(0, 0xffffffffL).map(n -> Long.toString(n)),
                Arbitraries.strings().withCharRange('a', 'z').withChars('_', '.', '-', '7').ofMinLength(1)
                        .ofMaxLength(10)).optional(0.6);
    }

    private static Arbitrary<InterfaceSection> interfaces() {
        return Builders.withBuilder(InterfaceSection.Builder::new)
                .use(keys().injectNull(0.3)).in((b, k) -> set(b, () -> b.privateKey = k))
                .use(Arbitraries.integers().between(0, 65535).optional(0.7)).in((b, p) -> set(b, () ->
                        b.listenPort = p.map(OptionalInt::of).orElse(OptionalInt.empty())))
                .use(Arbitraries.longs().between(0, 0xffffffffL).optional(0.5)).in((b, m) -> set(b, () ->
                        b.fwmark = m.map(OptionalLong::of).orElse(OptionalLong.empty())))
                .use(cidrs()).in((b, a) -> set(b, () -> b.addresses.addAll(a)))
                .use(addresses().map(AddressText::format).list().ofMaxSize(3)).in((b, d) -> set(b, () -> b.dns.addAll(d)))
                .use(domains().list().ofMaxSize(3)).in((b, d) -> set(b, () -> b.dnsSearch.addAll(d)))
                .use(Arbitraries.integers().between(Values.MIN_MTU, Values.MAX_MTU).optional(0.5)).in((b, m) -> set(b,
                        () -> b.mtu = m.map(OptionalInt::of).orElse(OptionalInt.empty())))
                .use(tables()).in((b, t) -> set(b, () -> b.table = t))
                .use(hooks()).in((b, h) -> set(b, () -> b.preUp.addAll(h)))
                .use(hooks()).in((b, h) -> set(b, () -> b.postUp.addAll(h)))
                .use(hooks()).in((b, h) -> set(b, () -> b.preDown.addAll(h)))
                .use(hooks()).in((b, h) -> set(b, () -> b.postDown.addAll(h)))
                .use(Arbitraries.of(true, false)).in((b, s) -> set(b, () -> b.saveConfig = s))
                .build(InterfaceSection.Builder::build);
    }

    private static <B> B set(B builder, Runnable change) {
        change.run();
        return builder;
    }

    private static Arbitrary<PeerSection> peers() {
        Arbitrary<String> hosts = Arbitraries.oneOf(addresses().map(AddressText::format), domains());
        Arbitrary<Optional<HostPort>> endpoints = Combinators.combine(hosts, Arbitraries.integers().between(0, 65535))
                .as(HostPort::new).optional(0.7);
        Arbitrary<OptionalInt> keepalives = Arbitraries.integers().between(0, 65535).optional(0.5)
                .map(k -> k.map(OptionalInt::of).orElse(OptionalInt.empty()));
        return Combinators.combine(keys(), keys().injectNull(0.5), cidrs(), endpoints, keepalives).as(PeerSection::new);
    }

    @Provide
    Arbitrary<WgConfig> configs() {
        return Combinators.combine(interfaces(), peers().list().ofMaxSize(4)).as(WgConfig::new);
    }

    @Property(tries = 1000)
    void writingAndParsingGivesTheSameConfig(@ForAll("configs") WgConfig config) throws ConfigException {
        assertEquals(config, ConfigParser.parse("w.conf", ConfigWriter.write(config)));
    }

    @Property(tries = 500)
    void aBadSecretKeyIsNeverRepeated(@ForAll("badKeys") String value) {
        for (String text : List.of("[Interface]\nPrivateKey = " + value,
                "[Peer]\nPublicKey = " + TestKeys.base64(1) + "\nPresharedKey = " + value)) {
            try {
                ConfigParser.parse("k.conf", text);
            } catch (ConfigException e) {
                assertFalse(e.getMessage().contains(value.strip()), e.getMessage());
            }
        }
    }

    /** Strings near a key: base64 characters and a little noise, 8 to 60 long. */
    @Provide
    Arbitrary<String> badKeys() {
        List<Character> alphabet = new ArrayList<>();
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!-_.:".chars()
                .forEach(c -> alphabet.add((char) c));
        return Arbitraries.of(alphabet).list().ofMinSize(8).ofMaxSize(60)
                .map(cs -> cs.stream().map(String::valueOf).reduce("", String::concat));
    }
}
