package dev.veil.uapi;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.veil.device.Device;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The cross-platform WireGuard configuration protocol (UAPI) for one {@link Device}, so that the stock {@code wg}
 * tool drives Veil as it drives wireguard-go. {@link #serve} reads operations from one connection and answers each:
 *
 * <ul>
 *   <li>{@code get=1\n\n}: the device's state as {@code key=value} lines, then {@code errno=0\n\n}.
 *   <li>{@code set=1\n}, {@code key=value} lines and a blank line (or the end of the input): the lines take effect
 *       one at a time (see {@link SetOperation}), then {@code errno=N\n\n}, N being 0 or a negative errno as
 *       wireguard-go answers on Linux: -22 (EINVAL) for a bad key or value, -71 (EPROTO) for a line without '=',
 *       -98 (EADDRINUSE) when the transport cannot be reopened, -5 (EIO) for a line over 64 KiB, -55 otherwise.
 *       A set that fails keeps what its earlier lines changed, is answered at once, and the rest of it, up to its
 *       blank line, is skipped; the connection stays usable.
 *   <li>{@code veil-stats=1\n\n}, Veil's own extension: the device's counters (see {@link StatsText}).
 *   <li>Anything else as an operation line closes the connection without an answer, as wireguard-go does. A
 *       {@code get=1} followed by anything but a blank line is answered with -22.
 * </ul>
 *
 * <p>Bad input never throws; errors go to the error log, which never sees a key. Thread-safe: a get runs alongside
 * other gets, a set runs alone (wireguard-go's {@code ipcMutex}). Each connection is served by one thread.
 */
public final class UapiHandler {
    /** The longest line of a set, as Go's line scanner allows. */
    static final int MAX_LINE = 64 * 1024;

    private final Device device;
    private final Consumer<String> errorLog;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    /** A handler for the device that reports failed operations nowhere. */
    public UapiHandler(Device device) {
        this(device, message -> {});
    }

    /** A handler for the device that reports why an operation failed to {@code errorLog} (no keys, no values). */
    public UapiHandler(Device device, Consumer<String> errorLog) {
        this.device = Objects.requireNonNull(device, "device");
        this.errorLog = Objects.requireNonNull(errorLog, "errorLog");
    }

    /**
     * Serves one connection: answers operations until the input ends or an operation line is invalid. Does not close
     * the streams. Throws IOException only when the streams fail.
     */
    public void serve(InputStream in, OutputStream out) throws IOException {
        LineReader reader = new LineReader(in, MAX_LINE);
        try {
            while (reader.next() == LineReader.Status.LINE) {
                if (reader.is("get=1") || reader.is(StatsText.OPERATION)) {
                    boolean stats = reader.is(StatsText.OPERATION);
                    int b = reader.read();
                    if (b < 0) return;
                    if (b == '\n') {
                        if (stats) {
                            out.write(StatsText.of(device).getBytes(US_ASCII));
                            out.flush();
                        } else {
                            get(out);
                        }
                    } else {
                        fail("trailing character in UAPI get");
                        answer(out, Errno.INVALID);
                    }
                } else if (reader.is("set=1")) {
                    int errno = set(reader);
                    answer(out, errno);
                    if (errno != 0) reader.skipThroughBlankLine();
                } else {
                    fail("invalid UAPI operation");
                    return;
                }
            }
        } finally {
            reader.wipe();
        }
    }

    private void get(OutputStream out) throws IOException {
        StateText text;
        lock.readLock().lock();
        try {
            text = StateText.of(device);
        } finally {
            lock.readLock().unlock();
        }
        text.writeTo(out);
        out.flush();
    }

    /** Runs one set operation and returns its errno. */
    private int set(LineReader reader) throws IOException {
        lock.writeLock().lock();
        try {
            SetOperation op = new SetOperation(device);
            try {
                while (true) {
                    LineReader.Status s = reader.next();
                    if (s == LineReader.Status.END) break;
                    if (s == LineReader.Status.TOO_LONG) {
                        op.finish();
                        return fail(new UapiException(Errno.IO, "failed to read input: a line over " + MAX_LINE + " bytes"));
                    }
                    reader.dropCarriageReturn();
                    if (reader.length() == 0) break;
                    try {
                        op.line(reader.line(), reader.length());
                    } finally {
                        reader.wipeLine();
                    }
                    if (s == LineReader.Status.LAST_LINE) break;
                }
                op.finish();
                return 0;
            } catch (UapiException e) {
                return fail(e);
            } catch (UncheckedIOException e) {
                return fail(new UapiException(Errno.IO, "I/O error while applying the set: " + e.getMessage()));
            } catch (RuntimeException e) {
                return fail(new UapiException(Errno.UNKNOWN, "other UAPI error: " + e));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int fail(UapiException e) {
        fail(e.getMessage());
        return e.errno;
    }

    private void fail(String message) {
        try {
            errorLog.accept("UAPI: " + message);
        } catch (RuntimeException ignored) {
            // a failing log must not break the connection
        }
    }

    private static void answer(OutputStream out, int errno) throws IOException {
        out.write(("errno=" + errno + "\n\n").getBytes(US_ASCII));
        out.flush();
    }
}
