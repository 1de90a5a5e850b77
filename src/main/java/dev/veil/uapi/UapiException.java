package dev.veil.uapi;

/** A set line that failed, with the errno to answer. Its message never holds a key or a line's value. */
final class UapiException extends Exception {
    private static final long serialVersionUID = 1L;

    final int errno;

    UapiException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }
}
