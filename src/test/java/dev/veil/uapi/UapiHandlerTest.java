package dev.veil.uapi;

import static dev.veil.uapi.Rig.hex;
import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.MemoryTransport;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.Peer;
import dev.veil.core.Protocol;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.X25519;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The UAPI handler against a device on the in-memory network: what a get prints, what each set key does, how
 * errors are answered, and that a connection carries several operations.
 */
class UapiHandlerTest {
    private static final String ZERO_KEY = "0".repeat(64);
    private final SeededRandom random = new SeededRandom(99);
    private final byte[] privateKey = X25519.generatePrivateKey(random);
    private final byte[] peerA = X25519.publicKey(X25519.generatePrivateKey(random));
    private final byte[] peerB = X25519.publicKey(X25519.generatePrivateKey(random));
    private final byte[] peerC = X25519.publicKey(X25519.generatePrivateKey(random));

    /** A peer's lines after public_key, as wireguard-go prints a peer that never had a handshake. */
    private static List<String> fresh(String psk, String endpoint, int keepalive, long txBytes, String... allowedIps) {
        List<String> l = new ArrayList<>(List.of("preshared_key=" + psk, "protocol_version=1"));
        if (endpoint != null) l.add("endpoint=" + endpoint);
        l.addAll(List.of("last_handshake_time_sec=0", "last_handshake_time_nsec=0", "tx_bytes=" + txBytes, "rx_bytes=0",
            "persistent_keepalive_interval=" + keepalive));
        for (String ip : allowedIps) l.add("allowed_ip=" + ip);
        return l;
    }

    private static List<String> fresh(String endpoint, String... allowedIps) {
        return fresh(ZERO_KEY, endpoint, 0, 0, allowedIps);
    }

    @Test
    void getOnAnEmptyDevice() {
        Rig r = Rig.alone();
        assertEquals("listen_port=51820\nerrno=0\n\n", r.exchange("get=1\n\n"));
    }

