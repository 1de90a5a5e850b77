package dev.veil.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Background work at the lowest CPU priority: {@link #lowerCurrentThread} gives the calling thread nice 19 (Linux
 * keeps a nice value per thread, and threads it starts afterwards inherit it), so that best-effort work such as
 * the JIT warm-up yields the CPU to the data path and to start-up at once. Unprivileged: any thread may lower its own
 * priority. {@link #setCurrentSlice} asks the scheduler for a short time slice instead, for the data path: a
 * thread woken with one preempts a thread that has run a while (EEVDF, Linux 6.12 and later). Stateless and
 * thread-safe.
 */
public final class ThreadPriority {
    private ThreadPriority() {}

    /** The nicest value: the smallest share of the CPU when other threads want it. */
    public static final int LOWEST = 19;
    private static final int PRIO_PROCESS = 0;

    /** The shortest slice the kernel takes for a normal thread, and the data path's by default: 0.1 ms. */
    public static final long SHORTEST_SLICE_NANOS = 100_000;
    /** The longest the kernel takes: 100 ms. */
    static final long LONGEST_SLICE_NANOS = 100_000_000;
    /** The system property with the data path's slice in microseconds (0: the kernel's default slice). */
    public static final String SLICE_PROPERTY = "veil.dataSliceUs";

    /** sched_setattr's system call number on this architecture, or -1 (glibc 2.36 has no wrapper for it). */
    private static final long SYS_SCHED_SETATTR = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 314;
        case "aarch64" -> 274;
        default -> -1;
    };
    /** struct sched_attr as of Linux 4.x (SCHED_ATTR_SIZE_VER1): size, policy, flags, nice, priority, runtime, ... */
    private static final int SCHED_ATTR_SIZE = 56, SCHED_OTHER = 0;
    /** sched_flags: a thread this one starts gets the default slice, not this one's (Linux keeps it otherwise). */
    private static final long SCHED_FLAG_RESET_ON_FORK = 0x01;

    private static final MethodHandle GETTID, SETPRIORITY, GETPRIORITY, SYSCALL3;

    static {
        MethodHandle gettid = null, setpriority = null, getpriority = null, syscall3 = null;
        try {
            Linker linker = Linker.nativeLinker();
            gettid = linker.downcallHandle(linker.defaultLookup().find("gettid").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));
            setpriority = linker.downcallHandle(linker.defaultLookup().find("setpriority").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
            getpriority = linker.downcallHandle(linker.defaultLookup().find("getpriority").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
            syscall3 = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        } catch (RuntimeException | LinkageError e) {
            // not Linux with glibc: neither is available, callers carry on with the defaults
        }
        GETTID = gettid;
        SETPRIORITY = setpriority;
        GETPRIORITY = getpriority;
        SYSCALL3 = syscall3;
    }

    /**
     * The data path's slice in nanoseconds from {@value #SLICE_PROPERTY} (default 100 µs; 0: leave the kernel's
     * default); an IllegalArgumentException with a one-line message when it is not 0 or 100 to 100000.
     */
    public static long sliceFromProperty() {
        String v = System.getProperty(SLICE_PROPERTY);
        if (v == null || v.isBlank()) return SHORTEST_SLICE_NANOS;
        try {
            long nanos = Math.multiplyExact(Long.parseLong(v.trim()), 1000L);
            if (nanos == 0 || nanos >= SHORTEST_SLICE_NANOS && nanos <= LONGEST_SLICE_NANOS) return nanos;
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new IllegalArgumentException(SLICE_PROPERTY + ": not a slice in microseconds (0, or 100 to 100000): " + v);
    }

    /**
     * Asks for a scheduler time slice of {@code nanos} (0.1 to 100 ms; 0: the kernel's default) for the calling
     * thread, keeping its policy (normal) and its nice value (threads it starts get the default slice, and nice 0
     * if this one's is negative); false if the kernel or the C library cannot. Before
     * Linux 6.12 the kernel accepts and ignores it. A thread woken with a short slice gets an early deadline and
     * preempts the one running, where with the default slice (about 1.5 ms on two processors) it may wait for that
     * one's slice to end: a ping's packet behind a JIT compilation or another process (BENCHMARKS.md).
     */
    public static boolean setCurrentSlice(long nanos) {
        if (SYSCALL3 == null || SYS_SCHED_SETATTR < 0) return false;
        try (Arena arena = Arena.ofConfined()) {
            int tid = (int) GETTID.invokeExact();
            int nice = (int) GETPRIORITY.invokeExact(PRIO_PROCESS, tid);  // sched_setattr sets the nice value too
            MemorySegment attr = arena.allocate(SCHED_ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, SCHED_ATTR_SIZE);
            attr.set(JAVA_INT, 4, SCHED_OTHER);
            attr.set(JAVA_LONG, 8, SCHED_FLAG_RESET_ON_FORK);
            attr.set(JAVA_INT, 16, nice);
            attr.set(JAVA_LONG, 24, nanos);  // sched_runtime: a normal thread's slice, 0 for the default
            return (long) SYSCALL3.invokeExact(SYS_SCHED_SETATTR, 0L, attr, 0L) == 0;  // pid 0: this thread
        } catch (Throwable t) {
            return false;
        }
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
