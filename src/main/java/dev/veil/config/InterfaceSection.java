package dev.veil.config;

import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The {@code [Interface]} section. {@code privateKey}, {@code listenPort} and {@code fwmark} go to the device (the
 * UAPI); the rest are the keys {@code wg-quick} handles itself. {@code privateKeyFile} names where the private key
 * is kept instead; Veil reads that file itself when it applies the configuration ({@link KeyFile}). An absent {@code [Interface]} is the section with
 * nothing set. An immutable value: arrays are copied in and out, lists are unmodifiable copies, and
 * {@link #toString()} never shows the private key.
 *
 * @param privateKey  32 bytes, or null when absent
 * @param privateKeyFile {@code PrivateKeyFile}, as written (a relative path is relative to the configuration's
 *                    directory); never present together with {@code privateKey}
 * @param listenPort  0 to 65535
 * @param fwmark      0 to 0xffffffff; {@code FwMark = off} is 0
 * @param addresses   {@code Address}, in order, host bits kept
 * @param dns         the {@code DNS} entries that are addresses (name servers), IPv6 in RFC 5952 form
 * @param dnsSearch   the other {@code DNS} entries (search domains), as written
 * @param mtu         68 to 65535
 * @param table       {@code off}, {@code auto}, a table number or a table name
 * @param saveConfig  {@code SaveConfig = true}
 */
public record InterfaceSection(
        byte[] privateKey,
        Optional<Path> privateKeyFile,
        OptionalInt listenPort,
        OptionalLong fwmark,
        List<Cidr> addresses,
        List<String> dns,
        List<String> dnsSearch,
        OptionalInt mtu,
        Optional<String> table,
        List<String> preUp,
        List<String> postUp,
        List<String> preDown,
        List<String> postDown,
        boolean saveConfig) {

    /** The section with nothing set. */
    public static final InterfaceSection EMPTY = new Builder().build();

    /** Copies everything; throws IllegalArgumentException for a key that is not 32 bytes or a value out of range. */
    public InterfaceSection {
        privateKey = KeyText.copyOf(privateKey, "private key");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        if (privateKey != null && privateKeyFile.isPresent()) {
            throw new IllegalArgumentException("both a private key and a private key file");
        }
        listenPort.ifPresent(p -> checkRange(p, 0, 65535, "listen port"));
        fwmark.ifPresent(m -> checkRange(m, 0, 0xffffffffL, "fwmark"));
        mtu.ifPresent(m -> checkRange(m, Values.MIN_MTU, Values.MAX_MTU, "MTU"));
        Objects.requireNonNull(table, "table");
        addresses = List.copyOf(addresses);
        dns = List.copyOf(dns);
        dnsSearch = List.copyOf(dnsSearch);
        preUp = List.copyOf(preUp);
        postUp = List.copyOf(postUp);
        preDown = List.copyOf(preDown);
        postDown = List.copyOf(postDown);
    }

    /** A copy of the private key, or null when there is none. */
    @Override
    public byte[] privateKey() {
        return privateKey == null ? null : privateKey.clone();
    }

    static void checkRange(long value, long min, long max, String what) {
        if (value < min || value > max) throw new IllegalArgumentException(what + " " + value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InterfaceSection s && Arrays.equals(privateKey, s.privateKey)
                && privateKeyFile.equals(s.privateKeyFile)
                && listenPort.equals(s.listenPort) && fwmark.equals(s.fwmark) && addresses.equals(s.addresses)
                && dns.equals(s.dns) && dnsSearch.equals(s.dnsSearch) && mtu.equals(s.mtu) && table.equals(s.table)
                && preUp.equals(s.preUp) && postUp.equals(s.postUp) && preDown.equals(s.preDown)
                && postDown.equals(s.postDown) && saveConfig == s.saveConfig;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(privateKey), privateKeyFile, listenPort, fwmark, addresses, dns, dnsSearch, mtu, table,
                preUp, postUp, preDown, postDown, saveConfig);
    }

    /** Every field but the private key, of which only its presence shows. */
    @Override
    public String toString() {
        return "InterfaceSection[privateKey=" + (privateKey == null ? "none" : "(hidden)") + ", privateKeyFile="
                + privateKeyFile + ", listenPort="
                + listenPort + ", fwmark=" + fwmark + ", addresses=" + addresses + ", dns=" + dns + ", dnsSearch="
                + dnsSearch + ", mtu=" + mtu + ", table=" + table + ", preUp=" + preUp + ", postUp=" + postUp
                + ", preDown=" + preDown + ", postDown=" + postDown + ", saveConfig=" + saveConfig + "]";
    }

    /** The section while the parser fills it in. Not thread-safe. */
    static final class Builder {
        byte[] privateKey;
        Optional<Path> privateKeyFile = Optional.empty();
        OptionalInt listenPort = OptionalInt.empty();
        OptionalLong fwmark = OptionalLong.empty();
        final List<Cidr> addresses = new ArrayList<>();
        final List<String> dns = new ArrayList<>();
        final List<String> dnsSearch = new ArrayList<>();
        OptionalInt mtu = OptionalInt.empty();
        Optional<String> table = Optional.empty();
        final List<String> preUp = new ArrayList<>();
        final List<String> postUp = new ArrayList<>();
        final List<String> preDown = new ArrayList<>();
        final List<String> postDown = new ArrayList<>();
        boolean saveConfig;

        InterfaceSection build() {
            return new InterfaceSection(privateKey, privateKeyFile, listenPort, fwmark, addresses, dns, dnsSearch, mtu, table, preUp,
                    postUp, preDown, postDown, saveConfig);
        }
    }
}
