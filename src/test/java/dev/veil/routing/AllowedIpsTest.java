package dev.veil.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.routing.AllowedIps.Prefix;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllowedIpsTest {
    private final AllowedIps<String> table = new AllowedIps<>();

    private void insert(String prefix, String value) {
        table.insert(Ip.address(prefix), Ip.cidr(prefix), value);
    }

    private boolean remove(String prefix, String value) {
        return table.remove(Ip.address(prefix), Ip.cidr(prefix), value);
    }

    private String lookup(String address) {
        byte[] a = Ip.parse(address);
        return table.lookup(a, 0, a.length);
    }

    private List<String> prefixes(String value) {
        return table.prefixes(value).stream().map(Prefix::toString).toList();
    }

    private static Prefix prefix(String text) {
        return new Prefix(Ip.address(text), Ip.cidr(text));
    }

    private void insertRoutingTable() {
        insert("0.0.0.0/0", "default4");
        insert("10.0.0.0/8", "a");
        insert("10.1.0.0/16", "b");
        insert("10.1.2.0/24", "c");
        insert("10.1.2.3/32", "d");
        insert("192.168.0.0/16", "e");
        insert("10.128.0.0/9", "k");
        insert("fd00::/8", "f");
        insert("fd00:1::/32", "g");
        insert("fd00:1:2:3::/64", "h");
        insert("fd00:1:2:3::1/128", "i");
        insert("fd00:1:2:3:8000::/65", "m");
        insert("2001:db8::/32", "j");
        insert("2001:db8:8000::/33", "l");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "null", value = {
        "10.1.2.3, d",
        "10.1.2.4, c",
        "10.1.2.255, c",
        "10.1.3.1, b",
        "10.1.255.255, b",
        "10.2.0.0, a",
        "10.127.255.255, a",
        "10.128.0.0, k",
        "10.255.255.255, k",
        "11.0.0.0, default4",
        "9.255.255.255, default4",
        "192.168.255.255, e",
        "192.169.0.0, default4",
        "0.0.0.0, default4",
        "255.255.255.255, default4",
        "fd00:1:2:3::1, i",
        "fd00:1:2:3::2, h",
        "fd00:1:2:3:7fff:ffff:ffff:ffff, h",
        "fd00:1:2:3:8000::, m",
        "fd00:1:2:3:ffff:ffff:ffff:ffff, m",
        "fd00:1:2:4::, g",
        "fd00:2::, f",
        "fdff:ffff::, f",
        "fe00::, null",
        "fc00::, null",
        "2001:db8::1, j",
        "2001:db8:7fff:ffff::, j",
        "2001:db8:8000::, l",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff, l",
        "2001:db9::, null",
        "::, null",
        "::ffff:10.1.2.3, null",
    })
    void longestPrefixWins(String address, String expected) {
        insertRoutingTable();
        assertEquals(expected, lookup(address));
        assertEquals(14, table.size());
    }

    @Test
    void emptyTableMatchesNothing() {
        assertNull(lookup("10.0.0.1"));
        assertNull(lookup("::1"));
        assertEquals(0, table.size());
        assertEquals(List.of(), table.prefixes("a"));
    }

    @Test
    void slashZeroMatchesEveryAddressOfItsFamilyOnly() {
        insert("0.0.0.0/0", "v4");
        assertEquals("v4", lookup("0.0.0.0"));
        assertEquals("v4", lookup("255.255.255.255"));
        assertNull(lookup("::"), "an IPv4 default route is not an IPv6 one");
        insert("::/0", "v6");
        assertEquals("v6", lookup("::"));
        assertEquals("v6", lookup("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertEquals("v4", lookup("1.2.3.4"));
    }

    @Test
    void hostRoutesMatchOnlyTheirAddress() {
        insert("10.0.0.1/32", "host4");
        insert("fd00::1/128", "host6");
        assertEquals("host4", lookup("10.0.0.1"));
        assertNull(lookup("10.0.0.0"));
        assertNull(lookup("10.0.0.3"));
        assertNull(lookup("138.0.0.1"), "differs only in the first bit");
        assertEquals("host6", lookup("fd00::1"));
        assertNull(lookup("fd00::"));
        assertNull(lookup("fd00::3"));
        assertNull(lookup("7d00::1"));
    }

    @Test
    void hostBitsAreMaskedOff() {
        insert("10.0.0.5/24", "a");
        insert("fd00::1:2:3:4/64", "b");
        assertEquals(List.of("10.0.0.0/24"), prefixes("a"));
        assertEquals(List.of("fd00::/64"), prefixes("b"));
        assertEquals("a", lookup("10.0.0.200"));
        assertEquals("b", lookup("fd00::ffff"));
        insert("10.0.0.9/24", "c");
        assertEquals(1, table.prefixes("c").size(), "the same prefix");
        assertEquals(2, table.size());
        assertTrue(remove("10.0.0.77/24", "c"), "removal ignores host bits too");
        assertTrue(remove("fd00::9/64", "b"));
        assertEquals(0, table.size());
    }

    @Test
    void insertingAnExistingPrefixMovesItToTheNewValue() {
        insert("10.0.0.0/24", "old");
        insert("10.0.1.0/24", "old");
        insert("10.0.0.0/24", "new");
        assertEquals("new", lookup("10.0.0.1"));
        assertEquals(List.of("10.0.1.0/24"), prefixes("old"));
        assertEquals(List.of("10.0.0.0/24"), prefixes("new"));
        assertEquals(2, table.size());
        assertFalse(remove("10.0.0.0/24", "old"), "no longer old's");
    }

    @Test
    void removeOnlyForTheValueThePrefixHas() {
        insert("10.0.0.0/24", "a");
        assertFalse(remove("10.0.0.0/24", "b"));
        assertEquals("a", lookup("10.0.0.1"));
        assertFalse(remove("10.0.0.0/25", "a"), "a longer prefix was never inserted");
        assertFalse(remove("10.0.0.0/23", "a"), "nor a shorter one");
        assertFalse(remove("fd00::/24", "a"));
        assertTrue(remove("10.0.0.0/24", "a"));
        assertNull(lookup("10.0.0.1"));
        assertFalse(remove("10.0.0.0/24", "a"), "already gone");
        assertEquals(0, table.size());
    }

    @Test
    void aBranchPointIsNotAnEntry() {
        insert("10.0.0.0/24", "a");
        insert("10.0.1.0/24", "b"); // the trie now has a branch point at 10.0.0.0/23
        assertFalse(remove("10.0.0.0/23", null));
        assertFalse(remove("10.0.0.0/23", "a"));
        assertNull(lookup("10.0.2.0"));
        insert("10.0.0.0/23", "c"); // the branch point becomes an entry
        assertEquals(List.of("10.0.0.0/23"), prefixes("c"));
        assertEquals(3, table.size());
        assertEquals("a", lookup("10.0.0.1"));
        assertEquals("b", lookup("10.0.1.1"));
        assertTrue(remove("10.0.0.0/24", "a"));
        assertEquals("c", lookup("10.0.0.1"));
        assertTrue(remove("10.0.0.0/23", "c"));
        assertNull(lookup("10.0.0.1"));
        assertEquals("b", lookup("10.0.1.1"));
        assertEquals(1, table.size());
    }

    @Test
    void removingAPrefixKeepsItsLongerAndShorterNeighbours() {
        insert("10.0.0.0/8", "short");
        insert("10.1.0.0/16", "middle");
        insert("10.1.1.0/24", "long");
        insert("10.1.2.0/24", "sibling");
        assertTrue(remove("10.1.0.0/16", "middle"));
        assertEquals("long", lookup("10.1.1.1"));
        assertEquals("sibling", lookup("10.1.2.1"));
        assertEquals("short", lookup("10.1.3.1"), "the /16 is gone, the /8 now matches");
        assertTrue(remove("10.1.1.0/24", "long"));
        assertEquals("short", lookup("10.1.1.1"));
        assertEquals("sibling", lookup("10.1.2.1"));
        assertTrue(remove("10.0.0.0/8", "short"));
        assertNull(lookup("10.1.3.1"));
        assertEquals("sibling", lookup("10.1.2.1"));
        assertEquals(1, table.size());
    }

    @Test
    void removeAllRemovesEveryPrefixOfOneValue() {
        insert("10.0.0.0/24", "a");
        insert("10.0.1.0/24", "a");
        insert("10.0.0.128/25", "b");
        insert("fd00::/64", "a");
        insert("0.0.0.0/0", "a");
        table.removeAll("a");
        assertEquals(1, table.size());
        assertEquals(List.of(), table.prefixes("a"));
        assertNull(lookup("10.0.0.1"));
        assertNull(lookup("10.0.1.1"));
        assertNull(lookup("fd00::1"));
        assertEquals("b", lookup("10.0.0.129"));
        table.removeAll("a"); // nothing left: no effect
        table.removeAll("never inserted");
        assertEquals(1, table.size());
    }

    @Test
    void prefixesAreListedInInsertionOrderAcrossFamilies() {
        insert("10.0.1.0/24", "a");
        insert("fd00::/8", "a");
        insert("10.0.0.0/24", "a");
        insert("0.0.0.0/0", "b");
        insert("::/0", "a");
        assertEquals(List.of("10.0.1.0/24", "fd00::/8", "10.0.0.0/24", "::/0"), prefixes("a"));
        insert("10.0.1.0/24", "a"); // re-inserting counts as new, as in wireguard-go
        assertEquals(List.of("fd00::/8", "10.0.0.0/24", "::/0", "10.0.1.0/24"), prefixes("a"));
        assertEquals(List.of(prefix("0.0.0.0/0")), table.prefixes("b"));
    }

    @Test
    void prefixesIsASnapshot() {
        insert("10.0.0.0/24", "a");
        List<Prefix> before = table.prefixes("a");
        insert("10.0.1.0/24", "a");
        assertEquals(1, before.size());
        assertThrows(UnsupportedOperationException.class, () -> before.add(prefix("1.0.0.0/8")));
    }

    @Test
    void lookupReadsTheAddressAtAnOffset() {
        insert("10.1.2.0/24", "v4");
        insert("fd00::/16", "v6");
        byte[] buf = {1, 2, 10, 1, 2, 3, 9};
        assertEquals("v4", table.lookup(buf, 2, 4));
        assertNull(table.lookup(buf, 1, 4));
        byte[] wide = new byte[20];
        System.arraycopy(Ip.parse("fd00::5"), 0, wide, 3, 16);
        assertEquals("v6", table.lookup(wide, 3, 16));
        assertNull(table.lookup(wide, 2, 16));
    }

    @Test
    void lookupRejectsBadLengthsAndBounds() {
        assertThrows(IllegalArgumentException.class, () -> table.lookup(new byte[8], 0, 8));
        assertThrows(IllegalArgumentException.class, () -> table.lookup(new byte[8], 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> table.lookup(new byte[4], 1, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> table.lookup(new byte[16], -1, 4));
    }

    @Test
    void insertAndRemoveRejectBadPrefixes() {
        assertThrows(IllegalArgumentException.class, () -> table.insert(new byte[5], 8, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.insert(new byte[0], 0, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.insert(new byte[4], 33, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.insert(new byte[4], -1, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.insert(new byte[16], 129, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.remove(new byte[16], 129, "a"));
        assertThrows(IllegalArgumentException.class, () -> table.remove(new byte[3], 1, "a"));
        assertThrows(NullPointerException.class, () -> table.insert(new byte[4], 8, null));
        assertEquals(0, table.size());
    }

    @Test
    void insertKeepsNoReferenceToTheCallersArray() {
        byte[] address = Ip.parse("10.0.0.0");
        table.insert(address, 8, "a");
        address[0] = 11;
        assertEquals("a", lookup("10.1.1.1"));
        assertNull(lookup("11.1.1.1"));
    }

    /** A bare IPv4 or IPv6 header (by the family of the addresses), zero-padded to {@code length} bytes. */
    private static byte[] packet(int length, String source, String destination) {
        byte[] src = Ip.parse(source);
        byte[] p = new byte[length];
        boolean v4 = src.length == 4;
        p[0] = (byte) (v4 ? 0x45 : 0x60);
        System.arraycopy(src, 0, p, v4 ? 12 : 8, src.length);
        System.arraycopy(Ip.parse(destination), 0, p, v4 ? 16 : 24, src.length);
        return p;
    }

    @ParameterizedTest(name = "{0} -> {1}, header {2}")
    @CsvSource({
        "10.0.0.2, 192.168.1.9, 20",
        "fd00:a::1, fd00:b::2, 40",
    })
    void packetSourceAndDestination(String source, String destination, int header) {
        insert(source + (header == 20 ? "/24" : "/32"), "src");
        insert(destination + (header == 20 ? "/24" : "/32"), "dst");
        insert(header == 20 ? "::/0" : "0.0.0.0/0", "other family");
        // The packet sits at offset 7 of a larger buffer, with junk around it.
        byte[] buf = new byte[header + 40 + 12];
        Arrays.fill(buf, (byte) 0x66);
        System.arraycopy(packet(header + 40, source, destination), 0, buf, 7, header + 40);
        assertEquals("src", table.lookupPacketSource(buf, 7, header + 40));
        assertEquals("dst", table.lookupPacketDestination(buf, 7, header + 40));
        assertEquals("src", table.lookupPacketSource(buf, 7, header), "a bare header is enough");
        assertEquals("dst", table.lookupPacketDestination(buf, 7, header), "a bare header is enough");
        assertNull(table.lookupPacketSource(buf, 7, header - 1), "shorter than the header");
        assertNull(table.lookupPacketDestination(buf, 7, header - 1), "shorter than the header");
    }

    @Test
    void packetsOfOtherVersionsOrEmptyMatchNothing() {
        insert("0.0.0.0/0", "v4");
        insert("::/0", "v6");
        byte[] packet = packet(60, "10.0.0.2", "10.0.0.3");
        assertEquals("v4", table.lookupPacketSource(packet, 0, 60));
        for (int version : new int[] {0, 1, 5, 7, 15}) {
            packet[0] = (byte) (version << 4 | 5);
            assertNull(table.lookupPacketSource(packet, 0, 60), "version " + version);
            assertNull(table.lookupPacketDestination(packet, 0, 60), "version " + version);
        }
        assertNull(table.lookupPacketSource(packet, 0, 0));
        assertNull(table.lookupPacketSource(new byte[0], 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> table.lookupPacketSource(packet, 50, 20));
    }

    @Test
    void prefixRecordMasksCopiesAndComparesByContent() {
        byte[] address = Ip.parse("10.1.2.3");
        Prefix p = new Prefix(address, 20);
        assertArrayEquals(Ip.parse("10.1.0.0"), p.address());
        address[0] = 99;
        assertArrayEquals(Ip.parse("10.1.0.0"), p.address(), "copied in");
        p.address()[0] = 99;
        assertArrayEquals(Ip.parse("10.1.0.0"), p.address(), "copied out");
        assertEquals(prefix("10.1.15.255/20"), p);
        assertEquals(prefix("10.1.0.0/20").hashCode(), p.hashCode());
        assertNotEquals(prefix("10.1.0.0/21"), p);
        assertNotEquals(prefix("::a01:0/20"), p, "the same bits in another family");
        assertEquals("10.1.0.0/20", p.toString());
        assertEquals("fd00::/64", prefix("fd00::1/64").toString());
        assertEquals("::/0", prefix("1234::/0").toString());
        assertEquals("2001:db8::1/128", prefix("2001:db8::1/128").toString());
        assertEquals("0.0.0.0/0", prefix("255.1.2.3/0").toString());
        assertEquals("10.0.0.1/32", prefix("10.0.0.1/32").toString());
        assertEquals("10.0.0.0/7", prefix("11.255.0.0/7").toString());
        assertThrows(IllegalArgumentException.class, () -> new Prefix(new byte[4], 33));
        assertThrows(IllegalArgumentException.class, () -> new Prefix(new byte[6], 8));
    }

    @Test
    void lookupDoesNotAllocate() {
        insertRoutingTable();
        byte[] v4 = Ip.parse("10.1.2.4");
        byte[] v6 = Ip.parse("fd00:1:2:3::2");
        byte[] packet = packet(40, "fd00:1:2:3::2", "2001:db8::1");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < 20_000; i++) sink += lookups(v4, v6, packet); // warm up and compile
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) sink += lookups(v4, v6, packet);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(400_000, sink - 80_000);
        assertTrue(allocated < 100_000, "400,000 lookups allocated " + allocated + " bytes");
    }

    private int lookups(byte[] v4, byte[] v6, byte[] packet) {
        int n = 0;
        if (table.lookup(v4, 0, 4) != null) n++;
        if (table.lookup(v6, 0, 16) != null) n++;
        if (table.lookupPacketSource(packet, 0, 40) != null) n++;
        if (table.lookupPacketDestination(packet, 0, 40) != null) n++;
        return n;
    }
}
