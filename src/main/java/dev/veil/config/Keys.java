package dev.veil.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Every key a configuration file may hold, per section, in the order {@link ConfigWriter} writes them (wg-quick's
 * {@code save_config} order, then {@code wg showconf}'s). A key is one entry: its name, who reads it (which decides
 * how its value is stripped), how it sets the section being parsed, and how it is written back. Adding a key is one
 * entry here plus its record component. Immutable and thread-safe.
 */
final class Keys {
    private Keys() {}

    /** The two sections, by header. */
    enum Section {
        INTERFACE("[Interface]"),
        PEER("[Peer]");

        final String header;

        Section(String header) {
            this.header = header;
        }
    }

    /** Who reads a key, and so how its value is stripped before its setter sees it. */
    enum Reader {
        /** {@code wg setconf}: the comment is cut and every whitespace character removed; an empty value is an error. */
        WG,
        /** {@code wg-quick}: the comment is cut and the value trimmed. */
        WG_QUICK,
        /** {@code wg-quick}'s hooks: the whole rest of the line after the first '=', a '#' included, trimmed. */
        WG_QUICK_RAW
    }

    /** Applies a stripped value to the section being built; throws {@link Values.BadValue}. */
    @FunctionalInterface
    interface Setter<B> {
        void set(B builder, String value);
    }

    /**
     * One key.
     *
     * @param values the values to write for a section, one line each; empty when the key is absent
     */
    record Key<S, B>(String name, Reader reader, Setter<B> setter, Function<S, List<String>> values) {
        /** Whether {@code written} (trimmed) names this key: case-insensitive, and for wg also without whitespace. */
        boolean matches(String written) {
            return Values.asciiEqualsIgnoreCase(reader == Reader.WG ? ConfigParser.removeSpaces(written) : written, name);
        }
    }

    static final List<Key<InterfaceSection, InterfaceSection.Builder>> INTERFACE = List.of(
            iface("Address", Reader.WG_QUICK, (b, v) -> b.addresses.addAll(Values.addresses(v)),
                    s -> joined(s.addresses())),
            iface("DNS", Reader.WG_QUICK, (b, v) -> Values.dns(v, b.dns, b.dnsSearch),
                    s -> joined(concat(s.dns(), s.dnsSearch()))),
            iface("MTU", Reader.WG_QUICK, (b, v) -> b.mtu = v.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Values.mtu(v)),
                    s -> number(s.mtu(), Integer::toString)),
            iface("Table", Reader.WG_QUICK, (b, v) -> b.table = v.isEmpty() ? Optional.empty() : Optional.of(Values.table(v)),
                    s -> s.table().stream().toList()),
            iface("SaveConfig", Reader.WG_QUICK, (b, v) -> b.saveConfig = Values.bool(v),
                    s -> s.saveConfig() ? List.of("true") : List.of()),
            iface("PreUp", Reader.WG_QUICK_RAW, (b, v) -> addHook(b.preUp, v), InterfaceSection::preUp),
            iface("PostUp", Reader.WG_QUICK_RAW, (b, v) -> addHook(b.postUp, v), InterfaceSection::postUp),
            iface("PreDown", Reader.WG_QUICK_RAW, (b, v) -> addHook(b.preDown, v), InterfaceSection::preDown),
            iface("PostDown", Reader.WG_QUICK_RAW, (b, v) -> addHook(b.postDown, v), InterfaceSection::postDown),
            iface("ListenPort", Reader.WG, (b, v) -> b.listenPort = OptionalInt.of(Values.port(v)),
                    s -> number(s.listenPort(), Integer::toString)),
            iface("FwMark", Reader.WG, (b, v) -> b.fwmark = OptionalLong.of(Values.fwmark(v)),
                    s -> s.fwmark().stream().mapToObj(m -> m == 0 ? "off" : "0x" + Long.toHexString(m)).toList()),
            iface("PrivateKey", Reader.WG, (b, v) -> b.privateKey = Values.key(v, b.privateKeyFile.isPresent()),
                    s -> key(s.privateKey())),
            iface("PrivateKeyFile", Reader.WG_QUICK, (b, v) -> b.privateKeyFile = Optional.of(Values.keyFile(v,
                    b.privateKey != null)), s -> s.privateKeyFile().stream().map(Path::toString).toList()));

    static final List<Key<PeerSection, PeerSection.Builder>> PEER = List.of(
            peer("PublicKey", (b, v) -> b.publicKey = Values.key(v), s -> key(s.publicKey())),
            peer("PresharedKey", (b, v) -> b.presharedKey = Values.key(v), s -> key(s.presharedKey())),
            peer("AllowedIPs", (b, v) -> b.allowedIps.addAll(Values.allowedIps(v)), s -> joined(s.allowedIps())),
            peer("Endpoint", (b, v) -> b.endpoint = Optional.of(Values.endpoint(v)),
                    s -> s.endpoint().stream().map(HostPort::toString).toList()),
            peer("PersistentKeepalive", (b, v) -> b.persistentKeepalive = OptionalInt.of(Values.keepalive(v)),
                    s -> number(s.persistentKeepalive(), k -> k == 0 ? "off" : Integer.toString(k))));

    /** The keys of {@code section}. */
    static List<? extends Key<?, ?>> of(Section section) {
        return section == Section.INTERFACE ? INTERFACE : PEER;
    }

    /** The key of {@code keys} that {@code written} names, or null. */
    static <K extends Key<?, ?>> K find(List<K> keys, String written) {
        for (K k : keys) {
            if (k.matches(written)) return k;
        }
        return null;
    }

    private static Key<InterfaceSection, InterfaceSection.Builder> iface(String name, Reader reader,
            Setter<InterfaceSection.Builder> setter, Function<InterfaceSection, List<String>> values) {
        return new Key<>(name, reader, setter, values);
    }

    private static Key<PeerSection, PeerSection.Builder> peer(String name, Setter<PeerSection.Builder> setter,
            Function<PeerSection, List<String>> values) {
        return new Key<>(name, Reader.WG, setter, values);
    }

    /** An empty hook runs nothing in wg-quick, so it is not kept. */
    private static void addHook(List<String> hooks, String command) {
        if (!command.isEmpty()) hooks.add(command);
    }

    private static List<String> joined(List<?> items) {
        if (items.isEmpty()) return List.of();
        return List.of(String.join(", ", items.stream().map(Object::toString).toList()));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<String> number(OptionalInt value, java.util.function.IntFunction<String> format) {
        return value.isPresent() ? List.of(format.apply(value.getAsInt())) : List.of();
    }

    private static List<String> key(byte[] key) {
        return key == null ? List.of() : List.of(KeyText.base64(key));
    }
}
