package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.index.VectorIndexStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Runs each fact through the {@link PatientPipeline} with the patient's stored state, the task's stream time
 * and the global index, stores the new state and forwards what changed: the pipeline's alerts at once, and the
 * patient's vectors (with the outcome summary as their payload).
 *
 * <p>Vectors are published once per patient per {@code publishInterval}, not once per event: a patient's events
 * in one interval give one vector record (the latest), one index update on every instance. A patient waiting
 * to be published is marked in the schedule store too, in the same transaction as its state, so a crash
 * before the publication does not lose it: a restarted task publishes every marked patient. An interval of
 * zero publishes on every change.
 *
 * <p>Outcome windows close in stream time: the clock is the latest effective time among the facts this
 * task has processed (never more than a day past the wall clock, so one fact dated in the future cannot
 * close every window; Patient resources, which carry no clinical time, do not move it). A patient whose course
 * awaits its window is listed in the schedule store under the deadline; when the clock passes it, the
 * patient's outcomes are judged and its vector (with the new payload) is published again, even if nothing
 * else arrived for that patient. The clock is kept in the same store, so a restart resumes from it.
 */
public final class PatientStateProcessor implements Processor<String, ClinicalFact, String, SpecificRecord> {
    static final String CLOCK_KEY = "~clock";
    static final Duration MAX_FUTURE = Duration.ofDays(1);
    static final String DEADLINE_PREFIX = "d";
    static final String PENDING_VECTOR_PREFIX = "v|";

    private final String stateStoreName;
    private final String indexStoreName;
    private final String scheduleStoreName;
    private final PatientPipeline pipeline;
    private final Duration publishInterval;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, PatientState> states;
    private KeyValueStore<String, String> schedule;
    private StorePatientIndex index;
    private Instant clock;
    /** The earliest deadline in the schedule store (null: none), so most events skip scanning it. */
    private Instant earliestDeadline;
    /** Patients whose vectors changed since the last publication, marked in the schedule store too. */
    private final Set<String> pendingVectors = new LinkedHashSet<>();

    public PatientStateProcessor(String stateStoreName, String indexStoreName, String scheduleStoreName,
            PatientPipeline pipeline, Duration publishInterval) {
        this.stateStoreName = stateStoreName;
        this.indexStoreName = indexStoreName;
        this.scheduleStoreName = scheduleStoreName;
        this.pipeline = pipeline;
        this.publishInterval = publishInterval;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.states = context.getStateStore(stateStoreName);
        VectorIndexStore<List<TreatmentOutcome>> store = context.getStateStore(indexStoreName);
        this.index = new StorePatientIndex(store);
        this.schedule = context.getStateStore(scheduleStoreName);
        String saved = schedule.get(CLOCK_KEY);
        this.clock = saved == null ? null : Instant.ofEpochMilli(Long.parseLong(saved));
        this.earliestDeadline = firstDeadline();
        try (KeyValueIterator<String, String> marked = schedule.prefixScan(PENDING_VECTOR_PREFIX,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            marked.forEachRemaining(kv -> pendingVectors.add(kv.key.substring(PENDING_VECTOR_PREFIX.length())));
        }
        if (!publishInterval.isZero()) {
            context.schedule(publishInterval, PunctuationType.WALL_CLOCK_TIME, now -> publishPending());
        }
    }

    @Override
    public void process(Record<String, ClinicalFact> record) {
        String key = record.key();
        if (PatientPipeline.advancesClock(record.value())) {
            advanceClock(record.value().getEffectiveTime());
        }
        PatientPipeline.Step step = pipeline.process(states.get(key), List.of(record.value()), clock, index,
                Instant.ofEpochMilli(context.currentSystemTimeMs()));
        if (step.changed()) {
            save(key, step.state());
            for (ClinicalAlert alert : step.alerts()) {
                context.forward(record.withKey(key).withValue(alert));
            }
        }
        closeDueWindows();
    }

    @Override
    public void close() {
        // Nothing to do: what is pending stays marked in the schedule store for the task's next owner.
    }

    /** Stores the new state, schedules its next outcome deadline and publishes (or marks) its vectors. */
    private void save(String key, PatientState state) {
        states.put(key, state);
        Instant next = pipeline.nextDeadline(state);
        if (next != null) {
            schedule.put(deadlineKey(next, key), key);
            if (earliestDeadline == null || next.isBefore(earliestDeadline)) {
                earliestDeadline = next;
            }
        }
        if (publishInterval.isZero()) {
            publish(key, state);
        } else if (pendingVectors.add(key)) {
            schedule.put(PENDING_VECTOR_PREFIX + key, "");
        }
    }

    private void publishPending() {
        for (String key : pendingVectors) {
            PatientState state = states.get(key);
            if (state != null) {
                publish(key, state);
            }
            schedule.delete(PENDING_VECTOR_PREFIX + key);
        }
        pendingVectors.clear();
    }

    private void publish(String key, PatientState state) {
        long time = state.getLastEventTime() != null ? state.getLastEventTime().toEpochMilli()
                : context.currentSystemTimeMs();
        context.forward(new Record<>(key, pipeline.vectorRecord(state, Instant.ofEpochMilli(time)), time));
    }

    private void advanceClock(Instant effectiveTime) {
        Instant cap = Instant.ofEpochMilli(context.currentSystemTimeMs()).plus(MAX_FUTURE);
        Instant t = effectiveTime.isAfter(cap) ? cap : effectiveTime;
        if (clock == null || t.isAfter(clock)) {
            clock = t;
            schedule.put(CLOCK_KEY, Long.toString(clock.toEpochMilli()));
        }
    }

    /** Judges the patients whose earliest open window has closed by the clock, and republishes their vectors. */
    private void closeDueWindows() {
        if (clock == null || earliestDeadline == null || clock.isBefore(earliestDeadline)) {
            return;
        }
        List<KeyValue<String, String>> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = schedule.range(DEADLINE_PREFIX,
                deadlineKey(clock, "") + "\uffff")) {
            while (it.hasNext()) {
                due.add(it.next());
            }
        }
        for (KeyValue<String, String> entry : due) {
            schedule.delete(entry.key);
            String patient = entry.value;
            PatientState state = states.get(patient);
            if (state == null) {
                continue;
            }
            PatientPipeline.Step step = pipeline.judge(state, clock);
            if (step.changed()) {
                save(patient, step.state());
            }
        }
        earliestDeadline = firstDeadline();
    }

    private Instant firstDeadline() {
        try (KeyValueIterator<String, String> it = schedule.range(DEADLINE_PREFIX, DEADLINE_PREFIX + "\uffff")) {
            return it.hasNext() ? deadlineOf(it.next().key) : null;
        }
    }

    /** Store key ordering deadlines by time (sign bit flipped, fixed-width hex, so earlier sorts first). */
    static String deadlineKey(Instant deadline, String patientKey) {
        String hex = Long.toHexString(deadline.toEpochMilli() ^ Long.MIN_VALUE);
        return DEADLINE_PREFIX + "0".repeat(16 - hex.length()) + hex + "|" + patientKey;
    }

    static Instant deadlineOf(String deadlineKey) {
        return Instant.ofEpochMilli(Long.parseUnsignedLong(deadlineKey.substring(1, 17), 16) ^ Long.MIN_VALUE);
    }
}
