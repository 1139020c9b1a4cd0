package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.topology.index.VectorIndexStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Runs each fact through the {@link PatientPipeline} with the patient's stored state, the task's stream time
 * and the global index, stores the new state and forwards what changed: the patient's vectors (with the
 * outcome summary as their payload) and the pipeline's alerts.
 *
 * <p>Outcome windows close in stream time: the clock is the latest effective time among the facts this
 * task has processed (never more than a day past the wall clock, so one fact dated in the future cannot
 * close every window). A patient whose course awaits its window is listed in the deadlines store under the
 * deadline; when the clock passes it, the patient's outcomes are judged and its vector (with the new
 * payload) is published again, even if nothing else arrived for that patient. The clock is kept in the same
 * store, so a restart resumes from it.
 */
public final class PatientStateProcessor implements Processor<String, ClinicalFact, String, SpecificRecord> {
    static final String CLOCK_KEY = "~clock";
    static final Duration MAX_FUTURE = Duration.ofDays(1);
    static final String DEADLINE_PREFIX = "d";

    private final String stateStoreName;
    private final String indexStoreName;
    private final String deadlineStoreName;
    private final PatientPipeline pipeline;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, PatientState> states;
    private KeyValueStore<String, String> deadlines;
    private StorePatientIndex index;
    private Instant clock;

    public PatientStateProcessor(String stateStoreName, String indexStoreName, String deadlineStoreName,
            PatientPipeline pipeline) {
        this.stateStoreName = stateStoreName;
        this.indexStoreName = indexStoreName;
        this.deadlineStoreName = deadlineStoreName;
        this.pipeline = pipeline;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.states = context.getStateStore(stateStoreName);
        VectorIndexStore<List<TreatmentOutcome>> store = context.getStateStore(indexStoreName);
        this.index = new StorePatientIndex(store);
        this.deadlines = context.getStateStore(deadlineStoreName);
        String saved = deadlines.get(CLOCK_KEY);
        this.clock = saved == null ? null : Instant.ofEpochMilli(Long.parseLong(saved));
    }

    @Override
    public void process(Record<String, ClinicalFact> record) {
        String key = record.key();
        advanceClock(record.value().getEffectiveTime());
        PatientPipeline.Step step = pipeline.process(states.get(key), List.of(record.value()), clock, index,
                Instant.ofEpochMilli(context.currentSystemTimeMs()));
        if (step.changed()) {
            save(record, key, step);
            for (ClinicalAlert alert : step.alerts()) {
                context.forward(record.withKey(key).withValue(alert));
            }
        }
        closeDueWindows(record);
    }

    /** Stores the new state, schedules its next outcome deadline and publishes its vectors. */
    private void save(Record<String, ClinicalFact> record, String key, PatientPipeline.Step step) {
        PatientState state = step.state();
        states.put(key, state);
        Instant next = pipeline.nextDeadline(state);
        if (next != null) {
            deadlines.put(deadlineKey(next, key), key);
        }
        context.forward(record.withKey(key).withValue(pipeline.vectorRecord(state, step.vectors(),
                Instant.ofEpochMilli(record.timestamp()))));
    }

    private void advanceClock(Instant effectiveTime) {
        Instant cap = Instant.ofEpochMilli(context.currentSystemTimeMs()).plus(MAX_FUTURE);
        Instant t = effectiveTime.isAfter(cap) ? cap : effectiveTime;
        if (clock == null || t.isAfter(clock)) {
            clock = t;
            deadlines.put(CLOCK_KEY, Long.toString(clock.toEpochMilli()));
        }
    }

    /** Judges the patients whose earliest open window has closed by the clock, and republishes their vectors. */
    private void closeDueWindows(Record<String, ClinicalFact> record) {
        if (clock == null) {
            return;
        }
        List<KeyValue<String, String>> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = deadlines.range(DEADLINE_PREFIX,
                deadlineKey(clock, "") + "\uffff")) {
            while (it.hasNext()) {
                due.add(it.next());
            }
        }
        for (KeyValue<String, String> entry : due) {
            deadlines.delete(entry.key);
            String patient = entry.value;
            PatientState state = states.get(patient);
            if (state == null) {
                continue;
            }
            PatientPipeline.Step step = pipeline.judge(state, clock);
            if (step.changed()) {
                save(record, patient, step);
            }
        }
    }

    /** Store key ordering deadlines by time (sign bit flipped, fixed-width hex, so earlier sorts first). */
    static String deadlineKey(Instant deadline, String patientKey) {
        return DEADLINE_PREFIX + String.format("%016x", deadline.toEpochMilli() ^ Long.MIN_VALUE) + "|" + patientKey;
    }
}
