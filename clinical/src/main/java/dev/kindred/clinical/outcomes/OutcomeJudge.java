package dev.kindred.clinical.outcomes;

import dev.kindred.avro.DiagnosisRecord;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.HistoryPoint;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.clinical.patient.PatientStates;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides the outcome of a patient's treatment courses by the {@link OutcomeRules}, in stream time: a
 * course stays UNKNOWN until its window has closed by {@code clock} (the latest effective time the stream
 * has carried), then becomes IMPROVED or NOT_IMPROVED, or stays UNKNOWN when the data to judge it is
 * missing. A pure function of the patient's state and the clock.
 */
public final class OutcomeJudge {
    public static final String PROCEDURE_OUTCOME_RULE = "procedure-outcome";
    public static final String DIAGNOSIS_RESOLVED_RULE = "diagnosis-resolved";

    private final OutcomeRules rules;

    public OutcomeJudge(OutcomeRules rules) {
        this.rules = rules;
    }

    public OutcomeRules rules() {
        return rules;
    }

    /** What decided a course. */
    public record Decision(OutcomeStatus status, String rule) {
    }

    /**
     * When the course can be decided: at its start for a procedure with an outcome the rules list, at the end
     * of its rule's window otherwise; null when no rule can ever judge it.
     */
    public Instant deadline(TreatmentCourse course, TreatmentEpisode episode) {
        String treatmentKey = OutcomeRules.key(course.getSystem(), course.getCode());
        if (rules.procedureOutcome(episode.getProcedureOutcome()) != null) {
            return episode.getStart();
        }
        MeasurementRule rule = rules.ruleFor(treatmentKey);
        if (rule != null) {
            return episode.getStart().plus(rule.window());
        }
        if (rules.judgedByResolution(treatmentKey, course.getDisplay()) && !episode.getReasons().isEmpty()) {
            return episode.getStart().plus(rules.resolvedWindow());
        }
        return null;
    }

    /** Whether any rule could judge this treatment course. */
    public boolean judgeable(TreatmentCourse course, TreatmentEpisode episode) {
        return deadline(course, episode) != null;
    }

    /**
     * Decides every open course whose window closed by {@code clock}.
     *
     * @return the state with those courses closed, or {@code state} itself when none was due
     */
    public PatientState judge(PatientState state, Instant clock) {
        Map<String, TreatmentCourse> courses = null;
        for (Map.Entry<String, TreatmentCourse> entry : state.getTreatments().entrySet()) {
            TreatmentCourse course = entry.getValue();
            List<TreatmentEpisode> episodes = null;
            for (int i = 0; i < course.getEpisodes().size(); i++) {
                TreatmentEpisode e = course.getEpisodes().get(i);
                if (e.getClosed()) {
                    continue;
                }
                Instant deadline = deadline(course, e);
                TreatmentEpisode closed;
                if (deadline == null) {
                    closed = TreatmentEpisode.newBuilder(e).setClosed(true).build();
                } else if (clock == null || clock.isBefore(deadline.plus(rules.grace()))) {
                    continue;
                } else {
                    Decision d = decide(course, e, state);
                    closed = TreatmentEpisode.newBuilder(e).setClosed(true).setStatus(d.status()).setRule(d.rule())
                            .setDecidedAt(d.status() == OutcomeStatus.UNKNOWN ? null : deadline).build();
                }
                if (episodes == null) {
                    episodes = new ArrayList<>(course.getEpisodes());
                }
                episodes.set(i, closed);
            }
            if (episodes != null) {
                TreatmentCourses.trimClosed(episodes);
                if (courses == null) {
                    courses = new HashMap<>(state.getTreatments());
                }
                courses.put(entry.getKey(), TreatmentCourse.newBuilder(course).setEpisodes(episodes).build());
            }
        }
        if (courses == null) {
            return state;
        }
        PatientState judged = PatientStates.copy(state);
        judged.setTreatments(courses);
        return judged;
    }

    /** When the earliest open course can be judged (its deadline plus the grace), or null when none is open. */
    public Instant nextDeadline(PatientState state) {
        Instant next = null;
        for (Map.Entry<String, TreatmentCourse> entry : state.getTreatments().entrySet()) {
            for (TreatmentEpisode e : entry.getValue().getEpisodes()) {
                if (e.getClosed()) {
                    continue;
                }
                Instant d = deadline(entry.getValue(), e);
                if (d != null && (next == null || d.plus(rules.grace()).isBefore(next))) {
                    next = d.plus(rules.grace());
                }
            }
        }
        return next;
    }

