package dev.veil.interop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Veil against stock WireGuard (Debian's wireguard-go) and against itself, between two network namespaces: either
 * side initiating, IPv4 and IPv6 underlays, IPv4 and IPv6 inside, and 64 MB bulk transfers compared by checksum.
 * Needs root, wg, wireguard-go, ping and python3 (./run-tests installs them when root); skipped with a printed
 * reason otherwise.
 */
class InteropTest {
    private static final long MB64 = 64L << 20;

    @ParameterizedTest(name = "{0} initiates to {1} over IPv{2}")
    @CsvSource({"veil,wireguard-go,4", "wireguard-go,veil,4", "veil,wireguard-go,6", "wireguard-go,veil,6"})
    void veilAndWireguardGo(String initiator, String responder, int underlay) throws Exception {
        try (Hosts h = Hosts.create("wg", Hosts.WIREGUARD_GO, "ping", "python3")) {
            h.a.start(exe(initiator));
            h.b.start(exe(responder));
            h.link(false, underlay == 6);  // only a knows b's endpoint, so a initiates
            assertTrue(h.a.ping(h.b.tunnel4, 3), "IPv4 inside");
            assertTrue(h.a.ping(h.b.tunnel6, 3), "IPv6 inside");
            assertTrue(h.b.ping(h.a.tunnel4, 2), "the responder reaches back over the learned endpoint");
            String shown = h.a.in("wg", "show", h.a.ifname, "latest-handshakes");
            assertFalse(shown.strip().endsWith("\t0"), "a handshake is recorded: " + shown);
            h.transfer(h.a, h.b, h.b.tunnel4, MB64);
            h.transfer(h.b, h.a, h.a.tunnel6, MB64);
        }
    }

    @Test
    void veilToVeil() throws Exception {
        try (Hosts h = Hosts.create("wg", "ping", "python3")) {
            h.a.start(Hosts.VEIL);
            h.b.start(Hosts.VEIL);
            h.link(true, false);
            assertTrue(h.a.ping(h.b.tunnel4, 3));
            assertTrue(h.b.ping(h.a.tunnel6, 3));
            h.transfer(h.a, h.b, h.b.tunnel4, MB64);
        }
    }

    @ParameterizedTest(name = "{0} roams while talking to {1}")
    @CsvSource({"veil,veil", "wireguard-go,veil", "veil,wireguard-go"})
    void roamingMidTransfer(String roamer, String other) throws Exception {
        try (Hosts h = Hosts.create("wg", Hosts.WIREGUARD_GO, "python3")) {
            h.a.start(exe(roamer));
            h.b.start(exe(other));
            h.link(false, false);
            assertTrue(h.a.ping(h.b.tunnel4, 2));
            CompletableFuture<Void> transfer = CompletableFuture.runAsync(() -> {
                try {
                    h.transfer(h.a, h.b, h.b.tunnel4, MB64 / 2);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            // Once a quarter of the data is through, a's underlay address changes.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (h.b.receivedBytes() < MB64 / 8) {
                assertFalse(transfer.isDone(), "the transfer ended before the address changed");
                assertTrue(System.nanoTime() < deadline, "no progress before the address change");
                Thread.onSpinWait();
            }
            String moved = h.a.moveUnderlay4();
            transfer.get(120, TimeUnit.SECONDS);
            // The rest of the transfer can be through before the new address is in use (a fast tunnel moves the
            // remaining megabytes in a tenth of a second): then a ping from a is the packet from its new address.
            String endpoint = h.b.in("wg", "show", h.b.ifname, "endpoints");
            for (int i = 0; i < 5 && !endpoint.contains(moved + ":"); i++) {
                h.a.ping(h.b.tunnel4, 1);
                endpoint = h.b.in("wg", "show", h.b.ifname, "endpoints");
            }
            assertTrue(endpoint.contains(moved + ":"), "b follows a to its new address: " + endpoint);
        }
    }

    @Test
    void deletingTheInterfaceStopsTheDaemonAndRemovesTheSocket() throws Exception {
        try (Hosts h = Hosts.create("wg")) {
            h.a.start(Hosts.VEIL);
            Path sock = Path.of("/var/run/wireguard", h.a.ifname + ".sock");
            assertTrue(Files.exists(sock));
            var pids = h.a.pids();
            assertFalse(pids.isEmpty());
            h.a.in("ip", "link", "del", h.a.ifname);
            for (long pid : pids) {
                var p = ProcessHandle.of(pid);
                if (p.isPresent()) p.get().onExit().get(20, TimeUnit.SECONDS);
            }
            assertFalse(Files.exists(sock), "the socket is removed");
        }
    }

    @Test
    void sigtermAndSocketRemovalStopTheDaemon() throws Exception {
        try (Hosts h = Hosts.create("wg")) {
            h.a.start(Hosts.VEIL);
            h.b.start(Hosts.VEIL);
            Path sockA = Path.of("/var/run/wireguard", h.a.ifname + ".sock");
            Path sockB = Path.of("/var/run/wireguard", h.b.ifname + ".sock");
            // SIGTERM: the daemon removes its socket and its interface goes with it.
            for (long pid : h.a.pids()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            awaitExit(h.a);
            assertFalse(Files.exists(sockA), "SIGTERM removes the socket");
            assertNotEquals(0, h.a.tryIn("ip", "link", "show", h.a.ifname).exit(), "the interface is gone");
            // Removing the socket file stops the daemon too.
            Files.delete(sockB);
            awaitExit(h.b);
            assertNotEquals(0, h.b.tryIn("ip", "link", "show", h.b.ifname).exit(), "the interface is gone");
        }
    }

    private static void awaitExit(Hosts.Host host) throws Exception {
        for (long pid : host.pids()) {
            var p = ProcessHandle.of(pid);
            if (p.isPresent()) p.get().onExit().get(20, TimeUnit.SECONDS);
        }
        assertTrue(host.pids().isEmpty(), "the daemon exited");
    }

    private static String exe(String name) {
        return name.equals("veil") ? Hosts.VEIL : Hosts.WIREGUARD_GO;
    }
}
