package dev.veil.uapi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The UAPI socket in a temporary directory: how it is created, served, watched and removed. */
@Timeout(60)
class UapiServerTest {
    @TempDir
    Path tmp;

    private final Rig rig = Rig.alone();
    private final List<String> logThreads = new CopyOnWriteArrayList<>();
    private final UapiHandler handler = new UapiHandler(rig.device, m -> logThreads.add(Thread.currentThread().getName()));
    private final CountDownLatch gone = new CountDownLatch(1);

    private UapiServer start(Path dir) throws IOException {
        return UapiServer.start(dir, "wgtest0", handler, gone::countDown);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void theSocketIsPrivateAndServesGetAndSet() throws Exception {
        Path dir = tmp.resolve("run/wireguard");
        try (UapiServer server = start(dir)) {
            Path socket = dir.resolve("wgtest0.sock");
            assertEquals(socket, server.socketPath());
            assertEquals(List.of("wgtest0.sock"), names(dir), "the private directory is gone");
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(socket));
            Set<PosixFilePermission> dirMode = Files.getPosixFilePermissions(dir);
            assertTrue(dirMode.containsAll(PosixFilePermissions.fromString("rwx------")), dirMode.toString());
            assertFalse(dirMode.contains(PosixFilePermission.GROUP_WRITE) || dirMode.contains(PosixFilePermission.OTHERS_WRITE));
            try (UapiClient c = new UapiClient(socket)) {
                assertEquals("errno=0\n\n", c.ask("set=1\nlisten_port=4321\n\n"));
                assertEquals("listen_port=4321\nerrno=0\n\n", c.ask("get=1\n\n"));
                assertEquals("errno=-22\n\n", c.ask("set=1\nbogus=1\n\n"));
            }
            assertEquals(4321, rig.device.listenPort());
            assertEquals(1, logThreads.size());
            assertTrue(logThreads.get(0).matches("veil-wgtest0-uapi-\\d+"), logThreads.toString());
        }
    }

    @Test
    void connectionsAreServedAtTheSameTime() throws Exception {
        try (UapiServer server = start(tmp); UapiClient idle = new UapiClient(server.socketPath());
             UapiClient busy = new UapiClient(server.socketPath())) {
            assertEquals("listen_port=51820\nerrno=0\n\n", busy.ask("get=1\n\n"), "an idle connection blocks no one");
            assertEquals("listen_port=51820\nerrno=0\n\n", idle.ask("get=1\n\n"));
        }
    }

    @Test
    void aLiveSocketIsNotTakenOver() throws Exception {
        try (UapiServer first = start(tmp)) {
            IOException e = assertThrows(IOException.class, () -> start(tmp));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            try (UapiClient c = new UapiClient(first.socketPath())) {
                assertEquals("listen_port=51820\nerrno=0\n\n", c.ask("get=1\n\n"), "the first server still serves");
            }
            assertEquals(List.of("wgtest0.sock"), names(tmp));
        }
    }

    @Test
    void aStaleSocketIsReplaced() throws Exception {
        Path socket = tmp.resolve("wgtest0.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "a socket file that no one answers on");
        try (UapiServer server = start(tmp); UapiClient c = new UapiClient(socket)) {
            assertEquals("listen_port=51820\nerrno=0\n\n", c.ask("get=1\n\n"));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(socket));
        }
    }

    @Test
    void removingTheSocketFileCallsTheCallback() throws Exception {
        try (UapiServer server = start(tmp)) {
            assertEquals(1, gone.getCount());
            Files.delete(server.socketPath());
            assertTrue(gone.await(20, TimeUnit.SECONDS), "the callback ran");
        }
    }

    @Test
    void replacingTheSocketFileCallsTheCallback() throws Exception {
        try (UapiServer server = start(tmp)) {
            Path other = Files.createFile(tmp.resolve("other"));
            Files.move(other, server.socketPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(gone.await(20, TimeUnit.SECONDS), "the callback ran");
            server.close();
            assertTrue(Files.exists(server.socketPath()), "close leaves a file that is not its socket");
        }
    }

    @Test
    void closeRemovesTheSocketAndEndsConnectionsWithoutTheCallback() throws Exception {
        UapiServer server = start(tmp);
        try (UapiClient c = new UapiClient(server.socketPath())) {
            assertEquals("errno=0\n\n", c.ask("set=1\n\n"));
            server.close();
            assertFalse(Files.exists(server.socketPath()));
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(), names(tmp));
        assertEquals(1, gone.getCount(), "closing is not the socket going away");
        assertThrows(IOException.class, () -> new UapiClient(server.socketPath()).close());
        server.close();  // a second close does nothing
    }

    @Test
    void badInterfaceNamesAreRefused() {
        for (String bad : List.of("", ".", "..", "a/b", "a:b", "a b", "sixteen-chars-xx", "tab\t")) {
            assertThrows(IllegalArgumentException.class, () -> start(tmp, bad), bad);
        }
        assertDoesNotThrow(() -> UapiServer.checkInterfaceName("wg0.mesh-1_x"));
    }

    private void start(Path dir, String iface) throws IOException {
        UapiServer.start(dir, iface, handler, gone::countDown).close();
    }
}