    /** Judges one course whose window has closed, from what the patient's state holds. */
    public Decision decide(TreatmentCourse course, TreatmentEpisode episode, PatientState state) {
        String treatmentKey = OutcomeRules.key(course.getSystem(), course.getCode());
        OutcomeStatus byProcedure = rules.procedureOutcome(episode.getProcedureOutcome());
        if (byProcedure != null) {
            return new Decision(byProcedure, PROCEDURE_OUTCOME_RULE);
        }
        MeasurementRule rule = rules.ruleFor(treatmentKey);
        if (rule != null) {
            return new Decision(byMeasurement(rule, episode, state), rule.id());
        }
        if (rules.judgedByResolution(treatmentKey, course.getDisplay())) {
            DiagnosisRecord diagnosis = addressedDiagnosis(episode, state);
            if (diagnosis != null) {
                Instant deadline = episode.getStart().plus(rules.resolvedWindow());
                boolean resolved = diagnosis.getAbatement() != null && !diagnosis.getAbatement().isAfter(deadline);
                return new Decision(resolved ? OutcomeStatus.IMPROVED : OutcomeStatus.NOT_IMPROVED,
                        DIAGNOSIS_RESOLVED_RULE);
            }
        }
        return new Decision(OutcomeStatus.UNKNOWN, null);
    }

    static OutcomeStatus byMeasurement(MeasurementRule rule, TreatmentEpisode episode, PatientState state) {
        FeatureHistory history = state.getHistory().get(rule.feature());
        if (history == null) {
            return OutcomeStatus.UNKNOWN;
        }
        Instant start = episode.getStart();
        Instant from = start.minus(rule.lookback());
        Instant afterFrom = start.plus(rule.minDelay());
        Instant afterTo = start.plus(rule.window());
        HistoryPoint baseline = null;
        HistoryPoint after = null;
        for (HistoryPoint p : history.getPoints()) {
            Instant t = p.getTime();
            if (!t.isBefore(from) && !t.isAfter(start)) {
                if (baseline == null || !t.isBefore(baseline.getTime())) {
                    baseline = p;
                }
            } else if (t.isAfter(afterFrom) && !t.isAfter(afterTo)) {
                if (after == null || !t.isBefore(after.getTime())) {
                    after = p;
                }
            }
        }
        if (baseline == null || after == null) {
            return OutcomeStatus.UNKNOWN;
        }
        return rule.improved(baseline.getValue(), after.getValue()) ? OutcomeStatus.IMPROVED : OutcomeStatus.NOT_IMPROVED;
    }

    /**
     * The diagnosis a course addresses: a reason naming one of the patient's Conditions by id, else a reason
     * code matching one of the patient's diagnoses, in both cases open when the course started; only diagnoses
     * the rules let count by being resolved.
     */
    DiagnosisRecord addressedDiagnosis(TreatmentEpisode episode, PatientState state) {
        Map<String, DiagnosisRecord> diagnoses = state.getDiagnoses();
        for (String reason : episode.getReasons()) {
            DiagnosisRecord d = byReference(reason, diagnoses);
            if (d != null && rules.resolutionCounts(OutcomeRules.key(d.getSystem(), d.getCode()))
                    && openAt(d, episode.getStart())) {
                return d;
            }
        }
        for (String reason : episode.getReasons()) {
            if (!rules.resolutionCounts(reason)) {
                continue;
            }
            DiagnosisRecord best = null;
            for (DiagnosisRecord d : diagnoses.values()) {
                if (!reason.equals(OutcomeRules.key(d.getSystem(), d.getCode()))
                        || d.getOnset().isAfter(episode.getStart()) || !openAt(d, episode.getStart())) {
                    continue;
                }
                if (best == null || d.getOnset().isAfter(best.getOnset())) {
                    best = d;
                }
            }
            if (best != null) {
                return best;
            }
        }
        return null;
    }

    /**
     * Whether a diagnosis was still open when a course started (resolved no earlier than a day before): one
     * resolved before the treatment began cannot say whether the treatment worked (Synthea, for one, names a
     * patient's first, long-resolved gingivitis as the reason for every later dental visit).
     */
    static boolean openAt(DiagnosisRecord d, Instant start) {
        return d.getAbatement() == null || !d.getAbatement().isBefore(start.minus(java.time.Duration.ofDays(1)));
    }

    /** The diagnosis a reason reference (Condition/id, an absolute URL or urn:uuid:id) names, or null. */
    static DiagnosisRecord byReference(String reason, Map<String, DiagnosisRecord> diagnoses) {
        if (reason.contains("|")) {
            return null;
        }
        String id = referenceId(reason);
        return id == null ? null : diagnoses.get(id);
    }

    /** The id part of a reference: after the last '/' or, for urn:uuid:, after the last ':'. */
    public static String referenceId(String reference) {
        int cut = Math.max(reference.lastIndexOf('/'), reference.startsWith("urn:") ? reference.lastIndexOf(':') : -1);
        String id = reference.substring(cut + 1);
        return id.isEmpty() ? null : id;
    }
}
