package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * Background work at the lowest CPU priority: {@link #lowerCurrentThread} gives the calling thread nice 19 (Linux
 * keeps a nice value per thread, and threads it starts afterwards inherit it), so that best-effort work such as
 * the JIT warm-up yields the CPU to the data path and to start-up at once. Unprivileged: any thread may lower its own
 * priority. Stateless and thread-safe.
 */
public final class ThreadPriority {
    private ThreadPriority() {}

    /** The nicest value: the smallest share of the CPU when other threads want it. */
    public static final int LOWEST = 19;
    private static final int PRIO_PROCESS = 0;

    private static final MethodHandle GETTID, SETPRIORITY;

    static {
        MethodHandle gettid = null, setpriority = null;
        try {
            Linker linker = Linker.nativeLinker();
            gettid = linker.downcallHandle(linker.defaultLookup().find("gettid").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));
            setpriority = linker.downcallHandle(linker.defaultLookup().find("setpriority").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        } catch (RuntimeException | LinkageError e) {
            // not Linux with glibc: lowering is not available, callers carry on at normal priority
        }
        GETTID = gettid;
        SETPRIORITY = setpriority;
    }

    /** Gives the calling thread (and the threads it starts from now on) nice {@value #LOWEST}; false if it could not. */
    public static boolean lowerCurrentThread() {
        if (SETPRIORITY == null) return false;
        try {
            int tid = (int) GETTID.invokeExact();
            return (int) SETPRIORITY.invokeExact(PRIO_PROCESS, tid, LOWEST) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The calling thread's id in the kernel (for tests and diagnostics), or -1 when unavailable. */
    public static int currentTid() {
        if (GETTID == null) return -1;
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }
}
