package dev.veil.cli;

import dev.veil.crypto.Aead;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.LinuxTun;
import dev.veil.linux.UdpTransport;
import dev.veil.uapi.UapiHandler;
import dev.veil.uapi.UapiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil daemon IFNAME}: the userspace implementation that {@code bin/veil-userspace} starts. It creates the
 * TUN interface and the UAPI socket, and runs until SIGINT/SIGTERM, the TUN's deletion, or the socket's removal;
 * then it removes the socket and the interface.
 */
@Command(name = "daemon", description = "Run the interface IFNAME in the foreground (bin/veil-userspace starts this).")
final class DaemonCommand implements Callable<Integer> {
    /** Where wg looks for userspace implementations' sockets. */
    static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    @Parameters(index = "0", paramLabel = "IFNAME", description = "Interface name (1 to 15 characters).")
    String ifname;

    @Option(names = "--ready-file", description = "Create this file once the interface and socket exist.", hidden = true)
    Path readyFile;

    @Option(names = "--mtu", description = "Initial MTU (default ${DEFAULT-VALUE}, as wireguard-go).", defaultValue = "1420")
    int mtu;

    @Override
    public Integer call() throws Exception {
        LinuxTun tun;
        try {
            tun = LinuxTun.open(ifname);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
        tun.setMtu(mtu);
        CountDownLatch stop = new CountDownLatch(1);
        String[] why = {"stopped"};
        Device device = new Device(ifname, tun, UdpTransport.factory(), SystemClock.INSTANCE, new SecureRandom(), Aead.defaultBackend());
        device.setOnFailure(t -> { why[0] = t.getMessage(); stop.countDown(); });
        UapiServer uapi;
        try {
            uapi = UapiServer.start(SOCKET_DIR, ifname, new UapiHandler(device, System.err::println),
                () -> { why[0] = "UAPI socket removed"; stop.countDown(); });
        } catch (IOException e) {
            device.close();
            throw new UserError("cannot serve the UAPI socket for " + ifname + ": " + e.getMessage());
        }
        device.start();
        Thread hook = new Thread(() -> { why[0] = "signal"; stop.countDown(); shutdown(uapi, device); }, "veil-" + ifname + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("veil: interface %s up, UDP port %d, UAPI %s%n", ifname, device.listenPort(), SOCKET_DIR.resolve(ifname + ".sock"));
        if (readyFile != null) Files.writeString(readyFile, "ready\n");
        stop.await();
        System.err.printf("veil: interface %s shutting down (%s)%n", ifname, why[0]);
        shutdown(uapi, device);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        return 0;
    }

    private static synchronized void shutdown(UapiServer uapi, Device device) {
        uapi.close();
        device.close();
    }
}
