package dev.kindred.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Changed values reach the store beneath once per flush, evicted ones at once, discarded ones never. */
@Timeout(30)
class ObjectCachingKeyValueStoreTest {
    private KeyValueStore<String, String> beneath;
    private ObjectCachingKeyValueStore<String, String> store;

    @BeforeEach
    void open() {
        beneath = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("beneath"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().withCachingDisabled().build();
        store = new ObjectCachingKeyValueStore<>(beneath, 2);
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    @Test
    void updatesReachTheStoreBeneathOnFlushTheLatestOnly() {
        store.put("a", "1");
        store.put("a", "2");
        assertThat(store.get("a")).isEqualTo("2");
        assertThat(beneath.get("a")).as("not before the flush").isNull();

        store.flushCache();
        assertThat(beneath.get("a")).isEqualTo("2");
        assertThat(store.dirtyCount()).isZero();
    }

    @Test
    void theLeastRecentlyUsedChangedValueIsWrittenWhenEvicted() {
        store.put("a", "1");
        store.put("b", "1");
        store.get("a");
        store.put("c", "1");
        assertThat(store.size()).isEqualTo(2);
        assertThat(beneath.get("b")).as("evicted, so written").isEqualTo("1");
        assertThat(beneath.get("a")).as("still held").isNull();
        assertThat(store.get("b")).as("read back from beneath").isEqualTo("1");
    }

    @Test
    void deletesAreWrittenAndDiscardedChangesAreNot() {
        beneath.put("gone", "x");
        store.delete("gone");
        assertThat(store.get("gone")).isNull();
        store.put("kept", "1");
        store.flushCache();
        assertThat(beneath.get("gone")).isNull();

        store.put("kept", "2");
        store.clearCache();
        assertThat(store.get("kept")).as("the uncommitted change is dropped").isEqualTo("1");
    }
}
