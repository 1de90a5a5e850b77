package dev.veil.cli;

import dev.veil.core.Endpoint;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.NodeEvents;
import dev.veil.core.Peer;
import dev.veil.device.Device;

/** Configures one side of a two-device link inside this JVM (the demo and the warm-up). Stateless. */
final class InMemoryLink {
    private InMemoryLink() {}

    /**
     * Gives the device its private key and the other side as its only peer, reached at {@code endpoint} (null to
     * learn it from the handshake) and routed for each of {@code peerIps} (a host route: /32 or /128).
     */
    static void configure(Device d, byte[] privateKey, NodeEvents events, byte[] peerPublic, Endpoint endpoint,
                          byte[]... peerIps) {
        d.configure(n -> {
            n.setStaticKey(new MemoryStaticKey(privateKey));
            n.setEvents(events);
            Peer p = n.addPeer(peerPublic);
            if (endpoint != null) p.setEndpoint(endpoint);
            for (byte[] ip : peerIps) n.allowedIps().insert(ip, ip.length * 8, p);
            return p;
        });
    }
}
