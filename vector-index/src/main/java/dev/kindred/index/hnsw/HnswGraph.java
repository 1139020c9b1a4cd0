package dev.kindred.index.hnsw;

import java.util.Arrays;

/**
 * The links of an HNSW graph (Malkov and Yashunin, 2016) over numbered nodes, in primitive arrays: each node's
 * level, its level-0 list in one flat {@code int[]} ({@code m0 + 1} ints per node: the count, then the ids), and
 * its upper-level lists in an {@code int[]} per node ({@code m + 1} ints per level). Nothing else: vectors,
 * tombstones and items live beside it, insertion is {@link HnswBuilder} and search {@link HnswSearcher}.
 *
 * <p>Written by one writer under the index's write lock; read under its read lock. The searcher reads the
 * arrays directly ({@link #links0()}, {@link #upper(int)}) because this is its innermost loop.
 */
final class HnswGraph {
    static final int MAX_LEVEL = 15;

    final int m;
    final int m0;
    private byte[] levels;
    private int[] links0;
    private int[][] upper;
    private int size;
    private int entry = -1;
    private int maxLevel = -1;

    HnswGraph(int m, int capacity) {
        this.m = m;
        this.m0 = 2 * m;
        capacity = Math.max(capacity, 16);
        levels = new byte[capacity];
        links0 = new int[capacity * (m0 + 1)];
        upper = new int[capacity][];
    }

    /** Nodes added, live or not. */
    int size() {
        return size;
    }

    int capacity() {
        return levels.length;
    }

    /** The top node, where every search starts; -1 when empty. */
    int entry() {
        return entry;
    }

    int maxLevel() {
        return maxLevel;
    }

    int level(int node) {
        return levels[node];
    }

    int maxConnections(int level) {
        return level == 0 ? m0 : m;
    }

    int[] links0() {
        return links0;
    }

    /** Offset of a node's list in {@link #links0()}. */
    int offset0(int node) {
        return node * (m0 + 1);
    }

    /** A node's upper-level lists (null for a level-0 node). */
    int[] upper(int node) {
        return upper[node];
    }

    /** Offset of a level's list (level >= 1) in {@link #upper(int)}. */
    int upperOffset(int level) {
        return (level - 1) * (m + 1);
    }

    /** Adds the node numbered {@link #size()} at {@code level}, with empty lists; it becomes the entry if highest. */
    int addNode(int level) {
        int node = size;
        if (node == capacity()) {
            grow(capacity() + (capacity() >> 1) + 16);
        }
        levels[node] = (byte) level;
        upper[node] = level == 0 ? null : new int[level * (m + 1)];
        size++;
        if (level > maxLevel) {
            entry = node;
            maxLevel = level;
        }
        return node;
    }

    /** Sets the entry point explicitly (when a graph is read back). */
    void setEntry(int node) {
        entry = node;
        maxLevel = node < 0 ? -1 : levels[node];
    }

    void grow(int capacity) {
        if (capacity <= capacity()) {
            return;
        }
        levels = Arrays.copyOf(levels, capacity);
        links0 = Arrays.copyOf(links0, capacity * (m0 + 1));
        upper = Arrays.copyOf(upper, capacity);
    }

    /** A copy of a node's list at a level: count, then ids, sized for the level's maximum. */
    int[] copyLinks(int node, int level) {
        int[] copy = new int[maxConnections(level) + 1];
        if (level == 0) {
            System.arraycopy(links0, offset0(node), copy, 0, links0[offset0(node)] + 1);
        } else {
            int off = upperOffset(level);
            System.arraycopy(upper[node], off, copy, 0, upper[node][off] + 1);
        }
        return copy;
    }

    /** Replaces a node's list at a level with {@code list} (count, then ids). */
    void setLinks(int node, int level, int[] list) {
        if (list[0] > maxConnections(level)) {
            throw new IllegalArgumentException("too many links: " + list[0]);
        }
        if (level == 0) {
            System.arraycopy(list, 0, links0, offset0(node), list[0] + 1);
        } else {
            System.arraycopy(list, 0, upper[node], upperOffset(level), list[0] + 1);
        }
    }

    /** Approximate heap bytes of the links. */
    long bytes() {
        long bytes = 16L * 4 + 16 + levels.length + 16 + 4L * links0.length + 16 + 8L * upper.length;
        for (int node = 0; node < size; node++) {
            if (upper[node] != null) {
                bytes += 16 + 4L * upper[node].length;
            }
        }
        return bytes;
    }
}
