package dev.kindred.topology.internals;

import dev.kindred.avro.DeadLetter;
import dev.kindred.fhir.Rejection;
import dev.kindred.fhir.RejectionReason;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/** Builds {@link DeadLetter} records: the original bytes, where they came from and why they failed. */
public final class DeadLetters {
    /** Original bytes kept in a dead letter at most, whatever the producer allows. */
    static final int MAX_ORIGINAL_BYTES = 512 * 1024;
    /** Room left in a record for the letter's other fields (reason, coordinates, key) and Kafka's overhead. */
    static final int HEADROOM_BYTES = 64 * 1024;
    private static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

    private DeadLetters() {
    }

    /**
     * How many bytes of the original record a dead letter keeps under the app's producer limit
     * ({@code producer.max.request.size} or {@code max.request.size}, Kafka's default 1 MiB otherwise). Under
     * exactly-once a record Kafka refuses as too large aborts the whole transaction (it cannot be skipped), and
     * the task would fail on the same input again: a dead letter must fit, so a near-limit original is cut.
     */
    public static int originalBytesBudget(Map<?, ?> settings) {
        Object limit = settings.get("producer." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (limit == null) {
            limit = settings.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        }
        int maxRequest = limit == null ? DEFAULT_MAX_REQUEST_BYTES : Integer.parseInt(limit.toString().trim());
        return Math.max(1024, Math.min(MAX_ORIGINAL_BYTES, maxRequest - HEADROOM_BYTES));
    }

    public static DeadLetter of(Rejection rejection, String topic, int partition, long offset, byte[] key,
            byte[] value, Instant now, int originalBytesBudget) {
        return base(rejection.reason().code(), rejection.getMessage(), topic, partition, offset, key, value, now,
                originalBytesBudget)
                .setResourceType(rejection.resourceType())
                .setResourceId(rejection.resourceId())
                .build();
    }

    /** For failures outside the mapping (processing and deserialization errors caught by the handlers). */
    public static DeadLetter ofException(Exception e, String topic, int partition, long offset, byte[] key,
            byte[] value, Instant now, int originalBytesBudget) {
        if (e instanceof Rejection) {
            return of((Rejection) e, topic, partition, offset, key, value, now, originalBytesBudget);
        }
        // The class name only: exception messages can quote the record (names, values), and dead letters are
        // read by people who may not see patient data.
        return base(RejectionReason.INTERNAL_ERROR.code(), e.getClass().getName(), topic, partition, offset, key,
                value, now, originalBytesBudget).build();
    }

    private static DeadLetter.Builder base(String code, String reason, String topic, int partition, long offset,
            byte[] key, byte[] value, Instant now, int keep) {
        String why = reason == null ? code : reason;
        if (value != null && value.length > keep) {
            why += " (original value cut to its first " + keep + " of " + value.length + " bytes)";
            value = Arrays.copyOf(value, keep);
        }
        if (key != null && key.length > 1024) {
            key = Arrays.copyOf(key, 1024); // keys are never trusted for identity: their start is enough
        }
        return DeadLetter.newBuilder()
                .setReasonCode(code)
                .setReason(why)
                .setSourceTopic(topic == null ? "unknown" : topic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setFailedAt(now);
    }
}
