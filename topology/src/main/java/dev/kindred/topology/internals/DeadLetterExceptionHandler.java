package dev.kindred.topology.internals;

import dev.kindred.avro.DeadLetter;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that fail outside the mapping step (an unexpected processing error, a record on an internal
 * topic that cannot be deserialized) to the dead-letter topic as a {@link DeadLetter} with the source
 * record's raw bytes, and lets processing go on. Under exactly-once the dead letter commits atomically with
 * the input offset, so nothing is lost and nothing is reported twice.
 * A near-limit original is cut to fit the producer's limit ({@link DeadLetters#originalBytesBudget}).
 *
 * <p>Logs carry coordinates and the exception's class only: messages and stack traces can quote patient data.
 */
public final class DeadLetterExceptionHandler implements ProcessingExceptionHandler, DeserializationExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);

    private String topic;
    private Serializer<DeadLetter> serializer;
    private int originalBytesBudget;

    @Override
    public void configure(Map<String, ?> configs) {
        KindredConfig config = new KindredConfig(configs);
        this.topic = config.deadLetterTopic();
        this.serializer = RegistryAvroSerde.specific(DeadLetter.class, configs, false).serializer();
        this.originalBytesBudget = DeadLetters.originalBytesBudget(configs);
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
            Exception exception) {
        return ProcessingExceptionHandler.Response.resume(deadLetter(context, exception));
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
            ConsumerRecord<byte[], byte[]> record, Exception exception) {
        return DeserializationExceptionHandler.Response.resume(deadLetter(context, exception));
    }

    private List<ProducerRecord<byte[], byte[]>> deadLetter(ErrorHandlerContext context, Exception exception) {
        LOG.error("dead-lettered {}-{}@{} after {} in {}", context.topic(), context.partition(), context.offset(),
                exception.getClass().getName(), context.processorNodeId());
        DeadLetter letter = DeadLetters.ofException(exception, context.topic(), context.partition(),
                context.offset(), context.sourceRawKey(), context.sourceRawValue(), Instant.now(), originalBytesBudget);
        return List.of(new ProducerRecord<>(topic, null, serializer.serialize(topic, letter)));
    }
}
