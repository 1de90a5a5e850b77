package dev.veil.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * BLAKE2s (RFC 7693) in the three forms WireGuard uses: HASH (unkeyed, 32 bytes), MAC (keyed, 16 bytes) and
 * HMAC-BLAKE2s-256. Backed by BouncyCastle. Stateless and thread-safe.
 */
public final class Blake2s {
    /** Output length of HASH and HMAC. */
    public static final int HASH_LEN = 32;
    /** Output length of the keyed MAC used for mac1, mac2 and cookies. */
    public static final int MAC_LEN = 16;

    private Blake2s() {}

    /** HASH(parts[0] || parts[1] || ...), unkeyed, 32 bytes. */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(256);
        for (byte[] p : parts) d.update(p, 0, p.length);
        byte[] out = new byte[HASH_LEN];
        d.doFinal(out, 0);
        return out;
    }

    /** MAC(key, data[off, off+len)): keyed BLAKE2s with a 16-byte output (not HMAC). */
    public static byte[] mac(byte[] key, byte[] data, int off, int len) {
        byte[] out = new byte[MAC_LEN];
        mac(key, data, off, len, out, 0);
        return out;
    }

    /** MAC of data into out[outOff, outOff+16). */
    public static void mac(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        Blake2sDigest d = new Blake2sDigest(key, MAC_LEN, null, null);
        d.update(data, off, len);
        d.doFinal(out, outOff);
    }

    /** Keyed BLAKE2s of arbitrary output length (1 to 32), for the RFC 7693 test vectors. */
    public static byte[] keyed(byte[] key, int outLen, byte[] data) {
        Blake2sDigest d = new Blake2sDigest(key, outLen, null, null);
        d.update(data, 0, data.length);
        byte[] out = new byte[outLen];
        d.doFinal(out, 0);
        return out;
    }

    /** HMAC-BLAKE2s-256(key, parts[0] || parts[1] || ...). */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac h = new HMac(new Blake2sDigest(256));
        h.init(new KeyParameter(key));
        for (byte[] p : parts) h.update(p, 0, p.length);
        byte[] out = new byte[HASH_LEN];
        h.doFinal(out, 0);
        return out;
    }
}
