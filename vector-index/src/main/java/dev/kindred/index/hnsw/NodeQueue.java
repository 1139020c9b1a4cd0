package dev.kindred.index.hnsw;

import java.util.Arrays;

/**
 * A binary min-heap of graph nodes ordered by distance, without boxing: each entry is one {@code long}
 * holding the distance (as order-preserving int bits) in the high half and the node in the low half, so
 * comparing entries is comparing longs. A max-heap is the same heap over bitwise-complemented entries
 * ({@code ~x} reverses the order of signed longs). Ties break on the node id, which keeps searches
 * deterministic.
 */
final class NodeQueue {
    private final boolean max;
    private long[] heap;
    private int size;

    NodeQueue(int capacity, boolean max) {
        this.heap = new long[Math.max(capacity, 16)];
        this.max = max;
    }

    static long encode(int node, float distance) {
        int bits = Float.floatToRawIntBits(distance);
        bits ^= (bits >> 31) & 0x7fffffff;
        return ((long) bits << 32) | (node & 0xffffffffL);
    }

    static int node(long code) {
        return (int) code;
    }

    static float distance(long code) {
        int bits = (int) (code >> 32);
        bits ^= (bits >> 31) & 0x7fffffff;
        return Float.intBitsToFloat(bits);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    void push(int node, float distance) {
        long code = encode(node, distance);
        pushCode(max ? ~code : code);
    }

    /** The top entry (the nearest for a min-heap, the farthest for a max-heap), encoded. */
    long peek() {
        return max ? ~heap[0] : heap[0];
    }

    int topNode() {
        return node(peek());
    }

    float topDistance() {
        return distance(peek());
    }

    long pop() {
        long top = heap[0];
        size--;
        if (size > 0) {
            long last = heap[size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                long c = heap[child];
                int right = child + 1;
                if (right < size && heap[right] < c) {
                    child = right;
                    c = heap[right];
                }
                if (last <= c) {
                    break;
                }
                heap[i] = c;
                i = child;
            }
            heap[i] = last;
        }
        return max ? ~top : top;
    }

    private void pushCode(long code) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long p = heap[parent];
            if (p <= code) {
                break;
            }
            heap[i] = p;
            i = parent;
        }
        heap[i] = code;
    }
}
