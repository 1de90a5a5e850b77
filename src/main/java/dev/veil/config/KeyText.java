package dev.veil.config;

import java.util.Base64;
import java.util.HexFormat;

/**
 * The text forms of a 32-byte key: base64 in files (exactly 44 characters ending in '=', with the unused low bits of
 * the last character zero, as {@code wg} insists) and lowercase hex on the UAPI socket. Stateless and thread-safe.
 */
final class KeyText {
    static final int LENGTH = 32;
    private static final int BASE64_LENGTH = 44;

    private KeyText() {}

    /** The key in {@code text}, or null when it is not canonical base64 of 32 bytes. */
    static byte[] decode(String text) {
        if (text.length() != BASE64_LENGTH || text.charAt(BASE64_LENGTH - 1) != '=') return null;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
        // The JDK decoder ignores set bits after the last whole byte; wg rejects them, so re-encode and compare.
        return key.length == LENGTH && base64(key).equals(text) ? key : null;
    }

    static String base64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    static String hex(byte[] key) {
        return HexFormat.of().formatHex(key);
    }

    /** A copy of {@code key}, which must be null or 32 bytes long; {@code what} names it in the exception. */
    static byte[] copyOf(byte[] key, String what) {
        if (key == null) return null;
        if (key.length != LENGTH) throw new IllegalArgumentException(what + " of " + key.length + " bytes");
        return key.clone();
    }
}
