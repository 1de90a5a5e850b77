package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading a file from disk, and wg-quick's warning about its permissions. */
class ConfigFileTest {
    @TempDir
    Path dir;

    @BeforeEach
    void posix() {
        assumePosixPermissions();
    }

    /** Skips the test, saying so, on a file system without POSIX permissions. */
    static void assumePosixPermissions() {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            System.out.println("SKIPPED: the file system has no POSIX permissions");
        }
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
    }

    @Test
    void readsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("wg0.conf"), "[Interface]\nListenPort = 51820\nPostUp = echo é\n");
        WgConfig c = ConfigParser.parse(file);
        assertEquals(OptionalInt.of(51820), c.iface().listenPort());
        assertEquals("echo é", c.iface().postUp().getFirst());
    }

    @Test
    void errorsNameTheFileAsGiven() throws IOException {
        Path file = Files.writeString(dir.resolve("wg0.conf"), "[Interface]\nListenPort = x\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        assertEquals(file + ":2: ListenPort: \"x\" is not a port number (0 to 65535)", e.getMessage());
    }

    @Test
    void aMissingFile() {
        Path file = dir.resolve("wg9.conf");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        assertEquals(file + ": cannot read: no such file", e.getMessage());
        assertEquals(0, e.line());
        assertNull(e.key());
        assertEquals(file.toString(), e.fileName());
    }

    @Test
    void aDirectory() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(dir));
        assertEquals(dir + ": cannot read: Is a directory", e.getMessage());
    }

    @Test
    void anUnreadableFile() throws IOException {
        if ("root".equals(System.getProperty("user.name"))) {
            System.out.println("SKIPPED: anUnreadableFile needs a non-root user (root reads every file)");
        }
        assumeTrue(!"root".equals(System.getProperty("user.name")), "root reads everything");
        Path file = Files.writeString(dir.resolve("wg0.conf"), "[Interface]\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        assertEquals(file + ": cannot read: permission denied", e.getMessage());
    }

    @Test
    void notUtf8() throws IOException {
        Path file = Files.write(dir.resolve("wg0.conf"), new byte[] {'[', (byte) 0xff, ']', '\n'});
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        assertEquals(file + ": not UTF-8 text", e.getMessage());
    }

    /** wg-quick warns when the file's and its directory's permissions for others have a bit in common. */
    @ParameterizedTest(name = "file {0}, directory {1}: {2}")
    @CsvSource({
        "rw-------, rwx------, false",
        "rw-r-----, rwxr-x---, false",
        "rw-r--r--, rwxr-xr-x, true",
        "rw-r--r--, rwx------, false",
        "rw-r--r--, rwx--x--x, false",
        "rw------x, rwx--x--x, true",
        "rw-rw-rw-, rwxrwxrwx, true",
    })
    void worldAccessible(String fileMode, String dirMode, boolean warns) throws IOException {
        Path sub = Files.createDirectory(dir.resolve("etc"));
        Path file = Files.writeString(sub.resolve("wg0.conf"), "[Interface]\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(fileMode));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString(dirMode));
        try {
            String expected = warns ? "Warning: `" + file.toRealPath() + "' is world accessible" : null;
            assertEquals(expected, ConfigParser.permissionWarning(file));
        } finally {
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void noWarningForAMissingFile() {
        assertNull(ConfigParser.permissionWarning(dir.resolve("absent.conf")));
    }
}
