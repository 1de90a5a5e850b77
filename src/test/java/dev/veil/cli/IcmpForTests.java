package dev.veil.cli;

/** Exposes the demo's ICMP echo helper to tests in other packages. */
public final class IcmpForTests {
    private IcmpForTests() {}

    public static byte[] answer(byte[] p) {
        return Icmp.answer(p);
    }
}