    @Test
    void veilStatsCountsDropsAndTheHandshakeQueue() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("private_key=" + hex(privateKey)));
        String before = r.exchange("veil-stats=1\n\n");
        assertTrue(before.startsWith("under_load=0\ncookie_replies_sent=0\nhandshake_backlog=0\nhandshake_queue_drops=0\n"), before);
        assertTrue(before.contains("\ndropped_bad_mac1=0\n") && before.endsWith("\nerrno=0\n\n"), before);
        PacketBatch bad = new PacketBatch(2, 2048);
        bad.add(new byte[Protocol.INITIATION_SIZE], 0, Protocol.INITIATION_SIZE, new Endpoint(new byte[] {(byte) 192, 0, 2, 9}, 9));
        bad.buffer(0)[0] = Protocol.MESSAGE_INITIATION;
        bad.add(new byte[] {9, 9, 9}, 0, 3, new Endpoint(new byte[] {(byte) 192, 0, 2, 9}, 9));
        r.device.onDatagrams(bad);
        String after = r.exchange("veil-stats=1\n\n");
        assertTrue(after.contains("\ndropped_bad_mac1=1\n") && after.contains("\ndropped_malformed=1\n"), after);
        assertEquals(List.of("private_key=" + hex(privateKey), "listen_port=51820"), r.get().device(), "get is unchanged");
        assertTrue(r.errors.isEmpty(), r.errors.toString());
    }

    @Test
    void setThenGetShowsExactlyWhatWasSet() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("private_key=" + hex(privateKey), "listen_port=12345", "fwmark=4294967295",
            "public_key=" + hex(peerA), "endpoint=192.0.2.7:51820", "allowed_ip=10.0.0.2/32", "allowed_ip=fd00::2/128",
            "public_key=" + hex(peerB), "protocol_version=1", "allowed_ip=10.9.0.0/16", "allowed_ip=0.0.0.0/0"));
        Rig.State s = r.get();
        assertEquals(List.of("private_key=" + hex(privateKey), "listen_port=12345", "fwmark=4294967295"), s.device());
        assertEquals(Map.of(
            hex(peerA), fresh("192.0.2.7:51820", "10.0.0.2/32", "fd00::2/128"),
            hex(peerB), fresh(null, "10.9.0.0/16", "0.0.0.0/0")), s.peers());
        assertEquals(12345, r.device.listenPort());
        assertEquals(12345, r.transport.localPort(), "the transport was reopened on the new port");
        assertEquals(-1, r.device.fwmark());
        assertTrue(r.errors.isEmpty(), r.errors.toString());
    }

    @Test
    void theRoutingTableFollowsTheAllowedIps() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=10.0.0.77/24"));
        Peer a = r.peer(peerA);
        assertSame(a, r.device.configure(n -> n.allowedIps().lookup(new byte[] {10, 0, 0, 9}, 0, 4)));
        assertEquals(fresh(null, "10.0.0.0/24"), r.get().peer(peerA), "host bits are cleared");
    }

    @Test
    void replacePeersRemovesEveryPeerBeforeTheNewOnes() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=10.0.0.1/32", "public_key=" + hex(peerB)));
        assertEquals(0, r.set("replace_peers=true", "public_key=" + hex(peerC), "allowed_ip=10.0.0.1/32"));
        assertEquals(Map.of(hex(peerC), fresh(null, "10.0.0.1/32")), r.get().peers());
        assertEquals(1, r.routeCount());
    }

    @Test
    void removeDropsOnePeerAndNeverCreatesOne() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=10.0.0.1/32", "public_key=" + hex(peerB)));
        assertEquals(0, r.set("public_key=" + hex(peerA), "remove=true", "allowed_ip=10.0.0.2/32",
            "public_key=" + hex(peerC), "remove=true"));
        assertEquals(Map.of(hex(peerB), fresh(null)), r.get().peers());
        assertEquals(0, r.routeCount(), "the removed peer's routes went with it");
    }

    @Test
    void updateOnlyChangesExistingPeersAndCreatesNone() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA)));
        assertEquals(0, r.set("public_key=" + hex(peerA), "update_only=true", "allowed_ip=10.0.0.1/32",
            "public_key=" + hex(peerB), "update_only=true", "allowed_ip=10.0.0.2/32", "endpoint=192.0.2.9:1"));
        assertEquals(Map.of(hex(peerA), fresh(null, "10.0.0.1/32")), r.get().peers());
        assertNull(r.device.configure(n -> n.allowedIps().lookup(new byte[] {10, 0, 0, 2}, 0, 4)));
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerB), "update_only=yes"));
    }

    @Test
    void replaceAllowedIpsAndRemovingOne() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=10.0.0.0/24", "allowed_ip=10.1.0.0/16",
            "allowed_ip=10.3.0.0/16", "public_key=" + hex(peerB), "allowed_ip=10.4.0.0/16"));
        assertEquals(0, r.set("public_key=" + hex(peerA), "replace_allowed_ips=true", "allowed_ip=10.2.0.0/16",
            "allowed_ip=10.3.0.0/16"));
        assertEquals(fresh(null, "10.2.0.0/16", "10.3.0.0/16"), r.get().peer(peerA));
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=-10.2.0.0/16", "allowed_ip=-10.4.0.0/16",
            "allowed_ip=-10.9.0.0/16"));
        Rig.State s = r.get();
        assertEquals(fresh(null, "10.3.0.0/16"), s.peer(peerA));
        assertEquals(fresh(null, "10.4.0.0/16"), s.peer(peerB), "removing another peer's prefix leaves it");
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA), "allowed_ip=-"));
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA), "replace_allowed_ips=1"));
    }

    @Test
    void aPrefixMovesToThePeerThatClaimsItLast() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "allowed_ip=10.0.0.0/24",
            "public_key=" + hex(peerB), "allowed_ip=10.0.0.0/24"));
        Rig.State s = r.get();
        assertEquals(fresh(null), s.peer(peerA));
        assertEquals(fresh(null, "10.0.0.0/24"), s.peer(peerB));
    }

    @Test
    void presharedKeySetShownAndCleared() {
        Rig r = Rig.alone();
        byte[] psk = new byte[32];
        random.nextBytes(psk);
        assertEquals(0, r.set("public_key=" + hex(peerA), "preshared_key=" + hex(psk).toUpperCase()));
        assertEquals(fresh(hex(psk), null, 0, 0), r.get().peer(peerA));
        assertTrue(r.peer(peerA).hasPresharedKey());
        assertEquals(0, r.set("public_key=" + hex(peerA), "preshared_key=" + ZERO_KEY));
        assertEquals(fresh(null), r.get().peer(peerA));
        assertFalse(r.peer(peerA).hasPresharedKey());
    }

    @Test
    void turningOnPersistentKeepaliveSendsAtTheEndOfTheSection() throws Exception {
        Rig r = Rig.alone();
        MemoryTransport remote = r.net.bind(new Endpoint(new byte[] {(byte) 192, 0, 2, 50}, 51820));
        PacketBatch got = new PacketBatch(8, 2048);
        // The interval comes before the endpoint: the keepalive still goes out, once the section is complete.
        assertEquals(0, r.set("private_key=" + hex(privateKey), "public_key=" + hex(peerA),
            "persistent_keepalive_interval=25", "endpoint=192.0.2.50:51820"));
        assertEquals(1, remote.poll(got));
        assertEquals(Protocol.MESSAGE_INITIATION, got.buffer(0)[0], "no session yet: the keepalive needs a handshake");
        assertEquals(fresh(ZERO_KEY, "192.0.2.50:51820", 25, Protocol.INITIATION_SIZE), r.get().peer(peerA));
        assertEquals(25, r.peer(peerA).persistentKeepaliveSeconds());

        assertEquals(0, r.set("public_key=" + hex(peerA), "persistent_keepalive_interval=30"));
        assertEquals(0, remote.poll(got), "it was on already, and the handshake in flight is not repeated");
        assertEquals(0, r.set("public_key=" + hex(peerA), "persistent_keepalive_interval=0"));
        assertEquals(0, r.peer(peerA).persistentKeepaliveSeconds());
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA), "persistent_keepalive_interval=65536"));
    }

    @Test
    void endpointsIpv4AndIpv6() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA), "endpoint=198.51.100.1:0",
            "public_key=" + hex(peerB), "endpoint=[2001:DB8:0:0:0::1]:51820",
            "public_key=" + hex(peerC), "endpoint=[::ffff:192.0.2.1]:00080"));
        Rig.State s = r.get();
        assertEquals(fresh("198.51.100.1:0"), s.peer(peerA));
        assertEquals(fresh("[2001:db8::1]:51820"), s.peer(peerB));
        assertEquals(fresh("[::ffff:192.0.2.1]:80"), s.peer(peerC));
        assertEquals(new Endpoint(new byte[] {(byte) 198, 51, 100, 1}, 0), r.peer(peerA).endpoint());
        for (String bad : List.of("2001:db8::1:51820", "[192.0.2.1]:1", "vpn.example.com:51820", "[fe80::1%eth0]:1",
                "192.0.2.1:65536", "192.0.2.1", "192.0.2.1:", ":51820", "[::1:1", "192.0.2.1:+1", "192.0.2.01:1")) {
            assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA), "endpoint=" + bad), bad);
        }
        assertEquals(fresh("198.51.100.1:0"), r.get().peer(peerA), "bad endpoints changed nothing");
    }

    @Test
    void severalOperationsOnOneConnection() {
        Rig r = Rig.alone();
        String answers = r.exchange("get=1\n\nset=1\nlisten_port=2000\n\nget=1\n\nset=1\npublic_key=" + hex(peerA)
            + "\n\nset=1\nlisten_port=x\n\nget=1\n\n");
        String[] parts = answers.split("\n\n", -1);
        assertArrayEquals(new String[] {"listen_port=51820\nerrno=0", "errno=0", "listen_port=2000\nerrno=0", "errno=0",
            "errno=-22", "listen_port=2000\npublic_key=" + hex(peerA) + "\n" + String.join("\n", fresh(null)) + "\nerrno=0",
            ""}, parts);
    }

    @Test
    void invalidLinesAreAnsweredWithNegativeErrnosAndTheConnectionGoesOn() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(peerA)));
        Map<String, Integer> cases = Map.ofEntries(
            Map.entry("bogus=1", Errno.INVALID),
            Map.entry("private_key=" + "0".repeat(63), Errno.INVALID),
            Map.entry("private_key=" + "0".repeat(63) + "g", Errno.INVALID),
            Map.entry("listen_port=65536", Errno.INVALID),
            Map.entry("listen_port=-1", Errno.INVALID),
            Map.entry("listen_port=", Errno.INVALID),
            Map.entry("fwmark=4294967296", Errno.INVALID),
            Map.entry("replace_peers=false", Errno.INVALID),
            Map.entry("endpoint=192.0.2.1:1", Errno.INVALID),
            Map.entry("allowed_ip=10.0.0.0/8", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\nprotocol_version=2", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\nlisten_port=1", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\nallowed_ip=10.0.0.0/33", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\nallowed_ip=10.0.0.0/08", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\nallowed_ip=10.0.0.0", Errno.INVALID),
            Map.entry("public_key=" + hex(peerA) + "\npreshared_key=xyz", Errno.INVALID),
            Map.entry("public_key=abc", Errno.INVALID),
            Map.entry("no equals sign", Errno.PROTOCOL));
        for (var c : cases.entrySet()) {
            String answer = r.exchange("set=1\n" + c.getKey() + "\n\nget=1\n\n");
            assertTrue(answer.startsWith("errno=" + c.getValue() + "\n\n"), c.getKey() + " -> " + answer);
            assertTrue(answer.endsWith("errno=0\n\n") && answer.contains("listen_port=51820\n"),
                "a get after the failed set still works: " + answer);
        }
        assertEquals(Map.of(hex(peerA), fresh(null)), r.get().peers());
        assertEquals(cases.size(), r.errors.size());
    }

    @Test
    void aSetThatFailsKeepsWhatCameBeforeTheBadLine() {
        Rig r = Rig.alone();
        assertEquals(Errno.INVALID, r.set("listen_port=2000", "public_key=" + hex(peerA), "allowed_ip=10.0.0.1/32",
            "allowed_ip=nonsense", "allowed_ip=10.0.0.2/32", "public_key=" + hex(peerB)));
        Rig.State s = r.get();
        assertEquals(List.of("listen_port=2000"), s.device());
        assertEquals(Map.of(hex(peerA), fresh(null, "10.0.0.1/32")), s.peers());
    }

    @Test
    void thousandsOfAllowedIpsInOneSectionApplyInOrderAcrossBatches() {
        Rig r = Rig.alone();
        List<String> lines = new java.util.ArrayList<>(List.of("public_key=" + hex(peerA)));
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            String ip = "10.1." + (i >> 8) + "." + (i & 255) + "/32";
            lines.add("allowed_ip=" + ip);
            if (i == 2500) lines.add("allowed_ip=-10.1.0.7/32");  // removes one added in an earlier batch
            if (i != 7) expected.add(ip);
        }
        lines.add("endpoint=192.0.2.1:51820");
        lines.add("allowed_ip=10.1.0.7/32");  // after another line: applied again, last
        expected.add("10.1.0.7/32");
        assertEquals(0, r.set(lines.toArray(String[]::new)));
        List<String> shown = r.get().peers().get(hex(peerA)).stream()
            .filter(l -> l.startsWith("allowed_ip=")).map(l -> l.substring("allowed_ip=".length())).sorted().toList();
        assertEquals(expected.stream().sorted().toList(), shown);
    }

    @Test
    void aPortInUseIsAnsweredWithEaddrinuseAndTheOldPortStays() throws Exception {
        Rig r = Rig.alone();
        r.net.bind(new Endpoint(r.underlay, 3000));
        assertEquals(Errno.PORT_IN_USE, r.set("listen_port=3000"));
        assertEquals(List.of("listen_port=51820"), r.get().device());
        assertFalse(r.device.isClosed());
        assertEquals(0, r.set("listen_port=3001"));
        assertEquals(3001, r.transport.localPort());
        assertEquals(0, r.set("listen_port=3001"), "the same port again is no change");
    }

    @Test
    void ourOwnPublicKeyIsIgnoredButItsLinesAreStillChecked() {
        Rig r = Rig.alone();
        byte[] own = X25519.publicKey(privateKey);
        assertEquals(0, r.set("private_key=" + hex(privateKey), "public_key=" + hex(own), "allowed_ip=10.0.0.1/32",
            "endpoint=192.0.2.1:1"));
        assertEquals(Map.of(), r.get().peers());
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(own), "endpoint=nowhere"));
    }

    @Test
    void settingOurKeyToAPeersKeyRemovesThatPeer() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("public_key=" + hex(X25519.publicKey(privateKey)), "public_key=" + hex(peerA)));
        assertEquals(0, r.set("private_key=" + hex(privateKey)));
        assertEquals(Map.of(hex(peerA), fresh(null)), r.get().peers());
    }

    @Test
    void anAllZeroPrivateKeyRemovesTheKey() {
        Rig r = Rig.alone();
        assertEquals(0, r.set("private_key=" + hex(privateKey)));
        assertEquals(List.of("private_key=" + hex(privateKey), "listen_port=51820"), r.get().device());
        assertEquals(0, r.set("private_key=" + ZERO_KEY));
        assertEquals(List.of("listen_port=51820"), r.get().device());
        assertNull(r.device.configure(n -> n.staticKey()));
    }

    @Test
    void theSamePrivateKeyAgainKeepsSessions() {
        Rig a = new Rig(new dev.veil.conn.MemoryNetwork(), new FakeClock(), 1);
        Rig b = new Rig(a.net, a.clock, 2);
        linkThroughUapi(a, b);
        assertTrue(a.peer(b.publicKey).hasSession(a.clock.nanoTime()));
        assertEquals(0, a.set("private_key=" + hex(a.privateKey)));
        assertTrue(a.peer(b.publicKey).hasSession(a.clock.nanoTime()), "nothing changed");
        assertEquals(0, a.set("private_key=" + hex(X25519.generatePrivateKey(random))));
        assertFalse(a.peer(b.publicKey).hasSession(a.clock.nanoTime()), "a new key drops sessions");
    }

    @Test
    void handshakeTimeAndByteCountsAfterTraffic() {
        Rig a = new Rig(new dev.veil.conn.MemoryNetwork(), new FakeClock(), 1);
        Rig b = new Rig(a.net, a.clock, 2);
        long handshakeAt = a.clock.epochNanos();
        linkThroughUapi(a, b);
        a.clock.advance(5, TimeUnit.SECONDS);
        List<String> peer = a.get().peer(b.publicKey);
        assertTrue(peer.contains("last_handshake_time_sec=" + handshakeAt / 1_000_000_000L), peer.toString());
        assertTrue(peer.contains("last_handshake_time_nsec=" + handshakeAt % 1_000_000_000L), peer.toString());
        // The initiation and the first keepalive out; the response in.
        assertTrue(peer.contains("tx_bytes=" + (Protocol.INITIATION_SIZE + 32)), peer.toString());
        assertTrue(peer.contains("rx_bytes=" + Protocol.RESPONSE_SIZE), peer.toString());
        assertTrue(peer.contains("endpoint=192.0.2.2:51820"), peer.toString());
        assertTrue(b.get().peer(a.publicKey).contains("endpoint=192.0.2.1:51820"), "b learnt a's endpoint");
    }

    /** Keys both rigs and makes them peers through set operations; persistent keepalive on a makes the handshake. */
    private void linkThroughUapi(Rig a, Rig b) {
        assertEquals(0, b.set("private_key=" + hex(b.privateKey), "public_key=" + hex(a.publicKey), "allowed_ip=10.0.0.1/32"));
        assertEquals(0, a.set("private_key=" + hex(a.privateKey), "public_key=" + hex(b.publicKey),
            "endpoint=192.0.2.2:51820", "persistent_keepalive_interval=25", "allowed_ip=10.0.0.2/32"));
        Rig.pump(a, b);
    }

    @Test
    void getFollowedByAnythingButABlankLineIsInvalid() {
        Rig r = Rig.alone();
        assertEquals("errno=-22\n\nlisten_port=51820\nerrno=0\n\n", r.exchange("get=1\nxget=1\n\n"));
    }

    @Test
    void anUnknownOperationClosesTheConnectionWithoutAnAnswer() {
        Rig r = Rig.alone();
        assertEquals("", r.exchange("bogus=1\nget=1\n\n"));
        assertEquals("", r.exchange("get=1\r\n\n"));
        assertEquals("", r.exchange("get=1"), "cut short by the end of the input");
        assertEquals("", r.exchange("get=1\n"), "cut short after the operation line");
        assertEquals("errno=0\n\n", r.exchange("set=1\n\nset=2\nget=1\n\n"));
    }

    @Test
    void aSetEndedByTheEndOfTheInputIsApplied() {
        Rig r = Rig.alone();
        assertEquals("errno=0\n\n", r.exchange("set=1\nlisten_port=4000"));
        assertEquals(4000, r.device.listenPort());
    }

    @Test
    void carriageReturnsBeforeNewlinesAreAcceptedInASet() {
        Rig r = Rig.alone();
        assertEquals("errno=0\n\nlisten_port=4001\nerrno=0\n\n", r.exchange("set=1\nlisten_port=4001\r\n\r\nget=1\n\n"));
        assertEquals("", r.exchange("set=1\r\n\n"), "but not in the operation line, as in wireguard-go");
    }

    @Test
    void aLineOver64KibIsAnIoError() {
        Rig r = Rig.alone();
        String answer = r.exchange("set=1\nallowed_ip=" + "1".repeat(70_000) + "\nlisten_port=5\n\nget=1\n\n");
        assertEquals("errno=-5\n\nlisten_port=51820\nerrno=0\n\n", answer);
    }

    @Test
    void aFailedSetSkipsItsRestUpToTheBlankLine() {
        Rig r = Rig.alone();
        String answer = r.exchange("set=1\nbogus=1\nlisten_port=4002\n\r\nset=1\nlisten_port=4003\n\n");
        assertEquals("errno=-22\n\nerrno=0\n\n", answer);
        assertEquals(4003, r.device.listenPort(), "the line after the error was skipped, the next set applied");
    }

    @Test
    void errorsNeverEchoAKey() {
        Rig r = Rig.alone();
        String secret = hex(privateKey);
        assertEquals(Errno.INVALID, r.set("private_key=" + secret + "0"));
        assertEquals(Errno.PROTOCOL, r.set(secret));
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA), "preshared_key=" + secret + "x"));
        assertEquals(3, r.errors.size());
        for (String e : r.errors) assertFalse(e.contains(secret.substring(0, 16)), e);
    }

    @Test
    void getOmitsAPrivateKeyThatCannotBeExported() {
        Rig r = Rig.alone();
        byte[] pub = X25519.publicKey(privateKey);
        r.device.configure(n -> {
            n.setStaticKey(new dev.veil.core.StaticKey() {
                @Override public byte[] publicKey() { return pub.clone(); }
                @Override public boolean dh(byte[] peerPublic, byte[] out) { return false; }
                @Override public void wipe() {}
            });
            return null;
        });
        assertEquals(List.of("listen_port=51820"), r.get().device());
    }

    @Test
    void aClosedDeviceTakesNoNewPeers() {
        Rig r = Rig.alone();
        r.device.close();
        assertEquals(Errno.INVALID, r.set("public_key=" + hex(peerA)));
        assertEquals(0, r.set("listen_port=7000"), "accepted without reopening anything");
        assertEquals(Map.of(), r.get().peers());
    }
}
