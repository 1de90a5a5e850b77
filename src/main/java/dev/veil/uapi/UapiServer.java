package dev.veil.uapi;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The UAPI socket of one interface: a Unix stream socket at {@code <directory>/<iface>.sock}, where {@code wg} looks
 * for userspace implementations ({@link #DEFAULT_DIRECTORY}). Each connection is served by the {@link UapiHandler}
 * on its own virtual thread, {@code veil-<iface>-uapi-<n>}.
 *
 * <p>The socket is never reachable by other users, even briefly: it is bound inside a fresh 0700 directory, made
 * 0600, then renamed into place, replacing a stale socket that no one answers on (a live one is an error). A watch
 * on the directory notices when the socket file is removed or replaced, and then calls {@code onGone} once, as
 * wireguard-go's daemon stops when its socket is deleted; a failure to accept does the same. {@link #close} stops
 * accepting, closes the connections, and deletes the socket file if it is still this server's.
 *
 * <p>Owns the listening channel, the connections, the watch and their threads. Thread-safe.
 */
public final class UapiServer implements AutoCloseable {
    /** Where {@code wg} and wireguard-go put UAPI sockets. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/var/run/wireguard");
    private static final Duration JOIN_DEADLINE = Duration.ofSeconds(5);

    private final Path socket;
    private final UapiHandler handler;
    private final Runnable onGone;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final WatchService watcher;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean goneReported = new AtomicBoolean();
    private final Thread.Builder connectionThreads;

    private UapiServer(Path directory, String iface, UapiHandler handler, Runnable onGone) throws IOException {
        this.socket = directory.resolve(iface + ".sock");
        this.handler = handler;
        this.onGone = onGone;
        this.connectionThreads = Thread.ofVirtual().name("veil-" + iface + "-uapi-", 0);
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        refuseLiveSocket(socket);
        this.server = bindPrivately(directory, socket);
        try {
            this.fileKey = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            this.watcher = directory.getFileSystem().newWatchService();
            directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socket);
            throw e;
        }
    }

    /**
     * Listens on {@code <directory>/<iface>.sock}, creating the directory (0755, under the umask) when missing.
     * {@code onGone} runs once, on the watch or the accept thread, when the socket file is removed or replaced or
     * accepting fails; never after {@link #close}. Throws IOException when a live socket is already there or binding fails, and
     * IllegalArgumentException for a name Linux would refuse as an interface name.
     */
    public static UapiServer start(Path directory, String iface, UapiHandler handler, Runnable onGone) throws IOException {
        checkInterfaceName(iface);
        UapiServer s = new UapiServer(directory, iface, Objects.requireNonNull(handler), Objects.requireNonNull(onGone));
        s.spawn(Thread.ofVirtual().name("veil-" + iface + "-uapi-accept-0"), s::acceptLoop);
        s.spawn(Thread.ofVirtual().name("veil-" + iface + "-uapi-watch-0"), s::watchLoop);
        return s;
    }

    /** The socket file. */
    public Path socketPath() { return socket; }

    /** Linux's rule for interface names (dev_valid_name): 1 to 15 bytes, not "." or "..", no '/', ':' or space. */
    static void checkInterfaceName(String iface) {
        boolean ok = !iface.isEmpty() && iface.length() < 16 && !iface.equals(".") && !iface.equals("..")
            && iface.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != ':');
        if (!ok) throw new IllegalArgumentException("not a valid interface name: \"" + iface + "\"");
    }

    private static void refuseLiveSocket(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        boolean live;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            live = probe.isConnected();
        } catch (IOException noOneAnswers) {
            live = false;  // stale: it is replaced below
        }
        if (live) throw new IOException(socket + " is in use: another process serves this interface");
    }

    /** Binds in a fresh 0700 directory, makes the socket 0600, then renames it to its place. */
    private static ServerSocketChannel bindPrivately(Path directory, Path socket) throws IOException {
        Path privateDir = Files.createTempDirectory(directory, ".veil-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path temporary = privateDir.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(temporary));
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(temporary);
            throw e;
        } finally {
            Files.deleteIfExists(privateDir);
        }
    }

    private void spawn(Thread.Builder builder, Runnable task) {
        Thread t = builder.unstarted(() -> {
            try {
                task.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(t);
        t.start();
    }

    private void acceptLoop() {
        try {
            while (!closed.get()) {
                SocketChannel c = server.accept();
                connections.add(c);
                if (closed.get()) {
                    c.close();
                    return;
                }
                spawn(connectionThreads, () -> serve(c));
            }
        } catch (IOException e) {
            reportGone();  // does nothing once closed
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            handler.serve(Channels.newInputStream(c), Channels.newOutputStream(c));
        } catch (IOException clientGone) {
            // the client closed its end or the server is closing
        } finally {
            connections.remove(c);
        }
    }

    private void watchLoop() {
        try {
            while (isStillOurs()) {
                WatchKey key = watcher.take();
                key.pollEvents();
                if (!key.reset()) break;  // the directory itself went away
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            return;  // closing
        }
        reportGone();
    }

    /** True while the socket file is the one this server bound. */
    private boolean isStillOurs() {
        try {
            return fileKey.equals(Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
        } catch (IOException e) {
            return false;
        }
    }

    private void reportGone() {
        if (closed.get() || !goneReported.compareAndSet(false, true)) return;
        onGone.run();
    }

    /** Stops accepting, closes every connection, deletes the socket file if it is still ours, and waits for the threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        closeQuietly(watcher);
        closeQuietly(server);
        for (SocketChannel c : connections) closeQuietly(c);
        if (isStillOurs()) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // best effort, as wireguard-go's unlink on close
            }
        }
        long deadline = System.nanoTime() + JOIN_DEADLINE.toNanos();
        for (Thread t : List.copyOf(threads)) {
            if (t == Thread.currentThread()) continue;
            try {
                t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }
}
