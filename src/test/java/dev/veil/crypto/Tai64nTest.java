package dev.veil.crypto;

import static dev.veil.crypto.Hex.bytes;
import static dev.veil.crypto.Hex.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known encodings for {@link Tai64n} (label {@code 0x400000000000000a + unix seconds}, then big-endian nanoseconds
 * with the low 24 bits cleared) and the strict ordering of {@link Tai64n#after}, including wireguard-go's
 * {@code tai64n_test.go} cases: whitening hides a 10 ms step but not a 20 ms one.
 */
class Tai64nTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MILLI = 1_000_000L;

    @ParameterizedTest(name = "{0} ns")
    @CsvSource({
        "0,                   400000000000000a00000000",
        "16777215,            400000000000000a00000000",
        "16777216,            400000000000000a01000000",
        "999999999,           400000000000000a3b000000",
        "1700000000123456789, 400000006553f10a07000000",
        "-1,                  40000000000000093b000000",
    })
    void encoding(long epochNanos, String expected) {
        byte[] t = Tai64n.encode(epochNanos);
        assertEquals(Tai64n.LEN, t.length);
        assertEquals(expected, string(t));
    }

    @Test
    void whiteningClearsTheLow24BitsOfNanoseconds() {
        for (long nanos = 0; nanos < SECOND; nanos += 7_777_777) {
            byte[] t = Tai64n.encode(42 * SECOND + nanos);
            assertEquals(0, t[9] | t[10] | t[11], "nanos " + nanos);
            assertEquals((byte) (nanos >>> 24), t[8], "nanos " + nanos);
        }
    }

    /** wireguard-go tai64n_test.go: from 123456789 ns, steps up to 10 ms are hidden, 20 ms is not. */
    @ParameterizedTest(name = "+{0} ns after: {1}")
    @CsvSource({"10, false", "10000, false", "1000000, false", "10000000, false", "20000000, true"})
    void whitenedSteps(long step, boolean expectAfter) {
        long start = 123_456_789L;
        assertEquals(expectAfter, Tai64n.after(Tai64n.encode(start + step), Tai64n.encode(start)));
    }

    @Test
    void afterIsStrictAndOrdersSecondsBeforeNanoseconds() {
        byte[] t = Tai64n.encode(5 * SECOND + 500 * MILLI);
        assertFalse(Tai64n.after(t, t.clone()), "equal timestamps");
        byte[] laterSecondSmallerNanos = Tai64n.encode(6 * SECOND);
        assertTrue(Tai64n.after(laterSecondSmallerNanos, t));
        assertFalse(Tai64n.after(t, laterSecondSmallerNanos));
        // Bytes compare unsigned: a nanosecond byte of 0x80 or more is later, not negative.
        assertTrue(Tai64n.after(bytes("400000000000000a80000000"), bytes("400000000000000a7f000000")));
        assertTrue(Tai64n.after(Tai64n.encode(0), Tai64n.encode(-1)));
    }
}
