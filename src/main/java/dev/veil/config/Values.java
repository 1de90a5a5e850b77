package dev.veil.config;

import dev.veil.routing.AddressText;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The value syntaxes of configuration keys, as {@code wg setconf} and {@code wg-quick} accept them. Each parser
 * takes a value already stripped as its reader strips it and either returns the value or throws {@link BadValue}
 * with a short description that never holds a key. Stateless and thread-safe.
 */
final class Values {
    static final int MIN_MTU = 68;
    static final int MAX_MTU = 65535;
    private static final int MAX_SHOWN = 40;
    private static final String BOTH_KEYS = "set together with the other of PrivateKey and PrivateKeyFile (use one)";

    private Values() {}

    /** A value that does not parse; the parser adds the file, line and key. Carries no stack trace. */
    static final class BadValue extends RuntimeException {
        BadValue(String detail) {
            super(detail, null, false, false);
        }
    }

    /** A 32-byte key in base64. The message never repeats the value. */
    static byte[] key(String value) {
        byte[] key = KeyText.decode(value);
        if (key == null) throw new BadValue("not a valid base64 key (44 characters ending in '=')");
        return key;
    }

    /** {@link #key(String)} of {@code PrivateKey}, which cannot join a {@code PrivateKeyFile} already set. */
    static byte[] key(String value, boolean keyFileSet) {
        if (keyFileSet) throw new BadValue(BOTH_KEYS);
        return key(value);
    }

