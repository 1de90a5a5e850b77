package dev.veil.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls of the privilege drop, bound through the FFM API: the user and group databases, the
 * credential calls (glibc's wrappers of setgroups, setresgid and setresuid change every thread of the process),
 * and the per-thread ones (prctl, capget, capset, seccomp). Failures become {@link Libc.Errno}s. Stateless and
 * thread-safe; what a per-thread call changes is the calling thread's.
 */
final class Creds {
    private Creds() {}

    static final int PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47;
    static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    static final int SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_TSYNC = 1;
    static final int BPF_RET_K = 0x06, SECCOMP_RET_ALLOW = 0x7fff0000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
        ThreadLocal.withInitial(() -> Arena.global().allocate(CALL_STATE));

    private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = new Linker.Option[extra.length + 1];
        opts[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, opts, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, opts);
    }

    private static final MethodHandle GETPWNAM = bind("getpwnam", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle GETPWUID = bind("getpwuid", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle GETGRNAM = bind("getgrnam", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle GETGRGID = bind("getgrgid", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle PRCTL = bind("prctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SETGROUPS = bind("setgroups", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SETRESGID = bind("setresgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETRESUID = bind("setresuid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CAPGET = bind("capget", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CAPSET = bind("capset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SYSCALL = bind("syscall",
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(1));

    /** A passwd or group entry: the name, the id, and (for a user) the primary group; -1 where it does not apply. */
    record Entry(String name, int id, int primaryGroup) {}

    private static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    private static void check(String call, int r) throws Libc.Errno {
        if (r < 0) throw new Libc.Errno(call, errno());
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** The passwd entry of a user name or numeric uid, or null when there is none. */
    static Entry user(String nameOrId) {
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
        MemorySegment p = find(nameOrId, GETPWNAM, GETPWUID);
        return p == null ? null : new Entry(p.get(ADDRESS, 0).reinterpret(256).getString(0), p.get(JAVA_INT, 16),
            p.get(JAVA_INT, 20));
    }

    /** The group entry of a group name or numeric gid, or null when there is none. */
    static Entry group(String nameOrId) {
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        MemorySegment g = find(nameOrId, GETGRNAM, GETGRGID);
        return g == null ? null : new Entry(g.get(ADDRESS, 0).reinterpret(256).getString(0), g.get(JAVA_INT, 16), -1);
    }

    /** The first 24 bytes of the entry getXXnam or getXXid returns (static storage of libc), or null. */
    private static MemorySegment find(String nameOrId, MethodHandle byName, MethodHandle byId) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = isNumber(nameOrId)
                ? (MemorySegment) byId.invokeExact(STATE.get(), Integer.parseUnsignedInt(nameOrId))
                : (MemorySegment) byName.invokeExact(STATE.get(), a.allocateFrom(nameOrId));
            return e.equals(MemorySegment.NULL) ? null : e.reinterpret(24);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 9) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    static int prctl(String what, int option, long arg2) throws Libc.Errno {
        try {
            int r = (int) PRCTL.invokeExact(STATE.get(), option, arg2, 0L, 0L, 0L);
            check("prctl " + what, r);
            return r;
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Clears the supplementary groups of every thread. */
    static void clearGroups() throws Libc.Errno {
        try {
            check("setgroups", (int) SETGROUPS.invokeExact(STATE.get(), 0L, MemorySegment.NULL));
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets the real, effective and saved group id of every thread. */
    static void setresgid(int gid) throws Libc.Errno {
        setAll("setresgid", SETRESGID, gid);
    }

    /** Sets the real, effective and saved user id of every thread. */
    static void setresuid(int uid) throws Libc.Errno {
        setAll("setresuid", SETRESUID, uid);
    }

    private static void setAll(String call, MethodHandle setres, int id) throws Libc.Errno {
        try {
            check(call, (int) setres.invokeExact(STATE.get(), id, id, id));
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The calling thread's capability sets as {effective, permitted, inheritable} bit masks (capabilities 0 to 63). */
    static long[] capget() throws Libc.Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = header(a);
            MemorySegment data = a.allocate(24);
            check("capget", (int) CAPGET.invokeExact(STATE.get(), header, data));
            long[] sets = new long[3];
            for (int i = 0; i < 3; i++) {
                sets[i] = Integer.toUnsignedLong(data.get(JAVA_INT, 4L * i))
                    | Integer.toUnsignedLong(data.get(JAVA_INT, 12 + 4L * i)) << 32;
            }
            return sets;
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets the calling thread's effective, permitted and inheritable capabilities (version 3, pid 0). */
    static void capset(long effective, long permitted, long inheritable) throws Libc.Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = header(a);
            MemorySegment data = a.allocate(24);
            long[] sets = {effective, permitted, inheritable};
            for (int i = 0; i < 3; i++) {
                data.set(JAVA_INT, 4L * i, (int) sets[i]);
                data.set(JAVA_INT, 12 + 4L * i, (int) (sets[i] >>> 32));
            }
            check("capset", (int) CAPSET.invokeExact(STATE.get(), header, data));
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment header(Arena a) {
        MemorySegment h = a.allocate(8);
        h.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
        h.set(JAVA_INT, 4, 0);  // the calling thread
        return h;
    }

    /** The seccomp(2) system call number of this architecture, or -1 when unknown. */
    static long seccompSyscall() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 317;
            case "aarch64" -> 277;
            case "riscv64" -> 277;
            default -> -1;
        };
    }

    /**
     * Installs a filter that allows every system call on all threads (SECCOMP_FILTER_FLAG_TSYNC). The point is
     * the side effect: the kernel then sets no_new_privs on every thread of the process, as the calling thread has
     * it (which it must). Throws when the kernel refuses.
     */
    static void noNewPrivsOnAllThreads() throws Libc.Errno {
        long nr = seccompSyscall();
        if (nr < 0) throw new Libc.Errno("seccomp (unknown system call number on " + System.getProperty("os.arch") + ")", 38);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment filter = a.allocate(8);  // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
            filter.set(JAVA_SHORT, 0, (short) BPF_RET_K);
            filter.set(JAVA_INT, 4, SECCOMP_RET_ALLOW);
            MemorySegment prog = a.allocate(16);  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            prog.set(JAVA_SHORT, 0, (short) 1);
            prog.set(ADDRESS, 8, filter);
            long r = (long) SYSCALL.invokeExact(STATE.get(), nr, (long) SECCOMP_SET_MODE_FILTER,
                (long) SECCOMP_FILTER_FLAG_TSYNC, prog);
            if (r < 0) throw new Libc.Errno("seccomp", errno());
            if (r > 0) throw new Libc.Errno("seccomp (thread " + r + " could not be synchronised)", 1);
        } catch (Libc.Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
