package dev.kindred.clinical.outcomes;

import dev.kindred.avro.DiagnosisRecord;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.avro.TreatmentOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A patient's outcome summary, the payload of the patient's vectors in the index: one
 * {@link TreatmentOutcome} per treatment that a rule can judge and per diagnosis it was given for, with the
 * outcome of the latest decided course (UNKNOWN while none is decided). What a treatment was for matters:
 * the same drug resolves an acute infection and never "resolves" a chronic disease, so the recommender
 * weighs a neighbour's outcome for the diagnosis at hand first. Treatments no rule can judge (screenings,
 * assessments) are left out: they carry no evidence and would only make every vector record larger.
 */
public final class OutcomeSummary {
    /** Entries per treatment at most (one per diagnosis it addressed), the latest kept. */
    static final int MAX_ENTRIES_PER_TREATMENT = 4;

    private final OutcomeJudge judge;

    public OutcomeSummary(OutcomeJudge judge) {
        this.judge = judge;
    }

    /**
     * The summary: per treatment and per diagnosis it addressed (its first reason that names one of the
     * patient's diagnoses, or none), the outcome of the latest decided course, else UNKNOWN. Sorted by
     * treatment, then reason.
     */
    public List<TreatmentOutcome> outcomes(PatientState state) {
        List<TreatmentOutcome> out = new ArrayList<>();
        for (Map.Entry<String, TreatmentCourse> entry : new TreeMap<>(state.getTreatments()).entrySet()) {
            TreatmentCourse course = entry.getValue();
            Map<String, TreatmentEpisode[]> byReason = new TreeMap<>();
            for (TreatmentEpisode e : course.getEpisodes()) {
                if (!judge.judgeable(course, e)) {
                    continue;
                }
                String reason = primaryReason(e, state.getDiagnoses());
                TreatmentEpisode[] latestAndDecided = byReason.computeIfAbsent(reason == null ? "" : reason,
                        r -> new TreatmentEpisode[2]);
                latestAndDecided[0] = e;
                if (e.getStatus() != OutcomeStatus.UNKNOWN) {
                    latestAndDecided[1] = e;
                }
            }
            List<TreatmentOutcome> forCourse = new ArrayList<>();
            byReason.forEach((reason, pair) -> {
                TreatmentEpisode decided = pair[1];
                TreatmentEpisode shown = decided != null ? decided : pair[0];
                forCourse.add(TreatmentOutcome.newBuilder()
                        .setCode(course.getCode())
                        .setSystem(course.getSystem())
                        .setDisplay(course.getDisplay())
                        .setStartedAt(shown.getStart())
                        .setStatus(decided != null ? decided.getStatus() : OutcomeStatus.UNKNOWN)
                        .setRule(decided != null ? decided.getRule() : null)
                        .setDecidedAt(decided != null ? decided.getDecidedAt() : null)
                        .setReasons(reason.isEmpty() ? List.of() : List.of(reason))
                        .build());
            });
            if (forCourse.size() > MAX_ENTRIES_PER_TREATMENT) {
                forCourse.sort(Comparator.comparing(TreatmentOutcome::getStartedAt));
                forCourse.subList(0, forCourse.size() - MAX_ENTRIES_PER_TREATMENT).clear();
                forCourse.sort(Comparator.comparing((TreatmentOutcome o) -> o.getReasons().isEmpty() ? ""
                        : o.getReasons().get(0)));
            }
            out.addAll(forCourse);
        }
        return out;
    }

    /** The first reason of a course that names a diagnosis (as system|code), or null. */
    public static String primaryReason(TreatmentEpisode e, Map<String, DiagnosisRecord> diagnoses) {
        for (String r : e.getReasons()) {
            String key = reasonKey(r, diagnoses);
            if (key != null) {
                return key;
            }
        }
        return null;
    }

    /** A reason as a diagnosis code (system|code): a code as is, a Condition reference through the state. */
    static String reasonKey(String reason, Map<String, DiagnosisRecord> diagnoses) {
        if (reason.contains("|")) {
            return reason;
        }
        DiagnosisRecord d = OutcomeJudge.byReference(reason, diagnoses);
        return d == null ? null : OutcomeRules.key(d.getSystem(), d.getCode());
    }

    /**
     * Whether the patient receives the treatment at {@code now}: a course has started and has not ended (its
     * end when given, else its latest order plus the course gap, the time a renewal would be due).
     */
    public static boolean receiving(PatientState state, String treatmentKey, Instant now, Duration gap) {
        TreatmentCourse course = state.getTreatments().get(treatmentKey);
        if (course == null || now == null) {
            return false;
        }
        for (TreatmentEpisode e : course.getEpisodes()) {
            if (e.getStart().isAfter(now)) {
                continue;
            }
            Instant until = e.getEnd() != null ? e.getEnd() : e.getLastOrder().plus(gap);
            if (!until.isBefore(now)) {
                return true;
            }
        }
        return false;
    }
}
