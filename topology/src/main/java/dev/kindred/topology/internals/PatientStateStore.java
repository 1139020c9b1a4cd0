package dev.kindred.topology.internals;

import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientStatePart;
import dev.kindred.clinical.patient.PatientStates;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * How patient states are kept: as objects for the patients in use, and beneath (RocksDB and the changelog) in
 * parts, so that an event rewrites what it changed and not the patient's whole record.
 *
 * <p>Two costs of the stream's hot path meet here. Decoding and encoding a whole patient per event took about
 * 30% of a stream thread: recently used states stay decoded, and the changed ones are written beneath once per
 * commit (when Kafka Streams flushes the stores' caches before it commits, and on commit and close in case it
 * does not), so an unclean stop under exactly-once loses only what its aborted transaction loses too. And a
 * patient's histories (up to 32 values per feature, for trends and outcome windows) are most of its bytes while
 * one event changes one feature: beneath, the state without histories sits under the patient key and each
 * feature's history under the key + NUL + feature id. A history is rewritten when its object changed (states
 * are copied on write, so an unchanged history is the same object) and deleted when the feature went.
 *
 * <p>The stream thread writes; interactive queries may read ({@link #get}) concurrently, hence the
 * synchronization, and their reads never enter the cache (an eviction writes beneath, which only the stream
 * thread may do). Range queries are not supported: nothing needs them, and the parts are not patients.
 */
public final class PatientStateStore extends WrappedStateStore<KeyValueStore<String, PatientStatePart>, String, PatientState>
        implements KeyValueStore<String, PatientState> {
    static final char SEPARATOR = '\u0000';
    private static final Serializer<String> KEYS = new StringSerializer();

    /** A patient in use: its state now, and what the store beneath holds (null: nothing). */
    private static final class Held {
        PatientState current;
        PatientState written;

        Held(PatientState current, PatientState written) {
            this.current = current;
            this.written = written;
        }
    }

    private final int capacity;
    /** Least recently used first. */
    private final LinkedHashMap<String, Held> held;
    private final Set<String> dirty = new LinkedHashSet<>();
    /** The stream thread that writes (the last one that did); other threads' reads do not fill the cache. */
    private Thread writer;

    public PatientStateStore(KeyValueStore<String, PatientStatePart> parts, int capacity) {
        super(parts);
        if (capacity < 1) {
            throw new IllegalArgumentException("patient state cache capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.held = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true);
    }

    @Override
    public synchronized PatientState get(String key) {
        Held h = held.get(key);
        if (h != null) {
            return h.current;
        }
        if (Thread.currentThread() != writer) {
            // an interactive query: read beneath, but never hold (an eviction would write from a foreign thread)
            return read(key);
        }
        return hold(key).current;
    }

    @Override
    public synchronized void put(String key, PatientState value) {
        writer = Thread.currentThread();
        hold(key).current = value;
        dirty.add(key);
    }

    @Override
    public synchronized PatientState putIfAbsent(String key, PatientState value) {
        PatientState current = get(key);
        if (current == null) {
            put(key, value);
        }
        return current;
    }

    @Override
    public synchronized void putAll(List<KeyValue<String, PatientState>> entries) {
        for (KeyValue<String, PatientState> e : entries) {
            put(e.key, e.value);
        }
    }

    @Override
    public synchronized PatientState delete(String key) {
        PatientState old = get(key);
        put(key, null);
        return old;
    }

    @Override
    public KeyValueIterator<String, PatientState> range(String from, String to) {
        throw unsupported();
    }

    @Override
    public KeyValueIterator<String, PatientState> all() {
        throw unsupported();
    }

    @Override
    public KeyValueIterator<String, PatientState> reverseRange(String from, String to) {
        throw unsupported();
    }

    @Override
    public KeyValueIterator<String, PatientState> reverseAll() {
        throw unsupported();
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<String, PatientState> prefixScan(P prefix,
            PS prefixKeySerializer) {
        throw unsupported();
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("the patient-state store is read by patient key only");
    }

    @Override
    public synchronized long approximateNumEntries() {
        return wrapped().approximateNumEntries();
    }

    @Override
    public synchronized void flushCache() {
        writeDirty();
        super.flushCache();
    }

    @Override
    public synchronized void clearCache() {
        held.clear();
        dirty.clear();
        super.clearCache();
    }

    @Override
    public synchronized void commit(Map<TopicPartition, Long> changelogOffsets) {
        writeDirty();
        super.commit(changelogOffsets);
    }

    @Override
    public synchronized void close() {
        writeDirty();
        super.close();
    }

    synchronized int heldCount() {
        return held.size();
    }

    synchronized int dirtyCount() {
        return dirty.size();
    }

    private Held hold(String key) {
        Held h = held.get(key);
        if (h == null) {
            PatientState stored = read(key);
            h = new Held(stored, stored);
            held.put(key, h);
            if (held.size() > capacity) {
                evictOldest();
            }
        }
        return h;
    }

    /** Evicts the least recently used patients, writing a changed one beneath first. */
    private void evictOldest() {
        var it = held.entrySet().iterator();
        while (held.size() > capacity && it.hasNext()) {
            Map.Entry<String, Held> eldest = it.next();
            if (dirty.remove(eldest.getKey())) {
                write(eldest.getKey(), eldest.getValue());
            }
            it.remove();
        }
    }

    private void writeDirty() {
        if (dirty.isEmpty()) {
            return;
        }
        List<String> keys = new ArrayList<>(dirty);
        dirty.clear();
        for (String key : keys) {
            Held h = held.get(key);
            if (h != null) {
                write(key, h);
            }
        }
    }

    /** Writes what changed between what the store beneath holds and the current state. */
    private void write(String key, Held h) {
        PatientState old = h.written;
        PatientState now = h.current;
        Map<String, FeatureHistory> oldHistories = old == null ? Map.of() : old.getHistory();
        if (now == null) {
            if (old != null) {
                wrapped().delete(key);
                for (String feature : oldHistories.keySet()) {
                    wrapped().delete(historyKey(key, feature));
                }
            }
            h.written = null;
            return;
        }
        PatientState withoutHistories = PatientStates.copy(now);
        withoutHistories.setHistory(Map.of());
        wrapped().put(key, PatientStatePart.newBuilder().setPatient(withoutHistories).build());
        for (Map.Entry<String, FeatureHistory> e : now.getHistory().entrySet()) {
            if (oldHistories.get(e.getKey()) != e.getValue()) {
                wrapped().put(historyKey(key, e.getKey()), PatientStatePart.newBuilder().setHistory(e.getValue()).build());
            }
        }
        for (String feature : oldHistories.keySet()) {
            if (!now.getHistory().containsKey(feature)) {
                wrapped().delete(historyKey(key, feature));
            }
        }
        h.written = now;
    }

    /** A patient assembled from its parts beneath, or null. */
    private PatientState read(String key) {
        PatientStatePart main = wrapped().get(key);
        if (main == null || main.getPatient() == null) {
            return null;
        }
        Map<String, FeatureHistory> histories = new HashMap<>();
        String prefix = key + SEPARATOR;
        try (KeyValueIterator<String, PatientStatePart> parts = wrapped().prefixScan(prefix, KEYS)) {
            while (parts.hasNext()) {
                KeyValue<String, PatientStatePart> part = parts.next();
                if (part.value != null && part.value.getHistory() != null) {
                    histories.put(part.key.substring(prefix.length()), part.value.getHistory());
                }
            }
        }
        PatientState state = PatientStates.copy(main.getPatient());
        state.setHistory(histories);
        return state;
    }

    static String historyKey(String patientKey, String featureId) {
        return patientKey + SEPARATOR + featureId;
    }
}
