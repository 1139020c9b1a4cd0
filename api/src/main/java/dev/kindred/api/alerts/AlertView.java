package dev.kindred.api.alerts;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.Feedback;
import dev.kindred.avro.FeedbackOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's in-memory view of recent alerts and of card feedback, fed by its own consumer of
 * {@code cds.alerts} and {@code cds.feedback} ({@code read_committed}, partitions assigned, no consumer group,
 * nothing committed): every instance sees every alert, so any instance answers the alert list, a patient's latest
 * alerts and the live stream.
 *
 * <p>Bounded: the last {@code buffer} alerts (the list and the live stream), the latest {@code perPatient} alerts
 * of the {@code patients} most recently alerted patients. At start it reads the last {@code buffer} alerts of each
 * partition and the whole (compacted) feedback topic. Older alerts stay on the topic, not here.
 *
 * <p>Positions: each alert carries the position of the view after it, one offset per partition
 * ({@code "0:152,1:88,2:301"}). The position is the same on every instance, so a live stream resumed with
 * {@code Last-Event-ID} on another instance continues where it stopped.
 */
public final class AlertView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertView.class);

    /** One alert as the view holds it. */
    public record Entry(ClinicalAlert alert, int partition, long offset, String position, Instant receivedAt) {
    }

    /** Feedback received for one card. */
    public record CardFeedback(int accepted, int overridden) {
    }

    private final String alertsTopic;
    private final String feedbackTopic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<ClinicalAlert> alerts;
    private final Deserializer<Feedback> feedback;
    private final int buffer;
    private final int perPatient;
    private final int patients;

    private final Deque<Entry> recent = new ArrayDeque<>();
    private final LinkedHashMap<String, Deque<Entry>> byPatient;
    private final LinkedHashMap<String, Counts> feedbackByCard;
    private final Map<Integer, Long> positions = new TreeMap<>();
    /** Per partition, the offset below which alerts are no longer held (0: everything since the beginning). */
    private final Map<Integer, Long> floor = new HashMap<>();
    private final List<Consumer<Entry>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile Map<TopicPartition, Long> startEnds;
    private volatile boolean caughtUp;
    private volatile long alertsSeen;
    private volatile String failure;

    private static final class Counts {
        final Set<String> ids = new HashSet<>();
        int accepted;
        int overridden;
    }

    /**
     * @param clientSettings consumer settings (bootstrap.servers, security); group and offsets are the view's own
     */
    public AlertView(Map<String, Object> clientSettings, String alertsTopic, String feedbackTopic,
            Deserializer<ClinicalAlert> alerts, Deserializer<Feedback> feedback, int buffer, int perPatient,
            int patients) {
        this.alertsTopic = alertsTopic;
        this.feedbackTopic = feedbackTopic;
        this.alerts = alerts;
        this.feedback = feedback;
        this.buffer = buffer;
        this.perPatient = perPatient;
        this.patients = patients;
        this.byPatient = new LinkedHashMap<>(1024, 0.75f, true);
        this.feedbackByCard = new LinkedHashMap<>(1024, 0.75f, true);
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "kindred-api-alert-view");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "kindred-api-alert-view");
        this.thread.setDaemon(true);
    }

    /** The view's consumer, for its client metrics. */
    public KafkaConsumer<String, byte[]> consumer() {
        return consumer;
    }

    public AlertView start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            List<TopicPartition> alertPartitions = partitions(alertsTopic);
            List<TopicPartition> feedbackPartitions = partitions(feedbackTopic);
            List<TopicPartition> all = new ArrayList<>(alertPartitions);
            all.addAll(feedbackPartitions);
            consumer.assign(all);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(all);
            Map<TopicPartition, Long> end = consumer.endOffsets(all);
            for (TopicPartition tp : alertPartitions) {
                long from = Math.max(begin.get(tp), end.get(tp) - buffer);
                consumer.seek(tp, from);
                synchronized (this) {
                    positions.put(tp.partition(), from);
                    floor.put(tp.partition(), from > begin.get(tp) ? from : 0L);
                }
            }
            consumer.seekToBeginning(feedbackPartitions);
            startEnds = end;
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.topic().equals(alertsTopic)) {
                        onAlert(record);
                    } else {
                        onFeedback(record);
                    }
                }
                if (!caughtUp) {
                    caughtUp = startEnds.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                failure = "woken up unexpectedly";
            }
        } catch (RuntimeException e) {
            failure = e.getClass().getSimpleName();
            LOG.error("the alert view stopped reading {}: {}", alertsTopic, dev.kindred.topology.internals.Scrubbed.describe(e));
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private List<TopicPartition> partitions(String topic) throws WakeupException {
        while (running.get()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            LOG.info("waiting for topic {} to exist", topic);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
        throw new WakeupException();
    }

    private void onAlert(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        ClinicalAlert alert;
        try {
            alert = alerts.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.warn("alert view: cannot decode {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    e.getClass().getSimpleName());
            synchronized (this) {
                positions.put(record.partition(), record.offset() + 1);
            }
            return;
        }
        Entry entry;
        synchronized (this) {
            positions.put(record.partition(), record.offset() + 1);
            entry = new Entry(alert, record.partition(), record.offset(), position(positions), Instant.now());
            recent.addLast(entry);
            while (recent.size() > buffer) {
                Entry gone = recent.removeFirst();
                floor.merge(gone.partition(), gone.offset() + 1, Math::max);
            }
            Deque<Entry> own = byPatient.computeIfAbsent(alert.getPatientKey(), k -> new ArrayDeque<>());
            own.addLast(entry);
            while (own.size() > perPatient) {
                own.removeFirst();
            }
            if (byPatient.size() > patients) {
                Iterator<String> eldest = byPatient.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            alertsSeen++;
            for (Consumer<Entry> l : listeners) {
                l.accept(entry);
            }
        }
    }

    private void onFeedback(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        try {
            record(feedback.deserialize(record.topic(), record.headers(), record.value()));
        } catch (RuntimeException e) {
            LOG.warn("alert view: cannot decode {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    e.getClass().getSimpleName());
        }
    }

    /**
     * Counts one feedback for its card, once per feedback id; returns false when it was counted already. The
     * feedback endpoint calls it as it produces (so a second call is answered at once), the consumer as it reads.
     */
    public synchronized boolean record(Feedback f) {
        Counts c = feedbackByCard.computeIfAbsent(f.getCard(), k -> new Counts());
        if (feedbackByCard.size() > patients) {
            Iterator<String> eldest = feedbackByCard.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
        if (!c.ids.add(f.getFeedbackId())) {
            return false;
        }
        if (f.getOutcome() == FeedbackOutcome.accepted) {
            c.accepted++;
        } else {
            c.overridden++;
        }
        return true;
    }

    public synchronized boolean seen(String feedbackId, String card) {
        Counts c = feedbackByCard.get(card);
        return c != null && c.ids.contains(feedbackId);
    }

    public synchronized CardFeedback feedback(String card) {
        Counts c = feedbackByCard.get(card);
        return c == null ? new CardFeedback(0, 0) : new CardFeedback(c.accepted, c.overridden);
    }

    static String position(Map<Integer, Long> positions) {
        StringBuilder sb = new StringBuilder();
        positions.forEach((p, o) -> {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(p).append(':').append(o);
        });
        return sb.toString();
    }

    /** Parses a position ({@code "0:152,1:88"}); partitions it does not name start at 0. Null or bad: empty. */
    public static Map<Integer, Long> parsePosition(String text) {
        Map<Integer, Long> out = new HashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        try {
            for (String part : text.split(",")) {
                String[] po = part.strip().split(":");
                out.put(Integer.parseInt(po[0]), Long.parseLong(po[1]));
            }
        } catch (RuntimeException e) {
            return new HashMap<>();
        }
        return out;
    }

    /** A filter of the alert list. Null fields do not filter. */
    public record Filter(Set<AlertIndicator> severities, String patientKey, Instant from, Instant to) {
        public static final Filter ALL = new Filter(null, null, null, null);

        public boolean accepts(ClinicalAlert a) {
            if (severities != null && !severities.isEmpty() && !severities.contains(a.getIndicator())) {
                return false;
            }
            if (patientKey != null && !patientKey.equals(a.getPatientKey())) {
                return false;
            }
            if (from != null && a.getEventTime().isBefore(from)) {
                return false;
            }
            return to == null || a.getEventTime().isBefore(to);
        }
    }

    /** The newest alerts first, at most {@code limit}, that the filter accepts. */
    public synchronized List<Entry> recent(Filter filter, int limit) {
        List<Entry> out = new ArrayList<>();
        Iterator<Entry> it = recent.descendingIterator();
        while (it.hasNext() && out.size() < limit) {
            Entry e = it.next();
            if (filter.accepts(e.alert())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The patient's latest alerts, newest first. */
    public synchronized List<Entry> ofPatient(String patientKey) {
        Deque<Entry> own = byPatient.get(patientKey);
        if (own == null) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>(own);
        java.util.Collections.reverse(out);
        return out;
    }

    /** An alert by id among those held (the recent ones and each patient's latest). */
    public synchronized java.util.Optional<Entry> byId(String alertId) {
        for (Collection<Entry> c : List.<Collection<Entry>>of(recent)) {
            for (Entry e : c) {
                if (e.alert().getAlertId().equals(alertId)) {
                    return java.util.Optional.of(e);
                }
            }
        }
        for (Deque<Entry> own : byPatient.values()) {
            for (Entry e : own) {
                if (e.alert().getAlertId().equals(alertId)) {
                    return java.util.Optional.of(e);
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** Counts of held alerts by severity. */
    public synchronized Map<String, Integer> countsBySeverity() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (AlertIndicator i : AlertIndicator.values()) {
            out.put(i.name(), 0);
        }
        for (Entry e : recent) {
            out.merge(e.alert().getIndicator().name(), 1, Integer::sum);
        }
        return out;
    }

    /** A subscription to new alerts; close it when the client leaves. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Replays the held alerts after {@code from} (a position; empty: none) to {@code listener}, then every new
     * alert, with nothing lost or repeated between the two. The listener runs on the consumer thread and must not
     * block.
     *
     * @param missed told true when {@code from} is older than what the view still holds (alerts were missed)
     */
    public synchronized Subscription subscribe(Map<Integer, Long> from, boolean replay, Consumer<Entry> listener,
            Consumer<Boolean> missed) {
        if (replay) {
            boolean gap = false;
            for (Map.Entry<Integer, Long> f : floor.entrySet()) {
                if (from.getOrDefault(f.getKey(), 0L) < f.getValue()) {
                    gap = true;
                }
            }
            missed.accept(gap);
            for (Entry e : recent) {
                if (e.offset() >= from.getOrDefault(e.partition(), 0L)) {
                    listener.accept(e);
                }
            }
        }
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The current position of the view (after the newest alert read). */
    public synchronized String position() {
        return position(positions);
    }

    public boolean caughtUp() {
        return caughtUp;
    }

    public long alertsSeen() {
        return alertsSeen;
    }

    public int held() {
        synchronized (this) {
            return recent.size();
        }
    }

    /** Why the view stopped, or null while it runs. */
    public String failure() {
        return failure;
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
