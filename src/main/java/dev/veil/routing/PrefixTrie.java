package dev.veil.routing;

/**
 * One address family's path-compressed binary trie of prefixes, the structure of the kernel's and wireguard-go's
 * allowedips. An address is held as two longs, {@code hi} and {@code lo}, most significant bit first; an IPv4
 * address fills the top 32 bits of {@code hi} and leaves the rest zero, so one code path serves both families.
 *
 * <p>Every node holds a prefix with its host bits cleared. A node with a value is an entry; a node without one is a
 * branch point and always has two children. A child's prefix extends its parent's, and the parent's first bit past its
 * own length chooses the child. Owns its nodes. Not thread-safe: {@link AllowedIps} serialises calls.
 */
final class PrefixTrie<T> {
    /** One prefix of the trie. */
    static final class Node<T> {
        final PrefixTrie<T> trie;
        final long hi;
        final long lo;
        final int cidr;
        private final long maskHi;
        private final long maskLo;
        /** The value of this prefix, or null for a branch point. */
        T value;
        Node<T> parent;
        Node<T> child0;
        Node<T> child1;

        Node(PrefixTrie<T> trie, long hi, long lo, int cidr) {
            this.trie = trie;
            this.cidr = cidr;
            this.maskHi = maskHi(cidr);
            this.maskLo = maskLo(cidr);
            this.hi = hi & maskHi;
            this.lo = lo & maskLo;
        }

        /** Whether this prefix contains the address. */
        boolean contains(long addrHi, long addrLo) {
            return ((addrHi ^ hi) & maskHi) == 0 && ((addrLo ^ lo) & maskLo) == 0;
        }

        Node<T> childToward(long addrHi, long addrLo) {
            return bitAt(addrHi, addrLo, cidr) == 0 ? child0 : child1;
        }

        /** Makes {@code child} (whose prefix extends this one) the child on its side. */
        void adopt(Node<T> child) {
            if (bitAt(child.hi, child.lo, cidr) == 0) child0 = child;
            else child1 = child;
            child.parent = this;
        }

        /** The address of this prefix as {@code bits / 8} bytes. */
        byte[] address() {
            byte[] out = new byte[trie.bits / 8];
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (i < 8 ? hi >>> (56 - 8 * i) : lo >>> (120 - 8 * i));
            }
            return out;
        }
    }

    /** Address length in bits: 32 or 128. */
    final int bits;
    private Node<T> root;

    PrefixTrie(int bits) {
        this.bits = bits;
    }

    /** The top node, or null when empty (for invariant checks in tests). */
    Node<T> root() {
        return root;
    }

    /** The value of the longest prefix containing the address, or null. Allocates nothing. */
    T lookup(long hi, long lo) {
        T found = null;
        Node<T> node = root;
        while (node != null && node.contains(hi, lo)) {
            if (node.value != null) found = node.value;
            if (node.cidr == bits) break;
            node = node.childToward(hi, lo);
        }
        return found;
    }

    /** The node of exactly this prefix (an entry or a branch point), or null. */
    Node<T> find(long hi, long lo, int cidr) {
        Node<T> node = root;
        while (node != null && node.cidr <= cidr && node.contains(hi, lo)) {
            if (node.cidr == cidr) return node;
            node = node.childToward(hi, lo);
        }
        return null;
    }

    /** The node of exactly this prefix, made when missing; the caller sets its value. */
    Node<T> insert(long hi, long lo, int cidr) {
        Node<T> added = new Node<>(this, hi, lo, cidr);
        Node<T> parent = null;
        Node<T> node = root;
        while (node != null && node.cidr <= cidr && node.contains(added.hi, added.lo)) {
            if (node.cidr == cidr) return node;
            parent = node;
            node = node.childToward(added.hi, added.lo);
        }
        if (node == null) {
            attach(parent, added);
            return added;
        }
        // node is not an ancestor of the new prefix: either the new prefix contains it, or they part at some bit.
        int common = Math.min(cidr, commonPrefix(added.hi, added.lo, node.hi, node.lo));
        if (common == cidr) {
            added.adopt(node);
            attach(parent, added);
        } else {
            Node<T> branch = new Node<>(this, added.hi, added.lo, common);
            branch.adopt(node);
            branch.adopt(added);
            attach(parent, branch);
        }
        return added;
    }

    /** Removes an entry's value, and its node and any branch point it leaves with a single child. */
    void remove(Node<T> node) {
        node.value = null;
        if (node.child0 != null && node.child1 != null) return; // still a branch point
        Node<T> only = node.child0 != null ? node.child0 : node.child1;
        Node<T> parent = node.parent;
        replace(parent, node, only);
        if (only == null && parent != null && parent.value == null) {
            replace(parent.parent, parent, parent.child0 != null ? parent.child0 : parent.child1);
        }
    }

    private void attach(Node<T> parent, Node<T> child) {
        if (parent == null) {
            root = child;
            child.parent = null;
        } else {
            parent.adopt(child);
        }
    }

    private void replace(Node<T> parent, Node<T> old, Node<T> replacement) {
        if (parent == null) root = replacement;
        else if (parent.child0 == old) parent.child0 = replacement;
        else parent.child1 = replacement;
        if (replacement != null) replacement.parent = parent;
        old.parent = null;
        old.child0 = null;
        old.child1 = null;
    }

    /** Bit {@code i} (0 is the most significant) of a 128-bit address. */
    static int bitAt(long hi, long lo, int i) {
        return (int) (i < 64 ? hi >>> (63 - i) : lo >>> (127 - i)) & 1;
    }

    /** How many leading bits two 128-bit addresses share (128 when equal). */
    static int commonPrefix(long hi1, long lo1, long hi2, long lo2) {
        long x = hi1 ^ hi2;
        return x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(lo1 ^ lo2);
    }

    static long maskHi(int cidr) {
        return cidr == 0 ? 0 : -1L << (64 - Math.min(cidr, 64));
    }

    static long maskLo(int cidr) {
        return cidr <= 64 ? 0 : -1L << (128 - cidr);
    }
}
