package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.config.ConfigParser;
import dev.veil.config.PeerSection;
import dev.veil.config.WgConfig;
import dev.veil.interop.Hosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code veil up} and {@code veil down} end to end, run inside the hub namespace of a {@link QuickRig} against a
 * Veil peer and a wireguard-go peer: addresses, MTU (set, and computed as wg-quick computes it), routes, the hooks,
 * {@code veil show} against {@code wg show}, the fwmark policy routing of a /0 route, SaveConfig, the permission
 * warning, and {@code --foreground}. Needs root, ip, wg, wireguard-go, ping and python3; skipped with a printed
 * reason otherwise.
 */
class VeilUpTest {
    @Test
    void upAndDownWithAddressesMtuHooksAndTwoPeers() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go", "ping", "python3")) {
            rig.startPeers();
            String name = rig.name('a');
            Path marks = rig.dir;
            Path conf = rig.config(name, rig.iface(
                "Address = " + rig.hubTunnel4 + "/24, " + rig.hubTunnel6 + "/64",
                "MTU = 1380",
                "PostUp = echo up %i > " + marks.resolve("postup"),
                "PreDown = ip -o link show dev %i > " + marks.resolve("predown"),
                "PostDown = echo down %i > " + marks.resolve("postdown")) + rig.peers());

            QuickRig.Exec up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertEquals("up " + name, Files.readString(marks.resolve("postup")).strip(), "PostUp ran with %i replaced");
            QuickRig.Exec again = rig.veilInHub("up", conf.toString());
            assertEquals(1, again.exit(), again.all());
            assertTrue(again.all().contains("`" + name + "' already exists"), again.all());
            assertTrue(rig.hub("ip", "-o", "link", "show", "dev", name).contains(" mtu 1380 "), "MTU");
            String addresses = rig.hub("ip", "-o", "address", "show", "dev", name);
            assertTrue(addresses.contains("inet " + rig.hubTunnel4 + "/24 "), addresses);
            assertTrue(addresses.contains("inet6 " + rig.hubTunnel6 + "/64 "), addresses);
            String routes4 = rig.hub("ip", "-4", "route", "show", "dev", name);
            String routes6 = rig.hub("ip", "-6", "route", "show", "dev", name);
            for (QuickRig.Peer p : List.of(rig.veil, rig.wgGo)) {
                assertTrue(routes4.contains(p.routed4), "route to " + p.routed4 + " in " + routes4);
                assertTrue(routes6.contains(p.routed6), "route to " + p.routed6 + " in " + routes6);
            }
            for (String address : List.of(rig.veil.tunnel4, rig.veil.tunnel6, rig.wgGo.tunnel4, rig.wgGo.tunnel6)) {
                assertTrue(rig.ping(address), "ping " + address);
            }

            assertShowMatchesWg(rig, name);
            QuickRig.Exec json = rig.veilInHub("show", "--json", name);
            assertEquals(0, json.exit(), json.all());
            QuickRig.Exec fields = QuickRig.exec(List.of("python3", "-c", """
                import json, sys
                d = json.load(sys.stdin)[0]
                print(d["interface"], d["public_key"], len(d["peers"]))
                for p in sorted(d["peers"], key=lambda p: p["public_key"]):
                    print(p["public_key"], p["endpoint"], ",".join(p["allowed_ips"]), p["latest_handshake"] > 0)
                """), json.out(), Map.of());
            assertEquals(0, fields.exit(), "veil show --json parses: " + fields.all() + json.out());
            List<String> lines = fields.out().lines().toList();
            assertEquals(name + " " + rig.hubPublicKey + " 2", lines.get(0));
            for (QuickRig.Peer p : List.of(rig.veil, rig.wgGo)) {
                String endpoint = p == rig.veil ? p.underlay4 + ":51820" : "[" + p.underlay6 + "]:51820";
                assertTrue(lines.contains(p.publicKey + " " + endpoint + " " + p.tunnel4 + "/32," + p.tunnel6 + "/128,"
                    + p.routed4 + "," + p.routed6 + " True"), "peer " + p.publicKey + " in " + lines);
            }

