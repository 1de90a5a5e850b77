package dev.veil.cli;

import dev.veil.conn.MemoryNetwork;
import dev.veil.core.Endpoint;
import dev.veil.core.NodeEvents;
import dev.veil.core.Peer;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.routing.AddressText;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.tun.MemoryTun;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil demo}: two Veil devices in this JVM, joined by an in-memory network, ping each other through their
 * WireGuard tunnel. It prints the handshake as it happens, the pings, and each side's peer status.
 */
@Command(name = "demo", description = "Run two Veil devices in one JVM and ping through their tunnel (no root, no network).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-c", "--count"}, description = "Pings to send (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int count;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new UserError("demo: --count must be at least 1");
        PrintStream out = System.out;
        SecureRandom random = new SecureRandom();
        MemoryNetwork net = new MemoryNetwork();
        byte[] aKey = X25519.generatePrivateKey(random), bKey = X25519.generatePrivateKey(random);
        Endpoint aUnder = new Endpoint(new byte[] {127, 0, 0, 1}, 51820);
        Endpoint bUnder = new Endpoint(new byte[] {127, 0, 0, 2}, 51820);
        byte[] aIp = {10, 0, 0, 1}, bIp = {10, 0, 0, 2};
        MemoryTun aTun = new MemoryTun("alice", 1420), bTun = new MemoryTun("bob", 1420);
        bTun.setHost(Icmp::answer);
        Aead aead = Aead.defaultBackend();
        out.printf("Veil demo: two interfaces in one JVM over an in-memory network (AEAD backend: %s)%n", aead.name());
        try (Device a = new Device("alice", aTun, net.factory(aUnder.address(), aUnder.port()), SystemClock.INSTANCE, random, aead);
             Device b = new Device("bob", bTun, net.factory(bUnder.address(), bUnder.port()), SystemClock.INSTANCE, random, aead)) {
            byte[] aPub = X25519.publicKey(aKey), bPub = X25519.publicKey(bKey);
            out.printf("  alice  public key %s  tunnel %s  underlay %s%n", b64(aPub), AddressText.format(aIp), aUnder);
            out.printf("  bob    public key %s  tunnel %s  underlay %s%n", b64(bPub), AddressText.format(bIp), bUnder);
            InMemoryLink.configure(a, aKey, printer("alice", out), bPub, bUnder, bIp);
            InMemoryLink.configure(b, bKey, printer("bob", out), aPub, null, aIp);
            java.util.Arrays.fill(aKey, (byte) 0);
            java.util.Arrays.fill(bKey, (byte) 0);
            a.start();
            b.start();
            int answered = 0;
            out.printf("PING %s from %s%n", AddressText.format(bIp), AddressText.format(aIp));
            for (int seq = 1; seq <= count; seq++) {
                long t0 = System.nanoTime();
                aTun.inject(Icmp.echoRequest(aIp, bIp, 0x7665, seq));
                int s = seq;
                byte[] reply = aTun.awaitDelivered(p -> Icmp.isReply(p, s), 5, TimeUnit.SECONDS);
                if (reply == null) {
                    out.printf("  no reply to icmp_seq=%d within 5 s%n", seq);
                } else {
                    answered++;
                    out.printf("  %d bytes from %s: icmp_seq=%d time=%.3f ms%n", reply.length - 20,
                        AddressText.format(bIp), seq, (System.nanoTime() - t0) / 1e6);
                }
            }
            out.printf("%d packets transmitted, %d received%n", count, answered);
            status("alice", a, out);
            status("bob", b, out);
            return answered == count ? 0 : 1;
        }
    }

    private static void status(String name, Device d, PrintStream out) {
        d.inspect(n -> {
            for (Peer p : n.peers()) {
                out.printf("%s: peer %s endpoint %s transfer %d B received, %d B sent%n", name,
                    b64(p.publicKey()), p.endpoint(), p.rxBytes(), p.txBytes());
            }
        });
    }

    private static NodeEvents printer(String who, PrintStream out) {
        return new NodeEvents() {
            @Override
            public void handshakeInitiated(Peer peer, Endpoint to) {
                out.printf("  [%s] handshake initiation sent to %s%n", who, to);
            }

            @Override
            public void handshakeCompleted(Peer peer, boolean initiator, Endpoint endpoint) {
                out.printf("  [%s] handshake complete as %s with peer at %s%n", who, initiator ? "initiator" : "responder", endpoint);
            }
        };
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }
}
