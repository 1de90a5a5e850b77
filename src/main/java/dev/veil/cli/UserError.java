package dev.veil.cli;

/** An operator mistake: reported as one line and a non-zero exit, without a stack trace. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message, null, false, false);
    }
}
