package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.config.ConfigParser;
import dev.veil.config.PeerSection;
import dev.veil.config.WgConfig;
import dev.veil.interop.Hosts;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code wg setconf}, {@code showconf} and {@code syncconf} against a Veil daemon started by bin/veil-userspace, with
 * wireguard-go given the same files as the reference: what showconf prints back must parse to the configuration set,
 * on both. And {@code veil show} of all interfaces when one socket is stale. Needs root, ip, wg and wireguard-go.
 */
class WgConfTest {
    @Test
    void setconfShowconfAndSyncconfRoundTrip() throws Exception {
        try (QuickRig rig = QuickRig.create("wireguard-go")) {
            String veil = rig.name('c'), wgGo = rig.name('r');
            QuickRig.in(rig.veil.ns, Hosts.VEIL, veil);
            QuickRig.in(rig.wgGo.ns, Hosts.WIREGUARD_GO, wgGo);
            String first = QuickRig.publicOf(QuickRig.newKey()), second = QuickRig.publicOf(QuickRig.newKey());
            String psk = QuickRig.newKey();
            String base = "[Interface]\nPrivateKey = " + rig.hubPrivateKey + "\nListenPort = 51999\nFwMark = 0x1234\n\n"
                + "[Peer]\nPublicKey = " + first + "\nPresharedKey = " + psk + "\nAllowedIPs = 10.9.0.0/24, fd00:9::/64\n"
                + "Endpoint = 10.235." + rig.net + ".7:51820\nPersistentKeepalive = 25\n\n";
            Path set = rig.file("set.conf", base + "[Peer]\nPublicKey = " + second + "\nAllowedIPs = 10.9.1.2/32\n"
                + "Endpoint = [fd00:235:" + rig.net + "::7]:51821\n");
            // syncconf: the first peer gets another keepalive and loses an allowed IP, the second goes, a third comes.
            String third = QuickRig.publicOf(QuickRig.newKey());
            String changed = base.replace("PersistentKeepalive = 25\n", "PersistentKeepalive = 15\n")
                .replace(", fd00:9::/64", "");
            Path sync = rig.file("sync.conf", changed + "[Peer]\nPublicKey = " + third + "\nAllowedIPs = 10.9.2.0/24\n"
                + "Endpoint = [fd00:236:" + rig.net + "::8]:51822\n");

            for (String[] step : List.of(new String[] {"setconf", set.toString()},
                    new String[] {"syncconf", sync.toString()})) {
                WgConfig expected = sorted(ConfigParser.parse(Path.of(step[1])));
                QuickRig.in(rig.veil.ns, "wg", step[0], veil, step[1]);
                QuickRig.in(rig.wgGo.ns, "wg", step[0], wgGo, step[1]);
                WgConfig onVeil = sorted(ConfigParser.parse("showconf", QuickRig.in(rig.veil.ns, "wg", "showconf", veil)));
                WgConfig onWgGo = sorted(ConfigParser.parse("showconf", QuickRig.in(rig.wgGo.ns, "wg", "showconf", wgGo)));
                assertEquals(expected, onWgGo, step[0] + " on wireguard-go (the reference)");
                assertEquals(expected, onVeil, step[0] + " on Veil");
            }
        }
    }

    @Test
    void showAllReportsAStaleSocketAndShowsTheRest() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String live = rig.name('l'), stale = rig.name('z');
            QuickRig.in(rig.veil.ns, Hosts.VEIL, live);
            try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                dead.bind(UnixDomainSocketAddress.of(UapiClient.socket(stale)));
            }  // the file stays, nobody listens: a daemon that died
            QuickRig.Exec show = QuickRig.exec(List.of("ip", "netns", "exec", rig.veil.ns, QuickRig.VEIL.toString(), "show"),
                null, java.util.Map.of());
            assertEquals(0, show.exit(), show.all());
            assertTrue(show.err().contains("Unable to access interface " + stale + ": "), show.err());
            assertTrue(show.out().contains("interface: " + live + "\n"), show.out());
        }
    }

    /** The configuration with its peers ordered by public key: wireguard-go lists them in no fixed order. */
    private static WgConfig sorted(WgConfig c) {
        Comparator<PeerSection> byKey = Comparator.comparing(p -> Arrays.toString(p.publicKey()));
        return new WgConfig(c.iface(), c.peers().stream().sorted(byKey).toList());
    }
}
