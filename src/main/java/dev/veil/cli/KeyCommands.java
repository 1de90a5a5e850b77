package dev.veil.cli;

import dev.veil.crypto.X25519;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code genkey}, {@code pubkey} and {@code genpsk}, byte for byte as {@code wg} prints them. */
final class KeyCommands {
    private KeyCommands() {}

    @Command(name = "genkey", description = "Print a new private key (base64) on stdout.")
    static final class GenKey implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(Base64.getEncoder().encodeToString(X25519.generatePrivateKey(new SecureRandom())));
            return 0;
        }
    }

    @Command(name = "genpsk", description = "Print a new pre-shared key (base64) on stdout.")
    static final class GenPsk implements Callable<Integer> {
        @Override
        public Integer call() {
            byte[] k = new byte[32];
            new SecureRandom().nextBytes(k);
            System.out.println(Base64.getEncoder().encodeToString(k));
            return 0;
        }
    }

    @Command(name = "pubkey", description = "Read a private key (base64) on stdin; print its public key on stdout.")
    static final class PubKey implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            String in = new String(System.in.readAllBytes(), StandardCharsets.US_ASCII).strip();
            byte[] key = decodeKey(in);
            if (key == null) throw new UserError("pubkey: key is not the correct length or format");
            System.out.println(Base64.getEncoder().encodeToString(X25519.publicKey(X25519.clamp(key))));
            return 0;
        }
    }

    /** A 32-byte key from its 44-character base64 text, or null. */
    static byte[] decodeKey(String s) {
        if (s.length() != 44 || s.charAt(43) != '=') return null;
        try {
            byte[] k = Base64.getDecoder().decode(s);
            return k.length == 32 ? k : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