    /** A {@code PrivateKeyFile} path, which cannot join a {@code PrivateKey} already set. */
    static Path keyFile(String value, boolean keySet) {
        if (keySet) throw new BadValue(BOTH_KEYS);
        if (value.isEmpty()) throw new BadValue("no value");
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new BadValue(show(value) + " is not a path");
        }
    }

    /** A port number, 0 to 65535 (wg also takes service names; Veil does not). */
    static int port(String value) {
        long port = unsigned(value, 10, 65535);
        if (port < 0) throw new BadValue(show(value) + " is not a port number (0 to 65535)");
        return (int) port;
    }

    /** {@code off} (0), a decimal number or a {@code 0x} hex number, up to 0xffffffff. */
    static long fwmark(String value) {
        if (isOff(value)) return 0;
        boolean hex = value.length() > 2 && value.startsWith("0x");
        long mark = hex ? unsigned(value.substring(2), 16, 0xffffffffL) : unsigned(value, 10, 0xffffffffL);
        if (mark < 0) throw new BadValue(show(value) + " is neither off nor a number from 0 to 0xffffffff");
        return mark;
    }

    /** {@code off} (0) or seconds, 0 to 65535. */
    static int keepalive(String value) {
        if (isOff(value)) return 0;
        long seconds = unsigned(value, 10, 65535);
        if (seconds < 0) throw new BadValue(show(value) + " is neither off nor a number from 0 to 65535");
        return (int) seconds;
    }

    /** An MTU, 68 to 65535. */
    static int mtu(String value) {
        long mtu = unsigned(value, 10, MAX_MTU);
        if (mtu < MIN_MTU) throw new BadValue(show(value) + " is not a number from " + MIN_MTU + " to " + MAX_MTU);
        return (int) mtu;
    }

    /** {@code off}, {@code auto}, a table number (up to 0xffffffff) or a name (letters, digits, '_', '.', '-'). */
    static String table(String value) {
        boolean digits = value.chars().allMatch(c -> IpText.isDigit((char) c));
        boolean valid = digits ? unsigned(value, 10, 0xffffffffL) >= 0
                : value.chars().allMatch(c -> isAlnum(c) || c == '_' || c == '.' || c == '-');
        if (!valid) {
            throw new BadValue(show(value) + " is not off, auto, a table number or a table name");
        }
        return value;
    }

    /** {@code true} or {@code false}, in any case, as wg-quick reads it. */
    static boolean bool(String value) {
        if (asciiEqualsIgnoreCase(value, "true")) return true;
        if (asciiEqualsIgnoreCase(value, "false")) return false;
        throw new BadValue(show(value) + " is neither true nor false");
    }

    /**
     * {@code AllowedIPs}: addresses with an optional {@code /length} (the full length when absent), separated by
     * commas, none empty. The {@code +} and {@code -} prefixes of {@code wg addconf} are not taken.
     */
    static List<Cidr> allowedIps(String value) {
        List<Cidr> out = new ArrayList<>();
        for (String entry : value.split(",", -1)) {
            if (entry.isEmpty()) throw new BadValue("an empty entry in the list");
            out.add(cidr(entry));
        }
        return out;
    }

    /** {@code Address}: like AllowedIPs, but separated by commas or spaces, and empty entries are skipped. */
    static List<Cidr> addresses(String value) {
        List<Cidr> out = new ArrayList<>();
        for (String entry : words(value)) out.add(cidr(entry));
        return out;
    }

    /**
     * {@code DNS}, separated by commas or spaces, split as wg-quick splits it: entries of only digits and dots, or
     * with a ':', are name servers (and must be addresses, IPv6 with an optional {@code %zone}; they are kept in
     * canonical form); the rest are search domains.
     */
    static void dns(String value, List<String> servers, List<String> search) {
        for (String entry : words(value)) {
            if (isServer(entry)) {
                int zone = entry.indexOf('%');
                String address = zone >= 0 && entry.indexOf(':') >= 0 ? entry.substring(0, zone) : entry;
                byte[] bytes = IpText.parse(address);
                if (bytes == null || zone == entry.length() - 1) throw new BadValue(show(entry) + " is not an IP address");
                servers.add(AddressText.format(bytes) + entry.substring(address.length()));
            } else {
                search.add(entry);
            }
        }
    }

    /** Whether wg-quick takes this DNS entry for a name server rather than a search domain. */
    static boolean isServer(String entry) {
        return entry.indexOf(':') >= 0 || entry.chars().allMatch(c -> IpText.isDigit((char) c) || c == '.');
    }

    /**
     * {@code host:port}, {@code [IPv6]:port}, or an IPv6 address and a port after its last ':' (as wg splits it). The
     * host must be an IP address (kept in canonical form) or a syntactically valid DNS name; it is not resolved.
     */
    static HostPort endpoint(String value) {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) throw new BadValue(show(value) + " has no closing ']'");
            host = value.substring(1, close);
            int after = close + 1;
            if (after >= value.length() || value.charAt(after) != ':' || after + 1 == value.length()) {
                throw new BadValue(show(value) + " has no port (host:port or [IPv6]:port)");
            }
            port = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0 || colon == value.length() - 1) {
                throw new BadValue(show(value) + " has no port (host:port or [IPv6]:port)");
            }
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        if (!isHost(host)) throw new BadValue(show(host) + " is not an IP address or host name");
        byte[] address = IpText.parse(host);
        return new HostPort(address == null ? host : AddressText.format(address), port(port));
    }

    private static boolean isHost(String host) {
        if (host.isEmpty()) return false;
        if (host.indexOf(':') >= 0 || host.chars().allMatch(c -> IpText.isDigit((char) c) || c == '.')) {
            return IpText.parse(host) != null;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (name.isEmpty() || name.length() > 253) return false;
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) return false;
            if (!label.chars().allMatch(c -> isAlnum(c) || c == '-' || c == '_')) return false;
        }
        return true;
    }

    private static Cidr cidr(String entry) {
        int slash = entry.indexOf('/');
        String ip = slash < 0 ? entry : entry.substring(0, slash);
        byte[] address = IpText.parse(ip);
        if (address == null) throw new BadValue(show(ip) + " is not an IP address");
        int max = 8 * address.length;
        if (slash < 0) return new Cidr(address, max);
        long length = unsigned(entry.substring(slash + 1), 10, max);
        if (length < 0) throw new BadValue(show(entry) + ": the prefix length is not a number from 0 to " + max);
        return new Cidr(address, (int) length);
    }

    /** The entries of a value separated by commas or whitespace, as bash splits {@code ${value//,/ }}. */
    private static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= value.length(); i++) {
            boolean separator = i == value.length() || value.charAt(i) == ',' || ConfigParser.isSpace(value.charAt(i));
            if (separator && start >= 0) {
                out.add(value.substring(start, i));
                start = -1;
            } else if (!separator && start < 0) {
                start = i;
            }
        }
        return out;
    }

    /** The value of an unsigned number of only digits in {@code radix}, or -1 if it is not one or exceeds max. */
    static long unsigned(String text, int radix, long max) {
        if (text.isEmpty()) return -1;
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 0x80 ? Character.digit(c, radix) : -1;
            if (digit < 0) return -1;
            value = value * radix + digit;
            if (value > max) return -1;
        }
        return value;
    }

    private static boolean isOff(String value) {
        return asciiEqualsIgnoreCase(value, "off");
    }

    private static boolean isAlnum(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /** Case-insensitive equality over ASCII letters only, as {@code strcasecmp} in the C locale. */
    static boolean asciiEqualsIgnoreCase(String a, String b) {
        if (a.length() != b.length()) return false;
        for (int i = 0; i < a.length(); i++) {
            if (lower(a.charAt(i)) != lower(b.charAt(i))) return false;
        }
        return true;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    /**
     * A value quoted for a message. Defence in depth against a key pasted under the wrong name: a long value, or a
     * run of 20 or more base64 characters with a letter among them, is described by its length instead of shown.
     */
    static String show(String value) {
        boolean base64ish = value.chars().allMatch(c -> isAlnum(c) || c == '+' || c == '/' || c == '=')
                && value.chars().anyMatch(c -> isAlnum(c) && !IpText.isDigit((char) c));
        if (value.length() > MAX_SHOWN || (base64ish && value.length() >= 20)) {
            return "a value of " + value.length() + " characters";
        }
        return '"' + value + '"';
    }
}
