package dev.kindred.api.feedback;

import dev.kindred.api.alerts.AlertView;
import dev.kindred.avro.Feedback;
import dev.kindred.avro.FeedbackOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Records what clinicians did with cards on {@code cds.feedback} (Avro, the registry serde), with an idempotent
 * producer ({@code acks=all}). The record's key is a feedback id derived from its content, so the same feedback
 * sent twice is one record once the compacted topic is cleaned, and the {@link AlertView}, which counts feedback per
 * card from the topic, counts it once. A feedback this instance has seen already is not produced again.
 */
public final class FeedbackRecorder implements AutoCloseable {
    private final Producer<String, Feedback> producer;
    private final String topic;
    private final AlertView view;

    public FeedbackRecorder(Map<String, Object> clientSettings, String topic, Serializer<Feedback> values,
            AlertView view) {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kindred-api-feedback");
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), values);
        this.topic = topic;
        this.view = view;
    }

    public Producer<String, Feedback> producer() {
        return producer;
    }

    /** The id of a feedback: the same content gives the same id. */
    public static String feedbackId(String service, String card, FeedbackOutcome outcome, List<String> accepted,
            String reasonSystem, String reasonCode, String comment, Instant outcomeTimestamp) {
        String name = String.join("|", service, card, outcome.name(), String.join(",", accepted.stream().sorted().toList()),
                String.valueOf(reasonSystem), String.valueOf(reasonCode), String.valueOf(comment),
                String.valueOf(outcomeTimestamp.toEpochMilli()));
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * Records one feedback, durably (waits for the broker's acknowledgement).
     *
     * @return false when this instance had recorded the same feedback already (nothing produced)
     */
    public boolean record(Feedback feedback) {
        if (view.seen(feedback.getFeedbackId(), feedback.getCard())) {
            return false;
        }
        try {
            producer.send(new ProducerRecord<>(topic, feedback.getFeedbackId(), feedback)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("feedback could not be recorded: " + e.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording feedback", e);
        }
        return view.record(feedback);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
