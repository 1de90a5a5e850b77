package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.interop.Hosts;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code veil up --foreground --user}, as {@code veil@.service} runs it: the up steps and PostUp as root, then the
 * process drops to nobody; {@code veil down} (the unit's ExecStop) takes it down as root, hooks included, which
 * ends the foreground process; and after the drop a SIGTERM deletes the interface and says what is left to
 * {@code veil down}. Needs root, ip, wg, wireguard-go and ping; skipped with a printed reason otherwise.
 */
class VeilUpDropTest {
    @Test
    void upDropsAfterPostUpAndVeilDownAsRootTakesItDown() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go", "ping", "getent")) {
            requireNobody();
            rig.wgGo.start(Hosts.WIREGUARD_GO);
            String name = rig.name('d');
            Path conf = config(rig, name);
            Path err = rig.dir.resolve("foreground.err");
            Process veil = foreground(rig, conf, err);
            try {
                assertTrue(QuickRig.await(120, () -> Files.readString(err).contains("running as user") || !veil.isAlive()),
                    "the daemon drops");
                assertTrue(veil.isAlive(), Files.readString(err));
                assertTrue(Files.readString(rig.dir.resolve("postup")).contains("up " + name), "PostUp ran as root first");
                assertOnlyOneThreadHoldsCapabilities(veil.pid());
                assertTrue(rig.ping(rig.wgGo.tunnel4), "ping through the interface after the drop");

                QuickRig.Exec down = rig.veilInHub("down", conf.toString());
                assertEquals(0, down.exit(), down.all());
                assertTrue(veil.waitFor(30, TimeUnit.SECONDS), "deleting the interface ends veil up --foreground");
                assertEquals(0, veil.exitValue(), Files.readString(err));
                assertFalse(rig.exists(name), "the interface is gone");
                assertFalse(Files.exists(UapiClient.socket(name)), "veil down removed the stale socket");
                assertTrue(Files.readString(rig.dir.resolve("predown")).contains(name), "PreDown ran");
                assertEquals("down " + name, Files.readString(rig.dir.resolve("postdown")).strip(), "PostDown ran");
            } finally {
                veil.destroyForcibly();
            }
        }
    }

    @Test
    void afterTheDropASignalDeletesTheInterfaceAndSaysWhatIsLeft() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go", "getent")) {
            requireNobody();
            String name = rig.name('s');
            Path conf = config(rig, name);
            Path err = rig.dir.resolve("signal.err");
            Process veil = foreground(rig, conf, err);
            try {
                assertTrue(QuickRig.await(120, () -> Files.readString(err).contains("running as user") || !veil.isAlive()));
                assertTrue(veil.isAlive(), Files.readString(err));
                veil.destroy();  // SIGTERM
                assertTrue(veil.waitFor(30, TimeUnit.SECONDS), "veil up exits after SIGTERM");
                assertFalse(rig.exists(name), "the interface is gone");
                assertFalse(UapiClient.answers(UapiClient.socket(name)), "no one answers on the socket");
                String log = Files.readString(err);
                assertTrue(log.contains(name + " runs as user nobody: deleting it; PreDown, SaveConfig, PostDown and "
                    + "wg-quick's rules are left to `veil down " + name + "` as root"), log);
                assertFalse(Files.exists(rig.dir.resolve("postdown")), "PostDown did not run as nobody");
            } finally {
                veil.destroyForcibly();
                Files.deleteIfExists(UapiClient.socket(name));
            }
        }
    }

    @Test
    void upInTheBackgroundPassesTheAccountToTheDaemonAndDownRemovesItsStaleSocket() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go", "ping", "getent")) {
            requireNobody();
            rig.wgGo.start(Hosts.WIREGUARD_GO);
            String name = rig.name('b');
            Path conf = config(rig, name);
            QuickRig.Exec up = rig.veilInHub("up", "--user", "nobody", "--group", "nogroup", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertTrue(up.err().contains("[#] env VEIL_USER=nobody VEIL_GROUP=nogroup " + Hosts.VEIL + " " + name), up.err());
            List<Long> daemons = rig.hubPids();
            assertEquals(1, daemons.size(), "one daemon in the hub: " + daemons);
            assertOnlyOneThreadHoldsCapabilities(daemons.get(0));
            assertTrue(rig.ping(rig.wgGo.tunnel4), "ping through the interface of the dropped daemon");

            QuickRig.Exec down = rig.veilInHub("down", conf.toString());
            assertEquals(0, down.exit(), down.all());
            assertFalse(down.err().contains("did not remove"), down.err());
            assertFalse(rig.exists(name), "the interface is gone");
            assertFalse(Files.exists(UapiClient.socket(name)), "veil down removed the socket the daemon could not");
            assertEquals("down " + name, Files.readString(rig.dir.resolve("postdown")).strip(), "PostDown ran");
        }
    }

    private static void requireNobody() throws Exception {
        if (Hosts.run(List.of("getent", "passwd", "nobody"), List.of()).exit() != 0) Hosts.skip("needs the user nobody");
    }

    private static Path config(QuickRig rig, String name) throws Exception {
        return rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/24",
            "PostUp = echo up %i > " + rig.dir.resolve("postup"),
            "PreDown = ip -o link show dev %i > " + rig.dir.resolve("predown"),
            "PostDown = echo down %i > " + rig.dir.resolve("postdown"))
            + rig.wgGo.section("[" + rig.wgGo.underlay6 + "]:51820"));
    }

    private static Process foreground(QuickRig rig, Path conf, Path err) throws Exception {
        return new ProcessBuilder("ip", "netns", "exec", rig.hub, QuickRig.VEIL.toString(), "up", "--foreground", "--user",
            "nobody", conf.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    }

    /** Every thread runs as uid 65534 and exactly one has any effective or permitted capability. */
    private static void assertOnlyOneThreadHoldsCapabilities(long pid) throws Exception {
        int holders = 0, threads = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                List<String> status;
                try {
                    status = Files.readAllLines(t.resolve("status"));
                } catch (NoSuchFileException exited) {
                    continue;
                }
                threads++;
                String uid = field(status, "Uid"), prm = field(status, "CapPrm"), eff = field(status, "CapEff");
                assertEquals("65534 65534 65534 65534", uid.replaceAll("\\s+", " "), t + ": " + field(status, "Name"));
                if (Long.parseLong(prm, 16) != 0 || Long.parseLong(eff, 16) != 0) holders++;
            }
        }
        assertTrue(threads > 5, "the JVM's threads are listed");
        assertEquals(1, holders, "one thread holds capabilities");
    }

    private static String field(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key + ":")).findFirst().orElseThrow().substring(key.length() + 1).strip();
    }
}
