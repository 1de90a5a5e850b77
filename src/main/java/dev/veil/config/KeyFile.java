package dev.veil.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * The private key of an {@code [Interface]}: written inline ({@code PrivateKey}) or kept in a file of its own
 * ({@code PrivateKeyFile}) that holds one base64 key, whitespace around it allowed, as {@code wg genkey} writes it.
 * Veil reads that file itself when it applies a configuration; it refuses one that group or others may read or write
 * unless told otherwise. Errors are {@link ConfigException}s of one line naming the file, never its content. The key
 * returned belongs to the caller, who wipes it after use. Stateless and thread-safe.
 */
public final class KeyFile {
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    private static final int BASE64_LENGTH = 44;

    private KeyFile() {}

    /**
     * The private key that {@code iface} of the configuration {@code configFile} gives: a copy of its
     * {@code PrivateKey}, the key read from its {@code PrivateKeyFile}, or null when it has neither.
     *
     * @param insecurePermissions read a key file even when group or others may read or write it
     */
    public static byte[] privateKey(Path configFile, InterfaceSection iface, boolean insecurePermissions)
            throws ConfigException {
        if (iface.privateKeyFile().isEmpty()) return iface.privateKey();
        return read(resolve(configFile, iface.privateKeyFile().get()), insecurePermissions);
    }

    /** {@code keyFile} as it names a file: a relative path is relative to the directory of {@code configFile}. */
    public static Path resolve(Path configFile, Path keyFile) {
        Path dir = configFile.toAbsolutePath().getParent();
        return dir == null ? keyFile : dir.resolve(keyFile);
    }

    /** Reads the key in {@code file}; with {@code insecurePermissions}, whoever else may read or write it. */
    public static byte[] read(Path file, boolean insecurePermissions) throws ConfigException {
        String name = file.toString();
        if (!insecurePermissions) {
            Set<PosixFilePermission> shared = EnumSet.copyOf(SHARED);
            try {
                shared.retainAll(Files.getPosixFilePermissions(file));
            } catch (IOException e) {
                throw new ConfigException(name, 0, null, "cannot read the private key file: " + ConfigParser.reason(e));
            } catch (UnsupportedOperationException e) {
                shared.clear();  // no POSIX permissions to check
            }
            if (!shared.isEmpty()) {
                throw new ConfigException(name, 0, null, "readable or writable by other users; run chmod 600 " + name
                        + " (or pass --insecure-permissions)");
            }
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(name, 0, null, "cannot read the private key file: " + ConfigParser.reason(e));
        }
        try {
            byte[] key = decode(bytes);
            if (key == null) {
                throw new ConfigException(name, 0, null,
                        "not a private key file (one base64 key of 44 characters ending in '=', as wg genkey writes)");
            }
            return key;
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** The key in {@code text} with whitespace around it, or null; works on the bytes so no String holds the key. */
    private static byte[] decode(byte[] text) {
        int from = 0;
        int to = text.length;
        while (from < to && ConfigParser.isSpace((char) text[from])) from++;
        while (to > from && ConfigParser.isSpace((char) text[to - 1])) to--;
        if (to - from != BASE64_LENGTH || text[to - 1] != '=') return null;
        byte[] b64 = Arrays.copyOfRange(text, from, to);
        byte[] key = null;
        byte[] again = null;
        try {
            key = Base64.getDecoder().decode(b64);
            // As KeyText.decode: wg rejects set bits after the last whole byte, which the JDK decoder ignores.
            again = Base64.getEncoder().encode(key);
            if (key.length == KeyText.LENGTH && Arrays.equals(again, b64)) return key;
            Arrays.fill(key, (byte) 0);
            return null;
        } catch (IllegalArgumentException e) {
            return null;
        } finally {
            Arrays.fill(b64, (byte) 0);
            if (again != null) Arrays.fill(again, (byte) 0);
        }
    }
}
