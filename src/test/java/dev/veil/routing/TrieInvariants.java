package dev.veil.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helper: checks the shape of an {@link AllowedIps}'s tries. */
final class TrieInvariants {
    private TrieInvariants() {}

    /**
     * Asserts that both tries are well formed and compact, and that they hold {@code table.size()} entries: every
     * branch point has two children, every child extends its parent and sits on the side of its parent's next bit,
     * parent links agree, and no prefix has host bits set.
     */
    static <T> void check(AllowedIps<T> table) {
        int entries = 0;
        for (int len : new int[] {4, 16}) {
            PrefixTrie<T> trie = table.trie(len);
            assertEquals(8 * len, trie.bits);
            PrefixTrie.Node<T> root = trie.root();
            if (root != null) {
                assertNull(root.parent, "root has no parent");
                entries += check(trie, root);
            }
        }
        assertEquals(table.size(), entries, "entries in the tries");
    }

    private static <T> int check(PrefixTrie<T> trie, PrefixTrie.Node<T> node) {
        assertSame(trie, node.trie);
        assertTrue(node.cidr >= 0 && node.cidr <= trie.bits, "cidr " + node.cidr);
        assertEquals(0, node.hi & ~PrefixTrie.maskHi(node.cidr), "host bits in hi");
        assertEquals(0, node.lo & ~PrefixTrie.maskLo(node.cidr), "host bits in lo");
        if (node.value == null) {
            assertNotNull(node.child0, "a branch point has two children");
            assertNotNull(node.child1, "a branch point has two children");
        }
        int entries = node.value == null ? 0 : 1;
        for (int side = 0; side < 2; side++) {
            PrefixTrie.Node<T> child = side == 0 ? node.child0 : node.child1;
            if (child == null) continue;
            assertSame(node, child.parent, "parent link");
            assertTrue(child.cidr > node.cidr, "a child is longer");
            assertTrue(node.contains(child.hi, child.lo), "a child extends its parent");
            assertEquals(side, PrefixTrie.bitAt(child.hi, child.lo, node.cidr), "a child sits on its bit's side");
            entries += check(trie, child);
        }
        return entries;
    }
}
