package dev.kindred.clinical.pipeline;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.alerts.AlertFactory;
import dev.kindred.clinical.alerts.AlertSuppression;
import dev.kindred.clinical.outcomes.OutcomeJudge;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.outcomes.OutcomeSummary;
import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.patient.PatientStates;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.Trigger;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What happens to a patient when facts arrive, in one place: the facts update the patient's state, treatment
 * courses whose outcome window has closed are judged, the triggers the facts raised pass suppression, and each
 * one left becomes an alert (similar patients from a {@link PatientIndex}, recommendations from their
 * outcomes). The stream processor, {@code kindred evaluate} and the HTTP API all call this class; they differ
 * only in where state, the clock and the index come from.
 *
 * <p>Stateless and thread-safe: the caller keeps each patient's state and passes it in.
 */
public final class PatientPipeline {
    private final FeatureCatalog catalog;
    private final PipelineSettings settings;
    private final PatientStateUpdater updater;
    private final OutcomeJudge judge;
    private final OutcomeSummary summary;
    private final PatientVectorizer vectorizer;
    private final AlertSuppression suppression;
    private final AlertFactory alerts;

    public PatientPipeline(FeatureCatalog catalog, OutcomeRules rules, PipelineSettings settings) {
        this.catalog = catalog;
        this.settings = settings;
        this.updater = new PatientStateUpdater(catalog, rules, settings.silentDiagnosisTags(),
                settings.awaitImageEmbeddings());
        this.judge = new OutcomeJudge(rules);
        this.summary = new OutcomeSummary(judge);
        this.vectorizer = new PatientVectorizer(catalog, settings.weights());
        this.suppression = new AlertSuppression(settings.suppressionWindow());
        this.alerts = new AlertFactory(catalog, settings.alertNeighbours(), settings.metric(), vectorizer,
                new Recommender(rules, settings.recommend()));
    }

    /**
     * The result of one step.
     *
     * @param state the patient's state after the step (the input state when nothing changed)
     * @param changed whether the state changed, so its vectors must be published again
     * @param judged whether a treatment course was decided or closed in this step
     * @param triggers what the facts raised, before suppression
     * @param alerts the alerts to publish, one per trigger that suppression let through
     */
    public record Step(PatientState state, boolean changed, boolean judged, List<Trigger> triggers,
            List<ClinicalAlert> alerts) {
    }

    /**
     * Facts that arrived together through the whole pipeline: state, outcome judging at {@code clock},
     * suppression, similar-patient search in {@code index} and alerts.
     *
     * @param state the patient's current state, or null for a new patient
     * @param clock the time outcome windows are judged at (stream time); null judges nothing
     * @param now the processing time stamped on alerts
     */
    public Step process(PatientState state, List<ClinicalFact> facts, Instant clock, PatientIndex index, Instant now) {
        Step loaded = load(state, facts, clock);
        if (!loaded.changed()) {
            return loaded;
        }
        AlertSuppression.Result kept = suppression.filter(loaded.state(), loaded.triggers());
        PatientState current = kept.state();
        if (kept.kept().isEmpty()) {
            return new Step(current, true, loaded.judged(), loaded.triggers(), List.of());
        }
        // Vectors only when an alert searches with them: most events change a patient without alerting.
        Map<String, List<Float>> vectors = vectorizer.vectors(current);
        List<ClinicalAlert> out = new ArrayList<>(kept.kept().size());
        for (Trigger trigger : kept.kept()) {
            out.add(alerts.build(trigger, current, vectors, index, now));
        }
        return new Step(current, true, loaded.judged(), loaded.triggers(), out);
    }

    /**
     * Facts into the state with outcome judging, without suppression or alerts: history loaded before an
     * evaluation's cutoff. The version grows with every change, judging included, so an index takes the new
     * payload.
     */
    public Step load(PatientState state, List<ClinicalFact> facts, Instant clock) {
        PatientState current = state;
        boolean changed = false;
        boolean judged = false;
        List<Trigger> triggers = new ArrayList<>();
        for (ClinicalFact fact : facts) {
            PatientStateUpdater.Update update = updater.apply(current, fact);
            current = update.state();
            triggers.addAll(update.triggers());
            if (clock != null) {
                PatientState afterJudge = judge.judge(current, clock);
                if (afterJudge != current) {
                    current = update.changed() ? afterJudge : PatientStates.next(afterJudge);
                    judged = true;
                }
            }
            changed |= update.changed() || judged;
        }
        return new Step(current, changed, judged, triggers, List.of());
    }

    /**
     * Judges the courses whose window closed by {@code clock}, with nothing new about the patient: a step
     * that changed nothing when none was due.
     */
    public Step judge(PatientState state, Instant clock) {
        PatientState judged = judge.judge(state, clock);
        if (judged == state) {
            return new Step(state, false, false, List.of(), List.of());
        }
        return new Step(PatientStates.next(judged), true, true, List.of(), List.of());
    }

    /**
     * Whether a fact moves stream time, the clock outcome windows close by. A Patient resource carries no
     * clinical time (its time is when it was last updated or arrived), so it must not close any window.
     */
    public static boolean advancesClock(ClinicalFact fact) {
        return fact.getKind() != FactKind.DEMOGRAPHICS;
    }

    /** When the patient's earliest open course can be judged, or null when none is open. */
    public Instant nextDeadline(PatientState state) {
        return judge.nextDeadline(state);
    }

    /**
     * The patient's vectors as the record published on the patient-vectors topic, with the outcome summary as
     * the index payload.
     *
     * @param fallbackTime the effective time when the state has no event time of its own
     */
    public PatientVector vectorRecord(PatientState state, Instant fallbackTime) {
        return PatientVector.newBuilder()
                .setPatientKey(state.getPatientKey())
                .setVersion(state.getVersion())
                .setVectors(vectorizer.vectors(state))
                .setCatalogVersion(catalog.version())
                .setEffectiveTime(state.getLastEventTime() != null ? state.getLastEventTime() : fallbackTime)
                .setOutcomes(outcomes(state))
                .build();
    }

    /** The patient's treatments and their outcomes: what similar patients' alerts learn from. */
    public List<TreatmentOutcome> outcomes(PatientState state) {
        return summary.outcomes(state);
    }

    public PatientVectorizer vectorizer() {
        return vectorizer;
    }

    public FeatureCatalog catalog() {
        return catalog;
    }

    public PipelineSettings settings() {
        return settings;
    }
}
