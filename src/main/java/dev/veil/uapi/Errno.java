package dev.veil.uapi;

/**
 * The errno values a UAPI answer carries, negated, as wireguard-go answers on Linux ({@code ipc/uapi_unix.go}:
 * IpcErrorIO, IpcErrorProtocol, IpcErrorInvalid, IpcErrorPortInUse, IpcErrorUnknown).
 */
final class Errno {
    /** -EIO: the input could not be read (a line too long). */
    static final int IO = -5;
    /** -EINVAL: an unknown key, a malformed value, a peer that cannot be created. */
    static final int INVALID = -22;
    /** -EADDRINUSE: the transport could not be reopened for a new listen port or firewall mark. */
    static final int PORT_IN_USE = -98;
    /** -EPROTO: a line without '='. */
    static final int PROTOCOL = -71;
    /** -ENOANO, wireguard-go's answer for a failure it did not classify. */
    static final int UNKNOWN = -55;

    private Errno() {}
}
