package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.VectorIndexStore;
import dev.kindred.topology.alerts.AlertFactory;
import dev.kindred.topology.alerts.AlertSuppression;
import dev.kindred.topology.outcomes.OutcomeJudge;
import dev.kindred.topology.outcomes.OutcomeSummary;
import dev.kindred.topology.patient.PatientStateUpdater;
import dev.kindred.topology.patient.PatientStates;
import dev.kindred.topology.patient.PatientVectorizer;
import dev.kindred.topology.patient.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies each fact to the patient's state and emits what changed: the patient's new vectors with the
 * outcome summary as their payload, and an alert (similar patients from the global index, recommendations
 * from their outcomes) for every trigger that suppression lets through.
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

    private final String stateStoreName;
    private final String indexStoreName;
    private final String deadlineStoreName;
    private final PatientStateUpdater updater;
    private final PatientVectorizer vectorizer;
    private final AlertFactory alerts;
    private final OutcomeJudge judge;
    private final OutcomeSummary summary;
    private final AlertSuppression suppression;
    private final String catalogVersion;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, PatientState> states;
    private KeyValueStore<String, String> deadlines;
    private VectorIndexStore<List<TreatmentOutcome>> index;
    private Instant clock;

    public PatientStateProcessor(String stateStoreName, String indexStoreName, String deadlineStoreName,
            PatientStateUpdater updater, PatientVectorizer vectorizer, AlertFactory alerts, OutcomeJudge judge,
            AlertSuppression suppression, String catalogVersion) {
        this.stateStoreName = stateStoreName;
        this.indexStoreName = indexStoreName;
        this.deadlineStoreName = deadlineStoreName;
        this.updater = updater;
        this.vectorizer = vectorizer;
        this.alerts = alerts;
        this.judge = judge;
        this.summary = new OutcomeSummary(judge);
        this.suppression = suppression;
        this.catalogVersion = catalogVersion;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.states = context.getStateStore(stateStoreName);
        this.index = context.getStateStore(indexStoreName);
        this.deadlines = context.getStateStore(deadlineStoreName);
        String saved = deadlines.get(CLOCK_KEY);
        this.clock = saved == null ? null : Instant.ofEpochMilli(Long.parseLong(saved));
    }

    @Override
    public void process(Record<String, ClinicalFact> record) {
        String key = record.key();
        ClinicalFact fact = record.value();
        advanceClock(fact.getEffectiveTime());

        PatientStateUpdater.Update update = updater.apply(states.get(key), fact);
        PatientState state = update.state();
        boolean changed = update.changed();
        PatientState judged = judge.judge(state, clock);
        if (judged != state) {
            // The version must grow when only the judge changed the state, so the index takes the new payload.
            state = changed ? judged : PatientStates.next(judged);
            changed = true;
        }
        if (changed) {
            AlertSuppression.Result kept = suppression.filter(state, update.triggers());
            state = kept.state();
            states.put(key, state);
            schedule(key, state);
            Map<String, List<Float>> vectors = publishVector(record, key, state);
            for (Trigger trigger : kept.kept()) {
                ClinicalAlert alert = alerts.build(trigger, state, vectors, index, Instant.now());
                context.forward(record.withKey(key).withValue(alert));
            }
        }
        closeDueWindows(record);
    }

    private Map<String, List<Float>> publishVector(Record<String, ClinicalFact> record, String key, PatientState state) {
        Map<String, List<Float>> vectors = vectorizer.vectors(state);
        context.forward(record.withKey(key).withValue(PatientVector.newBuilder()
                .setPatientKey(key)
                .setVersion(state.getVersion())
                .setVectors(vectors)
                .setCatalogVersion(catalogVersion)
                .setEffectiveTime(state.getLastEventTime() != null ? state.getLastEventTime()
                        : Instant.ofEpochMilli(record.timestamp()))
                .setOutcomes(summary.outcomes(state))
                .build()));
        return vectors;
    }

    private void advanceClock(Instant effectiveTime) {
        Instant cap = Instant.ofEpochMilli(context.currentSystemTimeMs()).plus(MAX_FUTURE);
        Instant t = effectiveTime.isAfter(cap) ? cap : effectiveTime;
        if (clock == null || t.isAfter(clock)) {
            clock = t;
            deadlines.put(CLOCK_KEY, Long.toString(clock.toEpochMilli()));
        }
    }

    private void schedule(String key, PatientState state) {
        Instant next = judge.nextDeadline(state);
        if (next != null) {
            deadlines.put(deadlineKey(next, key), key);
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
            PatientState judged = judge.judge(state, clock);
            if (judged == state) {
                continue;
            }
            judged = PatientStates.next(judged);
            states.put(patient, judged);
            schedule(patient, judged);
            publishVector(record, patient, judged);
        }
    }

    static final String DEADLINE_PREFIX = "d";

    /** Store key ordering deadlines by time (sign bit flipped, fixed-width hex, so earlier sorts first). */
    static String deadlineKey(Instant deadline, String patientKey) {
        return DEADLINE_PREFIX + String.format("%016x", deadline.toEpochMilli() ^ Long.MIN_VALUE) + "|" + patientKey;
    }
}
