package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace made for one test (random name, only its loopback, up), in which {@link UdpTransport}s can be
 * opened: a short-lived thread enters the namespace with setns(2), opens the socket and ends, and the socket stays
 * in the namespace. So a test can change the namespace's loopback (MTU, checksum offload) without touching the
 * host's. Needs root; {@link #close()} deletes the namespace.
 */
final class UdpNetns implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("setns").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    final String name;

    UdpNetns() throws IOException, InterruptedException {
        Root.require("ip");
        name = "veiludp" + ThreadLocalRandom.current().nextInt(1_000_000);
        Root.must("ip", "netns", "add", name);
        try {
            Root.must("ip", "-n", name, "link", "set", "lo", "up");
        } catch (IOException e) {
            Root.run("ip", "netns", "del", name);
            throw e;
        }
    }

    /** Runs a command inside the namespace and fails when it fails. */
    String in(String... command) throws IOException, InterruptedException {
        String[] c = new String[command.length + 4];
        c[0] = "ip";
        c[1] = "netns";
        c[2] = "exec";
        c[3] = name;
        System.arraycopy(command, 0, c, 4, command.length);
        return Root.must(c);
    }

    /** Opens a transport on a free port inside the namespace. */
    UdpTransport open(UdpTransport.Options options) throws Exception {
        CompletableFuture<UdpTransport> opened = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("veil-test-setns").start(() -> {
            try {
                int fd = Libc.open("/var/run/netns/" + name, Libc.O_CLOEXEC);
                try {
                    int r = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
                    if (r != 0) throw new IOException("setns into " + name + " failed");
                } finally {
                    Libc.close(fd);
                }
                opened.complete(UdpTransport.open(0, 0, options));
            } catch (Throwable e) {
                opened.completeExceptionally(e);
            }
        });
        t.join();
        try {
            return opened.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Root.run("ip", "netns", "del", name);
    }
}
