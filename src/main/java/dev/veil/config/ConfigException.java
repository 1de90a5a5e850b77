package dev.veil.config;

/**
 * A configuration file that cannot be used: unreadable, or wrong at a line. The message is one line,
 * {@code file:line: Key: what is wrong} ({@code file: what is wrong} when no line is at fault), and never holds a
 * private or preshared key. A user error, so it carries no stack trace. Immutable.
 */
public final class ConfigException extends Exception {
    private final String fileName;
    private final int line;
    private final String key;

    /**
     * @param line 1-based, or 0 when the whole file is at fault
     * @param key  the key as the file names it (or a section header), or null when there is none to name
     */
    ConfigException(String fileName, int line, String key, String detail) {
        super(format(fileName, line, key, detail), null, false, false);
        this.fileName = fileName;
        this.line = line;
        this.key = key;
    }

    private static String format(String fileName, int line, String key, String detail) {
        String message = fileName + (line > 0 ? ":" + line : "") + ": " + (key == null ? "" : key + ": ") + detail;
        // A value quoted from the file may hold a carriage return or an escape sequence: one line, nothing a
        // terminal would act on.
        return message.replaceAll("[\\p{Cntrl}\\x{80}-\\x{9f}]", "?");
    }

    /** The file's name, as given to the parser. */
    public String fileName() {
        return fileName;
    }

    /** The 1-based line at fault, or 0 when the whole file is. */
    public int line() {
        return line;
    }

    /** The key or section header at fault, or null. */
    public String key() {
        return key;
    }
}
