package dev.veil.crypto;

import java.util.HexFormat;

/** Hex strings for test vectors: spaces and line breaks in a vector are ignored so that it can be laid out. */
final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex.replaceAll("\\s", ""));
    }

    static String string(byte[] b) {
        return HEX.formatHex(b);
    }

    /** 00 01 02 ... (n-1): the inputs of the BLAKE2 KAT files and many RFC keys. */
    static byte[] counting(int start, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (start + i);
        return b;
    }
}
