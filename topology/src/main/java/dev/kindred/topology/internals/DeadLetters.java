package dev.kindred.topology.internals;

import dev.kindred.avro.DeadLetter;
import dev.kindred.fhir.Rejection;
import dev.kindred.fhir.RejectionReason;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Builds {@link DeadLetter} records: the original bytes, where they came from and why they failed. */
public final class DeadLetters {
    private DeadLetters() {
    }

    public static DeadLetter of(Rejection rejection, String topic, int partition, long offset, byte[] key,
            byte[] value, Instant now) {
        return base(rejection.reason().code(), rejection.getMessage(), topic, partition, offset, key, value, now)
                .setResourceType(rejection.resourceType())
                .setResourceId(rejection.resourceId())
                .build();
    }

    /** For failures outside the mapping (processing and deserialization errors caught by the handlers). */
    public static DeadLetter ofException(Exception e, String topic, int partition, long offset, byte[] key,
            byte[] value, Instant now) {
        if (e instanceof Rejection) {
            return of((Rejection) e, topic, partition, offset, key, value, now);
        }
        String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return base(RejectionReason.INTERNAL_ERROR.code(), message, topic, partition, offset, key, value, now).build();
    }

    private static DeadLetter.Builder base(String code, String reason, String topic, int partition, long offset,
            byte[] key, byte[] value, Instant now) {
        return DeadLetter.newBuilder()
                .setReasonCode(code)
                .setReason(reason == null ? code : reason)
                .setSourceTopic(topic == null ? "unknown" : topic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setFailedAt(now);
    }
}
