package dev.kindred.api.state;

import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.pipeline.PatientIndex;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.topology.index.VectorIndexStore;
import dev.kindred.topology.index.VectorIndexStoreType;
import dev.kindred.topology.KindredTopology;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The one place the HTTP server reads Kindred's state: a patient's {@link PatientState} from the partitioned
 * patient-state store, and the global index store. Everything goes through Kafka Streams interactive queries,
 * so a change of the state layout touches this class only.
 *
 * <p>A patient's state lives on the instance whose task holds the patient's partition. With
 * {@code application.server} set, Kafka Streams tells which instance that is ({@code queryMetadataForKey}); the
 * reader queries its own store when it is this instance, and otherwise asks that instance over HTTP
 * ({@code GET /internal/patients/{key}/state}, which answers from its local store only), then its standbys. The
 * index store is global: every instance holds all patients and searches locally. Without
 * {@code application.server} (one instance) every partition is local.
 */
public final class KindredStateReader {
    /** Path of the internal endpoint another instance calls to read a state this instance holds. */
    public static final String INTERNAL_STATE_PATH = "/internal/patients/{key}/state";
    public static final String STATE_MEDIA_TYPE = "application/vnd.kindred.patient-state+avro";

    private final KafkaStreams streams;
    private final HostInfo self;
    private final String internalToken;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param self this instance's {@code application.server}, or null when it is not set (one instance)
     * @param internalToken the shared secret sent to other instances, or null when auth is off
     */
    public KindredStateReader(KafkaStreams streams, HostInfo self, String internalToken, Duration timeout) {
        this.streams = streams;
        this.self = self;
        this.internalToken = internalToken;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Thrown when the state cannot be read now (rebalancing, the holding instance unreachable). */
    public static final class StateUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public StateUnavailableException(String message) {
            super(message);
        }
    }

    /** Where a state was read: this instance, or the instance it was forwarded to. */
    public record Located(PatientState state, String servedBy) {
    }

    /** The patient's current state, wherever it lives; empty when no instance knows the patient. */
    public Optional<Located> state(String key) {
        if (self == null) {
            return localAnyPartition(key).map(s -> new Located(s, "local"));
        }
        KeyQueryMetadata md = streams.queryMetadataForKey(KindredTopology.PATIENT_STATE_STORE, key,
                Serdes.String().serializer());
        if (md == null || md == KeyQueryMetadata.NOT_AVAILABLE || md.activeHost() == null
                || md.activeHost().port() < 0) {
            throw new StateUnavailableException("the patient's partition has no instance now (rebalancing?)");
        }
        List<HostInfo> hosts = new ArrayList<>();
        hosts.add(md.activeHost());
        hosts.addAll(md.standbyHosts());
        StateUnavailableException last = null;
        for (int i = 0; i < hosts.size(); i++) {
            HostInfo host = hosts.get(i);
            boolean standby = i > 0;
            try {
                if (host.equals(self)) {
                    return local(key, md.partition(), standby).map(s -> new Located(s, "local"));
                }
                return remote(host, key).map(s -> new Located(s, host.host() + ":" + host.port()));
            } catch (StateUnavailableException e) {
                last = e;
            }
        }
        throw last;
    }

    /**
     * This instance's state of the patient, for the internal endpoint: active or standby stores, any partition
     * this instance holds.
     */
    public Optional<PatientState> localState(String key) {
        return localAnyPartition(key);
    }

    private Optional<PatientState> localAnyPartition(String key) {
        try {
            ReadOnlyKeyValueStore<String, PatientState> store = streams.store(StoreQueryParameters
                    .fromNameAndType(KindredTopology.PATIENT_STATE_STORE, QueryableStoreTypes.<String, PatientState>keyValueStore())
                    .enableStaleStores());
            return Optional.ofNullable(store.get(key));
        } catch (InvalidStateStoreException e) {
            throw new StateUnavailableException("the patient-state store is not queryable now: " + e.getClass().getSimpleName());
        }
    }

    private Optional<PatientState> local(String key, int partition, boolean stale) {
        try {
            StoreQueryParameters<ReadOnlyKeyValueStore<String, PatientState>> params = StoreQueryParameters
                    .fromNameAndType(KindredTopology.PATIENT_STATE_STORE, QueryableStoreTypes.<String, PatientState>keyValueStore())
                    .withPartition(partition);
            if (stale) {
                params = params.enableStaleStores();
            }
            return Optional.ofNullable(streams.store(params).get(key));
        } catch (InvalidStateStoreException e) {
            throw new StateUnavailableException("the patient-state store is not queryable now: " + e.getClass().getSimpleName());
        }
    }

    private Optional<PatientState> remote(HostInfo host, String key) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port()
                + INTERNAL_STATE_PATH.replace("{key}", URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20")));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", STATE_MEDIA_TYPE).GET();
        if (internalToken != null) {
            request.header("Authorization", "Bearer " + internalToken);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new StateUnavailableException("instance " + host.host() + ":" + host.port() + " answered "
                        + response.statusCode());
            }
            return Optional.of(decode(response.body()));
        } catch (IOException e) {
            throw new StateUnavailableException("instance " + host.host() + ":" + host.port() + " unreachable: "
                    + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateUnavailableException("interrupted");
        }
    }

    /** A state as the internal endpoint sends it: Avro single-object encoding (schema fingerprint, then the datum). */
    public static byte[] encode(PatientState state) {
        try {
            ByteBuffer buffer = state.toByteBuffer();
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a patient state", e);
        }
    }

    public static PatientState decode(byte[] bytes) {
        try {
            return PatientState.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new StateUnavailableException("another instance sent a patient state this one cannot read"
                    + " (different Kindred versions?)");
        }
    }

    /** The global index store, through an interactive query; empty while it is not queryable. */
    public Optional<VectorIndexStore<List<TreatmentOutcome>>> indexStore() {
        try {
            return Optional.of(streams.store(StoreQueryParameters.fromNameAndType(KindredTopology.INDEX_STORE,
                    new VectorIndexStoreType<List<TreatmentOutcome>>())));
        } catch (InvalidStateStoreException e) {
            return Optional.empty();
        }
    }

    /** An indexed patient's vector in one space, as the index holds it. */
    public Optional<IndexedVector<List<TreatmentOutcome>>> indexed(String space, String key) {
        return indexStore().flatMap(s -> s.index(space)).flatMap(i -> i.get(key));
    }

    /** Index statistics by space; empty while the store is not queryable. */
    public Map<String, IndexStats> indexStats() {
        return indexStore().map(VectorIndexStore::stats).orElse(Map.of());
    }

    /** The global index store as the clinical logic's {@link PatientIndex}. */
    public PatientIndex patientIndex() {
        VectorIndexStore<List<TreatmentOutcome>> store = indexStore()
                .orElseThrow(() -> new StateUnavailableException("the index store is not queryable yet"));
        return new PatientIndex() {
            @Override
            public int size(String space) {
                return store.size(space);
            }

            @Override
            public List<Neighbour<List<TreatmentOutcome>>> search(String space, float[] query, int k,
                    Predicate<IndexedVector<List<TreatmentOutcome>>> filter) {
                return store.search(space, query, k, filter);
            }

            @Override
            public String version(String space) {
                return "size=" + store.size(space) + ":updates=" + store.updates();
            }
        };
    }

    public HostInfo self() {
        return self;
    }
}
