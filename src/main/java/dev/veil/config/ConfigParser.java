package dev.veil.config;

import dev.veil.config.Keys.Key;
import dev.veil.config.Keys.Section;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a {@code wg} / {@code wg-quick} configuration file into a {@link WgConfig}, line by line as
 * {@code wg setconf} and {@code wg-quick} read it: '#' starts a comment, blank lines are skipped, section headers and
 * keys are case-insensitive, a value is stripped as its reader strips it (see {@link Keys.Reader}), list keys
 * accumulate over repeated lines and a repeated single-valued key keeps its last value. Where the tools accept more,
 * Veil is stricter in one place: a second {@code [Interface]} section is an error. A leading byte order mark is
 * skipped. Each instance parses one file; the static methods are thread-safe.
 */
public final class ConfigParser {
    private static final Pattern SHOWABLE_NAME = Pattern.compile("\\[?[A-Za-z][A-Za-z0-9_ -]{0,31}]?");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final String fileName;
    private final InterfaceSection.Builder iface = new InterfaceSection.Builder();
    private final List<PeerSection.Builder> peers = new ArrayList<>();
    private Section section;
    private int interfaceLine;

    private ConfigParser(String fileName) {
        this.fileName = fileName;
    }

    /** Parses {@code text}; {@code fileName} only names the file in errors. */
    public static WgConfig parse(String fileName, String text) throws ConfigException {
        return new ConfigParser(fileName).parse(text);
    }

    /** Reads and parses a UTF-8 file; an unreadable file is a ConfigException naming it. */
    public static WgConfig parse(Path file) throws ConfigException {
        String name = file.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(name, 0, null, "cannot read: " + reason(e));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(name, 0, null, "not UTF-8 text");
        }
        return parse(name, text);
    }

    /**
     * wg-quick's warning when others may read the file, {@code Warning: `/etc/wireguard/wg0.conf' is world
     * accessible}, or null. As in wg-quick, it warns when both the file and its directory grant others any access.
     * Null too when the permissions cannot be read (a file system without POSIX permissions, or no such file).
     */
    public static String permissionWarning(Path file) {
        try {
            Path real = file.toRealPath();
            Set<PosixFilePermission> mode = EnumSet.copyOf(OTHERS);
            mode.retainAll(Files.getPosixFilePermissions(real));
            Path dir = real.getParent();
            if (dir != null) mode.retainAll(Files.getPosixFilePermissions(dir));
            return mode.isEmpty() ? null : "Warning: `" + real + "' is world accessible";
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private WgConfig parse(String text) throws ConfigException {
        String[] lines = (text.startsWith("\uFEFF") ? text.substring(1) : text).split("\n", -1);
        for (int i = 0; i < lines.length; i++) line(lines[i], i + 1);
        List<PeerSection> out = new ArrayList<>(peers.size());
        for (PeerSection.Builder p : peers) {
            if (p.publicKey == null) throw error(p.line, Section.PEER.header, "has no PublicKey");
            out.add(p.build());
        }
        return new WgConfig(iface.build(), out);
    }

    private void line(String raw, int line) throws ConfigException {
        int hash = raw.indexOf('#');
        String content = hash < 0 ? raw : raw.substring(0, hash);
        String compact = removeSpaces(content);
        if (compact.isEmpty()) return;
        if (compact.charAt(0) == '[') {
            header(compact, line);
            return;
        }
        int eq = content.indexOf('=');
        if (eq < 0) throw error(line, null, "neither a section header nor Key = Value");
        String written = trim(content.substring(0, eq));
        if (written.isEmpty()) throw error(line, null, "no key before '='");
        if (section == null) {
            Key<?, ?> known = Keys.find(Keys.INTERFACE, written);
            if (known == null) known = Keys.find(Keys.PEER, written);
            if (known != null) throw error(line, known.name(), "comes before any [Interface] or [Peer] section");
            throw error(line, showable(written), "unknown key, before any section");
        }
        if (section == Section.INTERFACE) {
            Key<InterfaceSection, InterfaceSection.Builder> key = Keys.find(Keys.INTERFACE, written);
            if (key != null) {
                apply(key, iface, raw, content, eq, line);
                return;
            }
        } else {
            Key<PeerSection, PeerSection.Builder> key = Keys.find(Keys.PEER, written);
            if (key != null) {
                apply(key, peers.getLast(), raw, content, eq, line);
                return;
            }
        }
        Section other = section == Section.INTERFACE ? Section.PEER : Section.INTERFACE;
        Key<?, ?> elsewhere = Keys.find(Keys.of(other), written);
        if (elsewhere != null) {
            throw error(line, elsewhere.name(), "belongs in " + other.header + ", not " + section.header);
        }
        throw error(line, showable(written), "unknown key in " + section.header);
    }

    private void header(String compact, int line) throws ConfigException {
        if (Values.asciiEqualsIgnoreCase(compact, Section.INTERFACE.header)) {
            if (interfaceLine > 0) {
                throw error(line, Section.INTERFACE.header, "a second [Interface] section (the first is at line "
                        + interfaceLine + ")");
            }
            interfaceLine = line;
            section = Section.INTERFACE;
        } else if (Values.asciiEqualsIgnoreCase(compact, Section.PEER.header)) {
            peers.add(new PeerSection.Builder(line));
            section = Section.PEER;
        } else {
            throw error(line, showable(compact), "unknown section (there are [Interface] and [Peer])");
        }
    }

    private <B> void apply(Key<?, B> key, B builder, String raw, String content, int eq, int line)
            throws ConfigException {
        String value = switch (key.reader()) {
            case WG -> removeSpaces(content.substring(eq + 1));
            case WG_QUICK -> trim(content.substring(eq + 1));
            case WG_QUICK_RAW -> trim(raw.substring(eq + 1)); // the first '=' comes before any '#'
        };
        if (value.isEmpty() && key.reader() == Keys.Reader.WG) throw error(line, key.name(), "no value");
        try {
            key.setter().set(builder, value);
        } catch (Values.BadValue e) {
            throw error(line, key.name(), e.getMessage());
        }
    }

    private ConfigException error(int line, String key, String detail) {
        return new ConfigException(fileName, line, key, detail);
    }

    /** An unknown name as written, when it looks like a name; null (not shown) when it might be a pasted secret. */
    private static String showable(String written) {
        return SHOWABLE_NAME.matcher(written).matches() ? written : null;
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The whitespace of {@code wg} and of bash's {@code [[:space:]]} in the C locale: space, \t, \n, \v, \f, \r. */
    static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    static String trim(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isSpace(s.charAt(from))) from++;
        while (to > from && isSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }

    static String removeSpaces(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) sb.append(s.charAt(i));
        }
        return sb.toString();
    }
}
