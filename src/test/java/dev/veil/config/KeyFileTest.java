package dev.veil.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code PrivateKeyFile}: parsing it, reading the key file, its permissions, and writing it back. */
class KeyFileTest {
    private static final String KEY = TestKeys.base64(5);

    @TempDir
    Path dir;

    @BeforeEach
    void posix() {
        ConfigFileTest.assumePosixPermissions();
    }

    @Test
    void theParserKeepsThePathAsWritten() throws ConfigException {
        InterfaceSection iface = ConfigParser.parse("wg0.conf",
                "[Interface]\nPrivateKeyFile = keys/wg0.key # beside the config\nListenPort = 1\n").iface();
        assertEquals(Optional.of(Path.of("keys/wg0.key")), iface.privateKeyFile());
        assertNull(iface.privateKey());
    }

    @Test
    void bothKeysAreAnErrorAtTheSecond() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse("wg0.conf",
                "[Interface]\nPrivateKey = " + KEY + "\nPrivateKeyFile = /etc/veil/wg0.key\n"));
        assertEquals("wg0.conf:3: PrivateKeyFile: set together with the other of PrivateKey and PrivateKeyFile "
                + "(use one)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigParser.parse("wg0.conf",
                "[Interface]\nPrivateKeyFile = /etc/veil/wg0.key\n\nprivatekey = " + KEY + "\n"));
        assertEquals("wg0.conf:4: PrivateKey: set together with the other of PrivateKey and PrivateKeyFile (use one)",
                e.getMessage());
        assertFalse(e.getMessage().contains(KEY.substring(0, 20)));
    }

    @Test
    void anEmptyPathIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigParser.parse("wg0.conf", "[Interface]\nPrivateKeyFile = # none\n"));
        assertEquals("wg0.conf:2: PrivateKeyFile: no value", e.getMessage());
    }

    @Test
    void aRelativePathIsRelativeToTheConfigsDirectory() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        keyFile(dir.resolve("keys/wg0.key"), KEY + "\n", "rw-------");
        Path conf = Files.writeString(dir.resolve("wg0.conf"), "[Interface]\nPrivateKeyFile = keys/wg0.key\n");
        WgConfig config = ConfigParser.parse(conf);
        assertEquals(dir.resolve("keys/wg0.key"), KeyFile.resolve(conf, config.iface().privateKeyFile().get()));
        assertArrayEquals(TestKeys.key(5), KeyFile.privateKey(conf, config.iface(), false));
        assertEquals(Path.of("/k/wg0.key"), KeyFile.resolve(conf, Path.of("/k/wg0.key")));
    }

    @Test
    void anInlineKeyIsReturnedAsIs() throws ConfigException {
        WgConfig config = ConfigParser.parse("wg0.conf", "[Interface]\nPrivateKey = " + KEY + "\n");
        assertArrayEquals(TestKeys.key(5), KeyFile.privateKey(dir.resolve("wg0.conf"), config.iface(), false));
        assertNull(KeyFile.privateKey(dir.resolve("wg0.conf"), InterfaceSection.EMPTY, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"%s\n", "%s", "  %s \r\n\n", "\t%s\t"})
    void whitespaceAroundTheKeyIsAllowed(String text) throws Exception {
        Path f = keyFile(dir.resolve("wg0.key"), text.formatted(KEY), "rw-------");
        assertArrayEquals(TestKeys.key(5), KeyFile.read(f, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-r-----", "rw----r--", "rw--w----", "rw-----w-", "rw-rw-rw-"})
    void aFileOthersMayReadOrWriteIsRefused(String mode) throws Exception {
        Path f = keyFile(dir.resolve("wg0.key"), KEY + "\n", mode);
        ConfigException e = assertThrows(ConfigException.class, () -> KeyFile.read(f, false));
        assertEquals(f + ": readable or writable by other users; run chmod 600 " + f
                + " (or pass --insecure-permissions)", e.getMessage());
        assertArrayEquals(TestKeys.key(5), KeyFile.read(f, true), "--insecure-permissions overrides");
    }

    @ParameterizedTest
    @ValueSource(strings = {"r--------", "rw-------", "rwx------", "rw---x--x"})
    void theOwnersAndExecuteBitsAreFine(String mode) throws Exception {
        Path f = keyFile(dir.resolve("wg0.key"), KEY + "\n", mode);
        assertArrayEquals(TestKeys.key(5), KeyFile.read(f, false));
    }

    @Test
    void aMissingFile() {
        Path f = dir.resolve("none.key");
        for (boolean insecure : new boolean[] {false, true}) {
            ConfigException e = assertThrows(ConfigException.class, () -> KeyFile.read(f, insecure));
            assertEquals(f + ": cannot read the private key file: no such file", e.getMessage());
        }
    }

    @Test
    void aDirectory() {
        ConfigException e = assertThrows(ConfigException.class, () -> KeyFile.read(dir, true));
        assertTrue(e.getMessage().startsWith(dir + ": cannot read the private key file: "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "%s%s", "%s x", "x%s", "PrivateKey = %s", "%.43s", "%.43s!", "%.42sAB="})
    void aMalformedFileNamesTheFileAndNotItsContent(String text) throws Exception {
        String content = text.replace("%s%s", KEY + KEY).formatted(KEY);
        Path f = keyFile(dir.resolve("wg0.key"), content, "rw-------");
        ConfigException e = assertThrows(ConfigException.class, () -> KeyFile.read(f, false));
        assertEquals(f + ": not a private key file (one base64 key of 44 characters ending in '=', as wg genkey "
                + "writes)", e.getMessage());
        assertFalse(e.getMessage().contains(KEY.substring(0, 10)), e.getMessage());
    }

    @Test
    void noKeyMaterialInAnyError() throws Exception {
        String secret = KEY;
        List<String> contents = List.of(secret, secret + "junk", "x" + secret, secret.substring(1));
        for (String c : contents) {
            for (String mode : List.of("rw-------", "rw-r--r--")) {
                Path f = keyFile(dir.resolve("k.key"), c, mode);
                try {
                    KeyFile.read(f, false);
                } catch (ConfigException e) {
                    assertFalse(e.getMessage().contains(secret.substring(0, 10)), e.getMessage());
                    assertFalse(e.getMessage().contains(HexFormat.of().formatHex(TestKeys.key(5)).substring(0, 10)));
                }
            }
        }
    }

    @Test
    void theWriterKeepsTheFileAndInlinesNoKey() throws ConfigException {
        WgConfig config = ConfigParser.parse("wg0.conf",
                "[Interface]\nListenPort = 51820\nPrivateKeyFile = /etc/veil/wg0.key\n\n[Peer]\nPublicKey = "
                        + TestKeys.base64(6) + "\n");
        String written = ConfigWriter.write(config);
        assertEquals("[Interface]\nListenPort = 51820\nPrivateKeyFile = /etc/veil/wg0.key\n\n[Peer]\nPublicKey = "
                + TestKeys.base64(6) + "\n", written);
        assertFalse(written.contains("PrivateKey ="));
        assertEquals(config, ConfigParser.parse("again", written));
    }

    @Test
    void uapiTakesTheKeyReadFromTheFile() throws Exception {
        WgConfig config = ConfigParser.parse("wg0.conf", "[Interface]\nPrivateKeyFile = wg0.key\n");
        String zeros = UapiSet.request(config, host -> null);
        assertTrue(zeros.contains("private_key=" + "0".repeat(64) + "\n"), zeros);
        String keyed = UapiSet.request(config, TestKeys.key(5), host -> null);
        assertTrue(keyed.contains("private_key=" + HexFormat.of().formatHex(TestKeys.key(5)) + "\n"), keyed);
    }

    private static Path keyFile(Path f, String content, String mode) throws IOException {
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }
}
