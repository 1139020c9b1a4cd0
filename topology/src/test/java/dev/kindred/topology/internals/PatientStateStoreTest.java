package dev.kindred.topology.internals;

import static dev.kindred.clinical.testing.Facts.measurement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientStatePart;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.fhir.testing.FhirJson;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Patients kept as objects, written beneath once per flush and only in the parts that changed. */
@Timeout(30)
class PatientStateStoreTest {
    private final PatientStateUpdater updater = new PatientStateUpdater(FhirJson.testCatalog(), OutcomeRules.builtIn(),
            PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS);
    private Recording beneath;
    private PatientStateStore store;

    @BeforeEach
    void open() {
        beneath = new Recording(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("parts"), Serdes.String(),
                new PatientStateProcessorTest.PartSerde()).withLoggingDisabled().withCachingDisabled().build());
        store = new PatientStateStore(beneath, 2);
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    private PatientState apply(PatientState state, String feature, double value, String day) {
        return updater.apply(state, measurement("p", feature, value, day, feature + day)).state();
    }

    @Test
    void anEventRewritesThePatientAndTheOneHistoryItChanged() {
        PatientState s = apply(null, "glucose", 90, "2021-01-01");
        s = apply(s, "heart_rate", 70, "2021-01-02");
        store.put("p", s);
        store.put("p", apply(s, "glucose", 95, "2021-01-03"));
        assertThat(beneath.puts).as("nothing before the flush").isEmpty();

        store.flushCache();
        assertThat(beneath.puts).containsExactlyInAnyOrder("p", "p\u0000glucose", "p\u0000heart_rate");

        beneath.puts.clear();
        PatientState next = apply(store.get("p"), "heart_rate", 72, "2021-01-04");
        store.put("p", next);
        store.flushCache();
        assertThat(beneath.puts).containsExactlyInAnyOrder("p", "p\u0000heart_rate");
    }

    @Test
    void aPatientReadBackFromItsPartsEqualsTheOneWritten() {
        PatientState s = apply(apply(null, "glucose", 90, "2021-01-01"), "heart_rate", 70, "2021-01-02");
        store.put("p", s);
        store.flushCache();
        store.clearCache();
        assertThat(store.get("p")).isEqualTo(s);
        assertThat(store.get("absent")).isNull();
    }

    @Test
    void evictionWritesAChangedPatientAndDeletesRemoveEveryPart() {
        PatientState s = apply(null, "glucose", 90, "2021-01-01");
        store.put("p", s);
        store.get("q");
        store.get("r");
        assertThat(beneath.get("p")).as("evicted, so written").isNotNull();
        assertThat(store.get("p")).isEqualTo(s);

        store.delete("p");
        store.flushCache();
        assertThat(beneath.get("p")).isNull();
        assertThat(beneath.get("p\u0000glucose")).isNull();
        assertThatThrownBy(() -> store.all()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aReadFromAnotherThreadNeitherFillsTheCacheNorWritesBeneath() throws Exception {
        PatientState p = apply(null, "glucose", 90, "2021-01-01");
        store.put("p", p);
        PatientState q = apply(null, "glucose", 91, "2021-01-01");
        store.put("q", q);
        store.flushCache();
        store.clearCache();
        store.get("p");
        store.put("r", apply(null, "glucose", 92, "2021-01-01"));
        beneath.puts.clear();

        PatientState[] seen = new PatientState[1];
        Thread query = new Thread(() -> seen[0] = store.get("q"));
        query.start();
        query.join();

        assertThat(seen[0]).isEqualTo(q);
        assertThat(store.heldCount()).as("the query's read was not held").isEqualTo(2);
        assertThat(beneath.puts).as("no eviction, so no write, from the query thread").isEmpty();
    }

    /** The store beneath, recording the keys put. */
    static final class Recording extends WrappedStateStore<KeyValueStore<String, PatientStatePart>, String, PatientStatePart>
            implements KeyValueStore<String, PatientStatePart> {
        final List<String> puts = new ArrayList<>();

        Recording(KeyValueStore<String, PatientStatePart> inner) {
            super(inner);
        }

        @Override
        public void put(String key, PatientStatePart value) {
            puts.add(key);
            wrapped().put(key, value);
        }

        @Override
        public PatientStatePart putIfAbsent(String key, PatientStatePart value) {
            return wrapped().putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<String, PatientStatePart>> entries) {
            entries.forEach(e -> put(e.key, e.value));
        }

        @Override
        public PatientStatePart delete(String key) {
            return wrapped().delete(key);
        }

        @Override
        public PatientStatePart get(String key) {
            return wrapped().get(key);
        }

        @Override
        public KeyValueIterator<String, PatientStatePart> range(String from, String to) {
            return wrapped().range(from, to);
        }

        @Override
        public KeyValueIterator<String, PatientStatePart> all() {
            return wrapped().all();
        }

        @Override
        public <PS extends org.apache.kafka.common.serialization.Serializer<P>, P>
                KeyValueIterator<String, PatientStatePart> prefixScan(P prefix, PS serializer) {
            return wrapped().prefixScan(prefix, serializer);
        }

        @Override
        public long approximateNumEntries() {
            return wrapped().approximateNumEntries();
        }
    }
}
