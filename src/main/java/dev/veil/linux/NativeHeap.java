package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * The C heap's free memory handed back to the kernel at once: {@link #trim} calls glibc's {@code malloc_trim(0)},
 * which the JVM's {@code -XX:TrimNativeHeapInterval} also calls, but only every few seconds. The daemon calls it when
 * the JIT warm-up ends, whose compilations leave 10-15 MB free but resident in glibc's arenas. Stateless and
 * thread-safe.
 */
public final class NativeHeap {
    private NativeHeap() {}

    private static final MethodHandle MALLOC_TRIM;

    static {
        MethodHandle trim = null;
        try {
            Linker linker = Linker.nativeLinker();
            trim = linker.downcallHandle(linker.defaultLookup().find("malloc_trim").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        } catch (RuntimeException | LinkageError e) {
            // not glibc: nothing to trim this way, and the JVM's own periodic trim is off too
        }
        MALLOC_TRIM = trim;
    }

    /**
     * Returns the C heap's free pages to the kernel; true when memory was released, false when there was none to
     * release or the C library has no {@code malloc_trim}.
     */
    public static boolean trim() {
        if (MALLOC_TRIM == null) return false;
        try {
            return (int) MALLOC_TRIM.invokeExact(0L) == 1;
        } catch (Throwable t) {
            return false;
        }
    }
}
