package dev.veil.bench;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.core.Actions;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.Forge;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Node;
import dev.veil.core.Peer;
import dev.veil.core.Protocol;
import dev.veil.core.Result;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The flood generator's datagrams against a protocol node in memory (no namespaces, no root): every silence kind is
 * dropped without a reply, the flood's initiations pass mac1 and are dropped after a Diffie-Hellman; and its
 * command line and source addresses.
 */
class DatagramsTest {
    private final FakeClock clock = new FakeClock();
    private final Node node = new Node(clock, new SeededRandom(5), Aead.defaultBackend());
    private final List<byte[]> sent = new ArrayList<>();
    private final Actions out = new Actions() {
        @Override public void send(Endpoint to, byte[] datagram, int off, int len) { sent.add(datagram.clone()); }
        @Override public void deliver(Peer from, byte[] packet, int off, int len) { fail("nothing is delivered"); }
    };
    private final Endpoint from = new Endpoint(new byte[] {(byte) 192, 0, 2, 1}, 4000);

    DatagramsTest() {
        node.setStaticKey(new MemoryStaticKey(X25519.generatePrivateKey(new SeededRandom(6))));
    }

    @Test
    void everySilenceKindIsDroppedWithoutAReply() {
        byte[] peerKey = X25519.generatePrivateKey(new SeededRandom(7));
        node.addPeer(X25519.publicKey(X25519.clamp(peerKey.clone())));
        byte[] initiation = Forge.initiation(peerKey, node.publicKey(), 42, clock.epochNanos(), new SeededRandom(8));
        assertEquals(Result.Ok.INITIATION, node.receive(initiation, 0, initiation.length, from, out), "a real one");
        assertEquals(1, sent.size(), "answered once");
        sent.clear();
        var kinds = new Datagrams(node.publicKey(), 1).silenceKinds(initiation);
        assertEquals(9, kinds.size());
        for (var kind : kinds.entrySet()) {
            for (int i = 0; i < 40; i++) {
                clock.advance(30, TimeUnit.MILLISECONDS);
                byte[] d = kind.getValue().get();
                assertInstanceOf(Result.Dropped.class, node.receive(d, 0, d.length, from, out), kind.getKey());
            }
        }
        assertTrue(sent.isEmpty(), "no reply to any of them");
        assertEquals(40, node.count(Result.Dropped.UNKNOWN_PEER), "a valid mac1 from an unknown key costs a DH");
        assertEquals(40, node.count(Result.Dropped.STALE_TIMESTAMP), "replays");
    }

    @Test
    void floodInitiationsPassMac1AndAreDroppedAfterADiffieHellman() {
        Datagrams d = new Datagrams(node.publicKey(), 2);
        byte[] a = d.floodInitiation(), b = d.floodInitiation();
        assertEquals(Protocol.INITIATION_SIZE, a.length);
        assertFalse(java.util.Arrays.equals(a, b), "each has its own sender index and ephemeral key");
        for (byte[] m : List.of(a, b)) {
            Result r = node.receive(m, 0, m.length, from, out);
            assertTrue(r == Result.Dropped.DECRYPT_FAILED || r == Result.Dropped.UNKNOWN_PEER, r.toString());
        }
        assertEquals(0, node.count(Result.Dropped.BAD_MAC1));
        assertTrue(sent.isEmpty(), "not under load: no cookie reply");
    }

    @Test
    void commandLine() throws Exception {
        Flood.Options o = Flood.parse(new String[] {"--target", "10.0.0.2:51820", "--public-key",
            java.util.Base64.getEncoder().encodeToString(node.publicKey()), "--rate", "500", "--sources", "10.9.0.254",
            "--source-count", "3"});
        assertEquals("flood", o.mode());
        assertEquals(51820, o.target().getPort());
        assertFalse(o.stopOnEof());
        assertEquals(List.of("10.9.0.254", "10.9.0.255", "10.9.1.0"),
            Flood.addresses(o.firstSource(), o.sources()).stream().map(InetAddress::getHostAddress).toList());
        assertThrows(IllegalArgumentException.class, () -> Flood.parse(new String[] {"--rate", "5"}), "no target");
        assertThrows(IllegalArgumentException.class, () -> Flood.parse(new String[] {"--target", "10.0.0.2:1",
            "--public-key", "AAAA", "--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> Flood.parse(new String[] {"--target", "10.0.0.2:1",
            "--public-key", java.util.Base64.getEncoder().encodeToString(new byte[32]), "--seconds", "601"}));
    }
}
