package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.interop.Hosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The stock {@code wg-quick} with Veil as its userspace implementation ({@code WG_QUICK_USERSPACE_IMPLEMENTATION=
 * bin/veil-userspace}), in the hub of a {@link QuickRig}: up, pings to a Veil and a wireguard-go peer, down. Skipped
 * where the kernel has WireGuard, because wg-quick then never asks for a userspace implementation. Needs root, ip,
 * wg, wg-quick, wireguard-go and ping.
 */
class WgQuickWithVeilTest {
    @Test
    void wgQuickUpAndDownDriveVeil() throws Exception {
        try (QuickRig rig = QuickRig.create("wg-quick", "wireguard-go", "ping")) {
            String probe = rig.name('k');
            if (rig.tryHub("ip", "link", "add", "dev", probe, "type", "wireguard").exit() == 0) {
                rig.tryHub("ip", "link", "del", "dev", probe);
                Hosts.skip("the kernel has WireGuard, so wg-quick would not use a userspace implementation");
            }
            rig.startPeers();
            String name = rig.name('q');
            Path conf = rig.config(name, rig.iface(
                "Address = " + rig.hubTunnel4 + "/24, " + rig.hubTunnel6 + "/64",
                "PostDown = echo down %i > " + rig.dir.resolve("postdown")) + rig.peers());
            Map<String, String> env = Map.of("WG_QUICK_USERSPACE_IMPLEMENTATION", Hosts.VEIL);
            List<String> inHub = List.of("ip", "netns", "exec", rig.hub, "wg-quick");

            QuickRig.Exec up = QuickRig.exec(concat(inHub, "up", conf.toString()), null, env);
            assertEquals(0, up.exit(), up.all());
            assertTrue(up.err().contains("[#] " + Hosts.VEIL + " " + name), "wg-quick started Veil: " + up.err());
            List<Long> pids = rig.hubPids();
            assertEquals(1, pids.size(), "one daemon in the hub");
            String cmdline = Files.readString(Path.of("/proc", pids.get(0).toString(), "cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("java") && cmdline.contains("dev.veil.cli.Main daemon") && cmdline.contains(name),
                "the interface is served by Veil's daemon: " + cmdline);
            assertTrue(rig.ping(rig.veil.tunnel4), "Veil peer over IPv4");
            assertTrue(rig.ping(rig.wgGo.tunnel6), "wireguard-go peer over IPv6");
            assertTrue(rig.hub("wg", "show", name, "latest-handshakes").lines().noneMatch(l -> l.endsWith("\t0")),
                "both peers have a handshake");

            QuickRig.Exec down = QuickRig.exec(concat(inHub, "down", conf.toString()), null, env);
            assertEquals(0, down.exit(), down.all());
            assertEquals("down " + name, Files.readString(rig.dir.resolve("postdown")).strip());
            assertFalse(rig.exists(name));
            ProcessHandle.of(pids.get(0)).ifPresent(p -> p.onExit().orTimeout(20, TimeUnit.SECONDS).join());
            assertFalse(Files.exists(UapiClient.socket(name)), "the daemon removed its socket");
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        return java.util.stream.Stream.concat(head.stream(), java.util.Arrays.stream(tail)).toList();
    }
}
