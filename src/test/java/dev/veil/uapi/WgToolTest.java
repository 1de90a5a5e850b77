package dev.veil.uapi;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.core.Endpoint;
import dev.veil.crypto.X25519;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock {@code wg} tool drives a Veil device through its UAPI socket. {@code wg} only looks in
 * /var/run/wireguard, so the socket goes there under a unique name ({@code vtest<digits>}) and is removed afterwards.
 * Skipped, with the reason printed, when {@code wg} is not on the PATH or that directory cannot be written.
 */
@Timeout(60)
class WgToolTest {
    @TempDir
    Path tmp;

    private final SecureRandom random = new SecureRandom();
    private final String iface = "vtest" + (100_000 + random.nextInt(900_000));
    private final Rig rig = Rig.alone();
    private UapiServer server;

    private static void require(boolean condition, String reason) {
        if (!condition) System.out.println("WgToolTest skipped: " + reason);
        Assumptions.assumeTrue(condition, reason);
    }

    private static boolean wgOnPath() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "wg")));
    }

    @BeforeEach
    void startServer() throws IOException {
        require(wgOnPath(), "the wg command is not on the PATH (apt-get install wireguard-tools)");
        Path dir = UapiServer.DEFAULT_DIRECTORY;
        require(Files.isDirectory(dir) ? Files.isWritable(dir) : Files.isWritable(dir.getParent()),
            dir + " cannot be written (run as root)");
        server = UapiServer.start(dir, iface, new UapiHandler(rig.device), () -> {});
    }

    @AfterEach
    void stopServer() throws IOException {
        if (server == null) return;
        server.close();
        Files.deleteIfExists(server.socketPath());
    }

    private record Run(int exit, String out, String err) {}

    private static Run wg(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("wg"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "wg " + command + " finished");
        return new Run(p.exitValue(), out, err);
    }

    private static Run ok(String... args) throws IOException, InterruptedException {
        Run r = wg(args);
        assertEquals(0, r.exit(), "wg " + String.join(" ", args) + ": " + r.err());
        return r;
    }

    private Path keyFile(byte[] key) throws IOException {
        Path f = Files.createTempFile(tmp, "key", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, Base64.getEncoder().encodeToString(key) + "\n");
        return f;
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void wgSetShowAndShowconf() throws Exception {
        byte[] priv = X25519.generatePrivateKey(random);
        byte[] a = X25519.publicKey(X25519.generatePrivateKey(random));
        byte[] b = X25519.publicKey(X25519.generatePrivateKey(random));
        byte[] psk = new byte[32];
        random.nextBytes(psk);
        ok("set", iface, "private-key", keyFile(priv).toString(), "listen-port", "45678", "fwmark", "0x1234",
            "peer", b64(a), "preshared-key", keyFile(psk).toString(), "endpoint", "192.0.2.7:51820",
            "persistent-keepalive", "25", "allowed-ips", "10.0.0.2/32,fd00::2/128",
            "peer", b64(b), "endpoint", "[2001:db8::5]:1234", "allowed-ips", "10.9.0.0/16");
        assertEquals(45678, rig.device.listenPort());

        // Peers come in the device's hash order, so each section is compared without the file's final newline.
        List<String> sections = Arrays.stream(ok("showconf", iface).out().split("\n\n")).map(String::strip).toList();
        assertEquals(3, sections.size(), sections.toString());
        assertEquals("[Interface]\nListenPort = 45678\nFwMark = 0x1234\nPrivateKey = " + b64(priv), sections.get(0));
        assertEquals(Set.of(
            "[Peer]\nPublicKey = " + b64(a) + "\nPresharedKey = " + b64(psk) + "\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
                + "Endpoint = 192.0.2.7:51820\nPersistentKeepalive = 25",
            "[Peer]\nPublicKey = " + b64(b) + "\nAllowedIPs = 10.9.0.0/16\nEndpoint = [2001:db8::5]:1234"),
            Set.of(sections.get(1), sections.get(2)));

        String show = ok("show", iface).out();
        assertTrue(show.contains("interface: " + iface + "\n"), show);
        assertTrue(show.contains("public key: " + b64(X25519.publicKey(priv)) + "\n"), show);
        assertTrue(show.contains("listening port: 45678\n"), show);
        assertTrue(show.contains("peer: " + b64(a) + "\n"), show);
        assertTrue(show.contains("persistent keepalive: every 25 seconds"), show);
        assertTrue(ok("show", "interfaces").out().contains(iface), "wg lists the interface");

        ok("set", iface, "peer", b64(b), "remove", "peer", b64(a), "allowed-ips", "10.0.0.3/32");
        String dump = ok("show", iface, "dump").out();
        String[] lines = dump.split("\n");
        assertEquals(2, lines.length, dump);
        assertEquals(b64(priv) + "\t" + b64(X25519.publicKey(priv)) + "\t45678\t0x1234", lines[0]);
        String[] peer = lines[1].split("\t");
        assertEquals(List.of(b64(a), b64(psk), "192.0.2.7:51820", "10.0.0.3/32", "0"), List.of(peer).subList(0, 5));
        assertEquals("25", peer[7]);
    }

    @Test
    void wgReportsAPortInUse() throws Exception {
        rig.net.bind(new Endpoint(rig.underlay, 45679));
        Run r = wg("set", iface, "listen-port", "45679");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("Address already in use"), r.err());
        assertEquals(51820, rig.device.listenPort());
    }
}
