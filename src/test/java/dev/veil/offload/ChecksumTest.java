package dev.veil.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** {@link Checksum#add} against the word-by-word sum of RFC 1071, at every offset, length and starting sum. */
class ChecksumTest {
    /** The definition: big-endian 16-bit words, an odd last byte padded with zero. */
    private static long reference(long sum, byte[] b, int off, int len) {
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff, lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            sum += hi << 8 | lo;
        }
        return sum;
    }

    @Property(tries = 2000)
    void foldsToTheSameSumAsWordByWord(@ForAll @Size(max = 3000) byte[] b, @ForAll @IntRange(max = 40) int cut,
                                       @ForAll @IntRange(max = 40) int trim, @ForAll @IntRange(max = 1 << 20) int start) {
        int off = Math.min(cut, b.length), len = Math.max(0, b.length - off - trim);
        assertEquals(Checksum.fold(reference(start, b, off, len)), Checksum.fold(Checksum.add(start, b, off, len)));
    }

    @Property(tries = 300)
    void chainedSumsOfEvenPartsEqualTheWhole(@ForAll @Size(min = 2, max = 4000) byte[] b, @ForAll @IntRange(max = 2000) int at) {
        int split = Math.min(at, b.length) & ~1;
        long chained = Checksum.add(Checksum.add(0, b, 0, split), b, split, b.length - split);
        assertEquals(Checksum.fold(reference(0, b, 0, b.length)), Checksum.fold(chained));
    }

    @Test
    void edgeValues() {
        byte[] ones = new byte[1 << 20];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertEquals(0xffff, Checksum.fold(Checksum.add(0, ones, 0, ones.length)));
        assertEquals(0, Checksum.fold(Checksum.add(0, new byte[64], 0, 64)));
        byte[] word = new byte[32];
        word[30] = 0x12;
        word[31] = 0x34;
        word[0] = (byte) 0xab;
        assertEquals(0xab00 + 0x1234, Checksum.fold(Checksum.add(0, word, 0, 32)));
        assertEquals(0x0000, Checksum.finish(0xffff));
    }
}