            List<Long> daemons = rig.hubPids();
            assertFalse(daemons.isEmpty(), "the daemon runs in the hub");
            QuickRig.Exec down = rig.veilInHub("down", conf.toString());
            assertEquals(0, down.exit(), down.all());
            assertTrue(Files.readString(marks.resolve("predown")).contains(name), "PreDown ran while the interface existed");
            assertEquals("down " + name, Files.readString(marks.resolve("postdown")).strip(), "PostDown ran");
            assertFalse(rig.exists(name), "the interface is gone");
            assertFalse(Files.exists(UapiClient.socket(name)), "the socket is gone");
            for (long pid : daemons) {
                var p = ProcessHandle.of(pid);
                if (p.isPresent()) p.get().onExit().get(20, TimeUnit.SECONDS);
            }
        }
    }

    /** veil show prints what wg show prints; a "latest handshake" line may tick between the two, so it is masked. */
    private static void assertShowMatchesWg(QuickRig rig, String name) throws Exception {
        String veil = "", wg = "";
        for (int attempt = 0; attempt < 3; attempt++) {  // a transfer count may also move between the two calls
            veil = rig.veilInHub("show", name).out().replaceAll("latest handshake: .*", "latest handshake: (masked)");
            wg = rig.hub("wg", "show", name).replaceAll("latest handshake: .*", "latest handshake: (masked)");
            if (veil.equals(wg)) break;
        }
        assertTrue(wg.contains("latest handshake"), wg);
        assertEquals(wg, veil);
    }

    @Test
    void mtuIsComputedAsWgQuickDoesWhenUnset() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            // The lowest MTU of the routes to the endpoints, minus 80: the IPv6 endpoint's link is at 1400.
            rig.hub("ip", "link", "set", "dev", rig.wgGo.hubLink, "mtu", "1400");
            String name = rig.name('m');
            Path conf = rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/24") + rig.peers());
            QuickRig.Exec up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertTrue(rig.hub("ip", "-o", "link", "show", "dev", name).contains(" mtu 1320 "), "1400 - 80");
            assertEquals(0, rig.veilInHub("down", conf.toString()).exit());

            // No endpoint: the default route's MTU, minus 80 (under 1280 the kernel would turn IPv6 off on the link).
            rig.hub("ip", "route", "add", "default", "via", "10.235." + rig.net + ".2", "mtu", "1440");
            String other = rig.name('n');
            conf = rig.config(other, rig.iface("Address = " + rig.hubTunnel4 + "/24") + rig.veil.section(null));
            up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertTrue(rig.hub("ip", "-o", "link", "show", "dev", other).contains(" mtu 1360 "), "1440 - 80");
            assertEquals(0, rig.veilInHub("down", conf.toString()).exit());
        }
    }

    @Test
    void aDefaultRouteGetsWgQuicksFwmarkPolicyRouting() throws Exception {
        try (QuickRig rig = QuickRig.create("ping")) {
            rig.veil.start(Hosts.VEIL);
            String name = rig.name('d');
            Path conf = rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/32, " + rig.hubTunnel6 + "/128")
                + "[Peer]\nPublicKey = " + rig.veil.publicKey + "\nEndpoint = " + rig.veil.underlay4 + ":51820\n"
                + "AllowedIPs = 0.0.0.0/0, ::/0\n");
            QuickRig.Exec up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertEquals("0xca6c", rig.hub("wg", "show", name, "fwmark").strip(), "fwmark 51820 on the device");
            for (String family : List.of("-4", "-6")) {
                String rules = rig.hub("ip", family, "rule", "show");
                assertTrue(rules.contains("not from all fwmark 0xca6c lookup 51820"), rules);
                assertTrue(rules.contains("from all lookup main suppress_prefixlength 0"), rules);
                assertTrue(rig.hub("ip", family, "route", "show", "table", "51820").contains("default dev " + name));
            }
            assertTrue(rig.hub("ip", "-o", "link", "show", "dev", name).contains(" mtu 1420 "), "1500 (the veth) - 80");
            boolean nft = Shell.onPath("nft");
            if (nft) {
                String tables = rig.hub("nft", "list", "tables");
                assertTrue(tables.contains("table ip wg-quick-" + name) && tables.contains("table ip6 wg-quick-" + name),
                    "wg-quick's firewall tables: " + tables);
                String rules = rig.hub("nft", "list", "table", "ip", "wg-quick-" + name);
                assertTrue(rules.contains("ip daddr " + rig.hubTunnel4 + " fib saddr type != local drop"), rules);
            } else {
                System.out.println("VeilUpTest: nft is not installed; the firewall tables are not checked");
            }
            // The tunnel's own datagrams carry the mark, so they leave by the veth and not back into the tunnel.
            assertTrue(rig.ping(rig.veil.tunnel4), "ping over the default route");
            assertTrue(rig.ping(rig.veil.tunnel6), "ping over the IPv6 default route");

            QuickRig.Exec down = rig.veilInHub("down", conf.toString());
            assertEquals(0, down.exit(), down.all());
            for (String family : List.of("-4", "-6")) {
                String rules = rig.hub("ip", family, "rule", "show");
                assertFalse(rules.contains("51820") || rules.contains("0xca6c"), rules);
                assertFalse(rules.contains("suppress_prefixlength"), rules);
            }
            if (nft) assertFalse(rig.hub("nft", "list", "tables").contains("wg-quick-" + name), "the tables are gone");
        }
    }

    @Test
    void aSignalDuringUpUndoesIt() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('i');
            Path started = rig.dir.resolve("started");
            Path conf = rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/32", "PostUp = touch " + started
                + "; sleep 120") + "[Peer]\nPublicKey = " + rig.veil.publicKey + "\nAllowedIPs = 0.0.0.0/0, ::/0\n");
            Process veil = new ProcessBuilder("ip", "netns", "exec", rig.hub, QuickRig.VEIL.toString(), "up", conf.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(rig.dir.resolve("up.err").toFile()).start();
            try {
                assertTrue(QuickRig.await(120, () -> Files.exists(started) || !veil.isAlive()), "PostUp starts");
                assertTrue(veil.isAlive(), Files.readString(rig.dir.resolve("up.err")));
                assertTrue(rig.hub("ip", "rule", "show").contains("lookup 51820"), "the rules are in place");

                veil.destroy();  // SIGTERM while PostUp runs
                assertTrue(veil.waitFor(30, TimeUnit.SECONDS), "veil up ends");
                String log = Files.readString(rig.dir.resolve("up.err"));
                assertFalse(rig.exists(name), "the interface is deleted again: " + log);
                for (String family : List.of("-4", "-6")) {
                    assertFalse(rig.hub("ip", family, "rule", "show").contains("51820"), "the rules are gone: " + log);
                }
                if (Shell.onPath("nft")) assertFalse(rig.hub("nft", "list", "tables").contains("wg-quick-"), log);
                assertTrue(QuickRig.await(20, () -> !Files.exists(UapiClient.socket(name))), "the daemon goes");
            } finally {
                veil.destroyForcibly();
            }
        }
    }

    @Test
    void aBareNameIsLookedUpAndAHostNameEndpointIsResolved() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('n');
            Path first = Files.createDirectory(rig.dir.resolve("first"));
            Path second = Files.createDirectory(rig.dir.resolve("second"));
            // The file lives in the second directory of the search path; its peer's endpoint is a host name.
            Files.move(rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/24")
                + rig.veil.section("localhost:51999")), second.resolve(name + ".conf"));
            Map<String, String> env = Map.of("VEIL_CONFIG_PATH", first + ":" + second);
            QuickRig.Exec up = rig.veilInHub(env, "up", name);
            assertEquals(0, up.exit(), up.all());
            String endpoints = rig.hub("wg", "show", name, "endpoints");
            assertTrue(endpoints.contains("127.0.0.1:51999") || endpoints.contains("[::1]:51999"),
                "localhost was resolved when the config was applied: " + endpoints);
            QuickRig.Exec down = rig.veilInHub(env, "down", name);
            assertEquals(0, down.exit(), down.all());
            assertFalse(rig.exists(name));
        }
    }

    @Test
    void saveConfigWritesTheDeviceBackOnDown() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('s');
            String hook = "PostUp = echo %i > " + rig.dir.resolve("hook");
            Path conf = rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/24", "SaveConfig = true", hook)
                + rig.veil.section(rig.veil.underlay4 + ":51820"));
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));
            Path link = Files.createDirectory(rig.dir.resolve("links")).resolve(name + ".conf");
            Files.createSymbolicLink(link, conf);  // used through a link, as /etc/wireguard often is
            QuickRig.Exec up = rig.veilInHub("up", link.toString());
            assertEquals(0, up.exit(), up.all());
            String added = QuickRig.publicOf(QuickRig.newKey());
            rig.hub("wg", "set", name, "peer", added, "allowed-ips", "10.240." + rig.net + ".0/24",
                "endpoint", "10.235." + rig.net + ".9:51820");
            QuickRig.Exec down = rig.veilInHub("down", link.toString());
            assertEquals(0, down.exit(), down.all());

            assertTrue(Files.isSymbolicLink(link), "the link stays a link; the file it names is rewritten");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)));
            WgConfig saved = ConfigParser.parse(conf);
            assertTrue(saved.iface().saveConfig());
            assertEquals(rig.hubPrivateKey, b64(saved.iface().privateKey()));
            assertTrue(saved.iface().addresses().stream().anyMatch(a -> a.toString().equals(rig.hubTunnel4 + "/24")));
            assertEquals(List.of(hook.substring("PostUp = ".length())), saved.iface().postUp(), "hooks are kept");
            PeerSection newPeer = saved.peers().stream().filter(p -> b64(p.publicKey()).equals(added))
                .findFirst().orElseThrow(() -> new AssertionError("the added peer is saved: " + saved));
            assertEquals("10.240." + rig.net + ".0/24", newPeer.allowedIps().get(0).toString());
            assertEquals("10.235." + rig.net + ".9:51820", newPeer.endpoint().orElseThrow().toString());
            assertTrue(saved.peers().stream().anyMatch(p -> b64(p.publicKey()).equals(rig.veil.publicKey)));
            assertFalse(Files.exists(conf.resolveSibling(conf.getFileName() + ".tmp")), "no temp file is left");
        }
    }

    @Test
    void aPrivateKeyFileIsReadCheckedAndKeptBySaveConfig() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('k');
            Path key = worldReadable(rig, name + ".key", rig.hubPrivateKey + "\n");  // as wg genkey > file writes it
            Path conf = worldReadable(rig, name + ".conf", "[Interface]\nPrivateKeyFile = " + key.getFileName()
                + "\nAddress = " + rig.hubTunnel4 + "/24\nSaveConfig = true\n\n"
                + rig.veil.section(rig.veil.underlay4 + ":51820"));

            QuickRig.Exec refused = rig.veilInHub("up", conf.toString());
            assertNotEquals(0, refused.exit());
            assertEquals("veil: " + key + ": readable or writable by other users; run chmod 600 " + key
                + " (or pass --insecure-permissions)", refused.err().strip());
            assertFalse(rig.exists(name), "nothing was created");

            QuickRig.Exec insecure = rig.veilInHub("up", "--insecure-permissions", conf.toString());
            assertEquals(0, insecure.exit(), insecure.all());
            assertEquals(rig.hubPrivateKey, rig.hub("wg", "show", name, "private-key").strip());
            assertEquals(0, rig.veilInHub("down", conf.toString()).exit());

            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            QuickRig.Exec up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertFalse(up.err().contains("world accessible"), "the config holds no secret: " + up.err());
            assertFalse(up.all().contains(rig.hubPrivateKey), "the private key is never printed");
            assertEquals(rig.hubPrivateKey, rig.hub("wg", "show", name, "private-key").strip());
            QuickRig.Exec down = rig.veilInHub("down", conf.toString());
            assertEquals(0, down.exit(), down.all());

            String savedText = Files.readString(conf);
            assertFalse(savedText.contains(rig.hubPrivateKey), "SaveConfig does not inline the key: " + savedText);
            WgConfig saved = ConfigParser.parse(conf);
            assertEquals(Path.of(name + ".key"), saved.iface().privateKeyFile().orElseThrow(), savedText);
            assertNull(saved.iface().privateKey());
            assertTrue(saved.peers().stream().anyMatch(p -> b64(p.publicKey()).equals(rig.veil.publicKey)));
            assertEquals(rig.hubPrivateKey + "\n", Files.readString(key), "the key file is left alone");
        }
    }

    @Test
    void aWorldReadableConfigIsWarnedAboutButComesUp() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('w');
            Path conf = worldReadable(rig, name + ".conf",
                rig.iface("Address = " + rig.hubTunnel4 + "/24") + rig.veil.section(null));
            QuickRig.Exec up = rig.veilInHub("up", conf.toString());
            assertEquals(0, up.exit(), up.all());
            assertTrue(up.err().contains("Warning: `" + conf.toRealPath() + "' is world accessible"), up.err());
            assertTrue(rig.exists(name));
            assertFalse(up.all().contains(rig.hubPrivateKey), "the private key is never printed");
            assertEquals(0, rig.veilInHub("down", conf.toString()).exit());
            assertFalse(rig.exists(name));
        }
    }

    /** Writes {@code fileName} (mode 0644) in the rig's directory "open" (0755), which it creates when absent. */
    private static Path worldReadable(QuickRig rig, String fileName, String text) throws Exception {
        Path open = rig.dir.resolve("open");
        if (!Files.isDirectory(open)) {
            Files.createDirectory(open);
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path f = Files.writeString(open.resolve(fileName), text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        return f;
    }

    @Test
    void foregroundStaysAttachedAndTakesTheInterfaceDownOnSigterm() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go", "ping")) {
            rig.wgGo.start(Hosts.WIREGUARD_GO);
            String name = rig.name('f');
            Path conf = rig.config(name, rig.iface("Address = " + rig.hubTunnel4 + "/24, " + rig.hubTunnel6 + "/64",
                "PostUp = echo up %i > " + rig.dir.resolve("postup"),
                "PreDown = ip -o link show dev %i > " + rig.dir.resolve("predown"),
                "PostDown = echo down %i > " + rig.dir.resolve("postdown"))
                + rig.wgGo.section("[" + rig.wgGo.underlay6 + "]:51820"));
            Path err = rig.dir.resolve("foreground.err");
            Process veil = new ProcessBuilder("ip", "netns", "exec", rig.hub, QuickRig.VEIL.toString(), "up", "--foreground",
                conf.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
            try {
                assertTrue(QuickRig.await(120, () -> Files.exists(rig.dir.resolve("postup")) || !veil.isAlive()));
                assertTrue(veil.isAlive(), "veil up stays attached: " + Files.readString(err));
                assertTrue(Files.exists(UapiClient.socket(name)));
                assertTrue(rig.ping(rig.wgGo.tunnel4), "ping through the attached interface");
                assertTrue(rig.ping(rig.wgGo.tunnel6));

                veil.destroy();  // SIGTERM
                assertTrue(veil.waitFor(30, TimeUnit.SECONDS), "veil up exits after SIGTERM");
                assertFalse(rig.exists(name), "the interface is gone");
                assertFalse(Files.exists(UapiClient.socket(name)), "the socket is gone");
                assertTrue(Files.readString(rig.dir.resolve("predown")).contains(name), "PreDown ran first");
                assertEquals("down " + name, Files.readString(rig.dir.resolve("postdown")).strip(), "PostDown ran");
                String log = Files.readString(err);
                assertTrue(log.contains("veil daemon " + name), "the daemon's output is on our stderr: " + log);
                assertTrue(log.contains("shutting down"), log);
            } finally {
                veil.destroyForcibly();
            }
        }
    }

    private static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }
}
