package dev.veil.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * Points this process's standard output and error at another file, as a daemon does once it has detached from the
 * terminal that started it (so that, e.g., an ssh session that ran {@code veil up} can end). Through the FFM API:
 * open(2) and dup2(2). Stateless and thread-safe.
 */
public final class Stdio {
    private Stdio() {}

    private static final int O_WRONLY = 1, O_CREAT = 0x40, O_APPEND = 0x400, O_CLOEXEC = 0x80000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle DUP2 = LINKER.downcallHandle(LINKER.defaultLookup().find("dup2").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /** Appends fds 1 and 2 to {@code path} (created 0600 when missing), e.g. "/dev/null" or a log file. */
    public static void redirectOutput(String path) throws IOException {
        System.out.flush();
        System.err.flush();
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(a.allocateFrom(path), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd < 0) throw new IOException("cannot open " + path + " for the daemon's output");
            try {
                if ((int) DUP2.invokeExact(fd, 1) < 0 || (int) DUP2.invokeExact(fd, 2) < 0) {
                    throw new IOException("cannot redirect the daemon's output to " + path);
                }
            } finally {
                Libc.close(fd);
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
