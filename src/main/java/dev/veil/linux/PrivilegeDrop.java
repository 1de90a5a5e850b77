package dev.veil.linux;

import dev.veil.conn.TransportFactory;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The daemon's privilege drop ({@code --user}/{@code --group}) and the one thread that keeps capabilities.
 *
 * <p><b>What is kept.</b> After the TUN, the UDP socket and the UAPI socket exist, the process switches to the
 * account's uid and gid (real, effective and saved; supplementary groups cleared) and keeps two capabilities:
 * CAP_NET_ADMIN, which SO_MARK ({@code wg set fwmark}) and the forced socket buffer sizes need when the transport
 * is reopened, and CAP_NET_BIND_SERVICE, for a listen port below 1024. The latter is kept always, not only for a
 * low port: the daemon drops before {@code wg setconf} or {@code veil up} tells it its port, so it cannot know; it
 * lets the holder bind low ports and nothing else. Nothing else needs a capability afterwards: reads and writes go
 * through descriptors opened before, the MTU is only read (SIOCGIFMTU), and closing the TUN deletes the interface.
 *
 * <p><b>Which threads hold them.</b> Linux capabilities belong to threads. One platform thread,
 * {@code veil-<iface>-priv-0}, keeps them in its permitted and effective sets; every other thread of the JVM (the
 * device's, the UAPI's virtual threads and their carriers, the JVM's own) holds none. The device opens every
 * transport through {@link #transports}, which runs {@code open} on that thread, so a rebind ({@code wg set
 * listen-port}, {@code wg set fwmark}) works wherever the UAPI request is served. The privileged thread starts no
 * thread (a new thread inherits its creator's capabilities): it only takes tasks from a queue and hands results to a
 * second, unprivileged thread, {@code veil-<iface>-priv-reply-0}, which completes the caller's future. Waking a
 * virtual thread may make the JVM start a carrier thread; that happens on the reply thread, never on the
 * privileged one.
 *
 * <p><b>How.</b> On the privileged thread: PR_SET_KEEPCAPS; the bounding set cut to the kept capabilities (this
 * thread's, when it holds CAP_SETPCAP); setgroups(0), setresgid, setresuid (glibc's wrappers apply each to every
 * thread, and the kernel clears the capabilities of each thread that did not ask to keep them); capset (version 3,
 * this thread only) to make the kept ones effective; PR_SET_KEEPCAPS off; the ambient set cleared;
 * PR_SET_NO_NEW_PRIVS, spread to every thread by a seccomp filter that allows everything installed with
 * SECCOMP_FILTER_FLAG_TSYNC (the kernel sets no_new_privs on each thread it synchronises). The kernel also marks the
 * process non-dumpable when its uid changes, so the account cannot ptrace it. Then {@code /proc/self/task/*}
 * is checked: every thread must show the account's ids, no supplementary group, and no capability but the
 * privileged thread's.
 *
 * <p>Per-thread capabilities confine the capability to one code path: a bug elsewhere (a UAPI parser, the data
 * plane) cannot use it by mistake. They are no boundary against code that already runs in the process, since
 * threads share memory; against that, the bound is the process's: an unprivileged uid and gid, at most these two
 * capabilities, no_new_privs.
 *
 * <p>Thread-safe. Owns the two threads; {@link #close} stops them.
 */
public final class PrivilegeDrop implements AutoCloseable {
    public static final int CAP_SETGID = 6, CAP_SETUID = 7, CAP_SETPCAP = 8, CAP_NET_BIND_SERVICE = 10, CAP_NET_ADMIN = 12;
    /** The capabilities the privileged thread keeps (when it holds them before the drop). */
    public static final long KEPT = 1L << CAP_NET_ADMIN | 1L << CAP_NET_BIND_SERVICE;
    private static final int EPERM = 1, EACCES = 13;

    private record Task(Callable<?> work, CompletableFuture<Object> result) {}

    private record Reply(Task task, Object value, Throwable error) {}

    /** What the drop did: the account, the capabilities kept, the threads checked, whether every one has no_new_privs. */
    public record Dropped(Account account, long kept, int threads, String privilegedThread, boolean noNewPrivsEverywhere) {
        /** One line for the daemon's log. */
        public String describe() {
            return "running as user " + account + "; thread " + privilegedThread + " keeps "
                + (kept == 0 ? "no capability" : capabilityNames(kept)) + ", the other " + (threads - 1)
                + " threads hold none" + (noNewPrivsEverywhere ? "" : " (no_new_privs on the privileged thread only)");
        }
    }

    private final LinkedBlockingQueue<Task> tasks = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final Thread privileged;
    private final Thread reply;
    private volatile Account account;
    private volatile boolean closed;

    private PrivilegeDrop(String iface) {
        privileged = Thread.ofPlatform().name("veil-" + iface + "-priv-0").daemon().unstarted(this::serve);
        reply = Thread.ofPlatform().name("veil-" + iface + "-priv-reply-0").daemon().unstarted(this::relay);
    }

    /** Starts the privileged thread (still with all of the process's privileges) and its reply thread. */
    public static PrivilegeDrop start(String iface) {
        PrivilegeDrop p = new PrivilegeDrop(iface);
        p.privileged.start();
        p.reply.start();
        return p;
    }

    /** A factory that opens the transports of {@code inner} on the privileged thread and explains a refusal. */
    public TransportFactory transports(TransportFactory inner) {
        return (port, fwmark) -> call(() -> {
            try {
                return inner.open(port, fwmark);
            } catch (Libc.Errno e) {
                throw explain(e, port, fwmark);
            }
        });
    }

    private IOException explain(Libc.Errno e, int port, int fwmark) {
        Account a = account;
        String who = a == null ? "" : ", which the daemon (user " + a.user() + ") does not hold";
        if (e.errno == EACCES && port > 0 && port < 1024) {
            return new IOException("UDP port " + port + ": permission denied (ports below 1024 need CAP_NET_BIND_SERVICE"
                + who + ")");
        }
        if (e.errno == EPERM && fwmark != 0) {
            return new IOException("fwmark " + Integer.toUnsignedString(fwmark) + ": " + e.getMessage()
                + " (SO_MARK needs CAP_NET_ADMIN" + who + ")");
        }
        return e;
    }

    /**
     * Drops to the account, as the class comment describes, and checks every thread. Throws IOException naming
     * what failed: not root (no CAP_SETUID/CAP_SETGID), a refused call, or a thread left with more than it should
     * have.
     */
    public Dropped drop(Account target) throws IOException {
        Dropped d = call(() -> dropHere(target));
        account = target;
        return d;
    }

    /** The account dropped to, or null before {@link #drop}. */
    public Account account() {
        return account;
    }

    private Dropped dropHere(Account target) throws IOException {
        long permitted = Creds.capget()[1];
        if ((permitted & (1L << CAP_SETUID | 1L << CAP_SETGID)) != (1L << CAP_SETUID | 1L << CAP_SETGID)) {
            throw new IOException("--user needs root (CAP_SETUID and CAP_SETGID) to switch to " + target.user());
        }
        long keep = KEPT & permitted;
        Creds.prctl("PR_SET_KEEPCAPS", Creds.PR_SET_KEEPCAPS, 1);
        if ((permitted & 1L << CAP_SETPCAP) != 0) {
            int last = lastCapability();
            for (int c = 0; c <= last; c++) {
                if ((keep & 1L << c) == 0) Creds.prctl("PR_CAPBSET_DROP", Creds.PR_CAPBSET_DROP, c);
            }
        }
        Creds.clearGroups();
        Creds.setresgid(target.gid());
        Creds.setresuid(target.uid());
        Creds.capset(keep, keep, 0);
        Creds.prctl("PR_SET_KEEPCAPS", Creds.PR_SET_KEEPCAPS, 0);
        try {
            Creds.prctl("PR_CAP_AMBIENT", Creds.PR_CAP_AMBIENT, Creds.PR_CAP_AMBIENT_CLEAR_ALL);
        } catch (Libc.Errno tooOld) {
            // kernels before 4.3 have no ambient set
        }
        Creds.prctl("PR_SET_NO_NEW_PRIVS", Creds.PR_SET_NO_NEW_PRIVS, 1);
        boolean everywhere = true;
        try {
            Creds.noNewPrivsOnAllThreads();
        } catch (Libc.Errno e) {
            everywhere = false;
        }
        String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        List<String> problems = new ArrayList<>();
        int threads = check(Path.of("/proc/self/task"), target, Long.parseLong(self), keep, everywhere, problems);
        if (!problems.isEmpty()) throw new IOException("privilege drop incomplete: " + String.join("; ", problems));
        return new Dropped(target, keep, threads, Thread.currentThread().getName(), everywhere);
    }

    private static int lastCapability() {
        try {
            return Integer.parseInt(ThreadStatus.readProc(Path.of("/proc/sys/kernel/cap_last_cap")).strip());
        } catch (IOException | NumberFormatException e) {
            return 40;
        }
    }

    /**
     * Checks the status of every task under {@code taskDir}: the account's uid and gid everywhere, no supplementary
     * group, no capability (permitted, effective, ambient) except {@code kept} on the task {@code privilegedTid},
     * and no_new_privs on all when {@code noNewPrivs}. Adds each problem to {@code problems}; returns the number of
     * tasks seen.
     */
    static int check(Path taskDir, Account account, long privilegedTid, long kept, boolean noNewPrivs, List<String> problems)
            throws IOException {
        int seen = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(taskDir)) {
            for (Path task : dir) {
                ThreadStatus s;
                try {
                    s = ThreadStatus.read(task.resolve("status"));
                } catch (NoSuchFileException exited) {
                    continue;
                }
                seen++;
                long tid = Long.parseLong(task.getFileName().toString());
                long allowed = tid == privilegedTid ? kept : 0;
                String who = "thread " + tid + " (" + s.name() + ")";
                if (!s.uidsAre(account.uid())) problems.add(who + " has uids " + s.uids());
                if (!s.gidsAre(account.gid())) problems.add(who + " has gids " + s.gids());
                if (!s.groups().isEmpty()) problems.add(who + " has supplementary groups " + s.groups());
                if ((s.permitted() & ~allowed) != 0 || (s.effective() & ~allowed) != 0 || s.ambient() != 0) {
                    problems.add(who + " holds capabilities " + capabilityNames(s.permitted() | s.effective() | s.ambient()));
                }
                if (noNewPrivs && !s.noNewPrivs()) problems.add(who + " lacks no_new_privs");
            }
        }
        return seen;
    }

    /** Capability names of a mask, for messages: the two kept ones by name, the rest by number. */
    static String capabilityNames(long mask) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            if ((mask & 1L << c) == 0) continue;
            names.add(switch (c) {
                case CAP_NET_ADMIN -> "CAP_NET_ADMIN";
                case CAP_NET_BIND_SERVICE -> "CAP_NET_BIND_SERVICE";
                case CAP_SETUID -> "CAP_SETUID";
                case CAP_SETGID -> "CAP_SETGID";
                default -> "capability " + c;
            });
        }
        return String.join(" ", names);
    }

    // ---- the two threads ----------------------------------------------------------------------------------------

    /** Runs {@code work} on the privileged thread (directly when already there) and returns its result. */
    @SuppressWarnings("unchecked")
    private <T> T call(Callable<T> work) throws IOException {
        if (Thread.currentThread() == privileged) {
            try {
                return work.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (closed) throw new IOException("the privileged thread has stopped");
        CompletableFuture<Object> result = new CompletableFuture<>();
        tasks.add(new Task(work, result));
        if (closed) result.cancel(false);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return (T) result.get();  // the task runs to its end even if this caller is interrupted
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) throw io;
                    if (c instanceof RuntimeException r) throw r;
                    if (c instanceof Error err) throw err;
                    throw new IOException(c);
                } catch (java.util.concurrent.CancellationException e) {
                    throw new IOException("the privileged thread has stopped");
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The privileged thread: runs tasks, hands each outcome to the reply thread, and starts nothing. */
    private void serve() {
        try {
            while (true) {
                Task t = tasks.take();
                Reply r;
                try {
                    r = new Reply(t, t.work().call(), null);
                } catch (Exception | Error e) {
                    r = new Reply(t, null, e);
                }
                replies.offer(r);  // unbounded: never blocks
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** The reply thread: completes the callers' futures, which may wake (and so start carriers for) virtual threads. */
    private void relay() {
        try {
            while (true) {
                Reply r = replies.take();
                if (r.error() == null) r.task().result().complete(r.value());
                else r.task().result().completeExceptionally(r.error());
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** Stops both threads; calls waiting for them fail. */
    @Override
    public void close() {
        closed = true;
        privileged.interrupt();
        reply.interrupt();
        for (Task t; (t = tasks.poll()) != null; ) t.result().cancel(false);
        for (Reply r; (r = replies.poll()) != null; ) r.task().result().cancel(false);
    }
}
