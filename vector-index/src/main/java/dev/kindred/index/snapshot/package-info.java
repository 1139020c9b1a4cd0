/**
 * The binary streams snapshots are written with (little-endian, buffered, closed by a CRC-32C of everything
 * before it) and the exception for a snapshot of another configuration. The index's own format is
 * {@code dev.kindred.index.hnsw.HnswSnapshotCodec}; a store adds its header around one or more indexes.
 */
package dev.kindred.index.snapshot;
