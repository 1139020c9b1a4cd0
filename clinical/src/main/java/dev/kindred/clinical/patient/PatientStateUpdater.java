package dev.kindred.clinical.patient;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.Demographics;
import dev.kindred.avro.DiagnosisRecord;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.HistoryPoint;
import dev.kindred.avro.ImagingFacts;
import dev.kindred.avro.ImagingRecord;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.outcomes.TreatmentCourses;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Applies one clinical fact to a patient's state and says which alerts it triggers. Every kind of fact is
 * kept: the latest value of each measurement and finding (by effective time: a late, older value never
 * replaces a newer one) and its recent history; demographics; diagnoses; imaging studies; treatments as
 * courses. Replaying the same fact changes nothing, so reprocessing is idempotent.
 *
 * <p>Triggers: a measurement newer than the feature's latest value and outside its reference range
 * (OUT_OF_RANGE); a Condition new to the patient, active, of a code the patient had no open diagnosis of
 * (NEW_DIAGNOSIS, except for SNOMED CT semantic tags listed as not alerting, such as findings and
 * situations); an imaging study new to the patient (NEW_IMAGING_STUDY). A diagnosis or study that is
 * more than {@link #LATE_TRIGGER_TOLERANCE} older than the patient's latest one is history, not news,
 * and does not alert.
 */
public final class PatientStateUpdater {
    /** Default SNOMED CT semantic tags (the display's trailing "(tag)") whose Conditions do not alert. */
    public static final List<String> DEFAULT_SILENT_DIAGNOSIS_TAGS = List.of("finding", "situation", "person",
            "social concept", "life style", "observable entity", "regime/therapy", "procedure", "event");
    /** How much older than the patient's latest event a new diagnosis or study may be and still alert. */
    public static final Duration LATE_TRIGGER_TOLERANCE = Duration.ofDays(7);
    /** Imaging studies remembered per patient. */
    static final int MAX_STUDIES = 32;
    /** Diagnoses remembered per patient: resolved ones go first when there are more. */
    static final int MAX_DIAGNOSES = 128;
    /** Resolved diagnoses are forgotten this long after their resolution (open ones never). */
    static final Duration RESOLVED_DIAGNOSIS_RETENTION = Duration.ofDays(730);
    private static final Set<String> OPEN_STATUSES = Set.of("active", "recurrence", "relapse");

    private final FeatureCatalog catalog;
    private final OutcomeRules rules;
    private final TreatmentCourses courses;
    private final FeatureHistories histories;
    private final Set<String> silentTags;
    private final boolean awaitImageEmbeddings;

    public PatientStateUpdater(FeatureCatalog catalog) {
        this(catalog, OutcomeRules.builtIn(), DEFAULT_SILENT_DIAGNOSIS_TAGS);
    }

    public PatientStateUpdater(FeatureCatalog catalog, OutcomeRules rules, List<String> silentDiagnosisTags) {
        this(catalog, rules, silentDiagnosisTags, false);
    }

    /**
     * @param awaitImageEmbeddings a study listing DICOM instances without an embedding raises its new-study
     *     trigger when its embedding arrives (a second IMAGING fact of the same study), not on arrival
     */
    public PatientStateUpdater(FeatureCatalog catalog, OutcomeRules rules, List<String> silentDiagnosisTags,
            boolean awaitImageEmbeddings) {
        this.awaitImageEmbeddings = awaitImageEmbeddings;
        this.catalog = catalog;
        this.rules = rules;
        this.courses = new TreatmentCourses(rules);
        this.histories = new FeatureHistories(rules);
        this.silentTags = Set.copyOf(silentDiagnosisTags.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).toList());
    }

    /**
     * The outcome of applying a fact.
     *
     * @param changed whether the state (and so the patient's vectors or outcomes) changed
     */
    public record Update(PatientState state, boolean changed, List<Trigger> triggers) {
    }

    public static PatientState empty(String patientKey) {
        return PatientState.newBuilder().setPatientKey(patientKey).setVersion(0).setFeatures(new HashMap<>())
                .setLastEventTime(null).build();
    }

    public Update apply(PatientState current, ClinicalFact fact) {
        PatientState state = current != null ? current : empty(fact.getPatientKey());
        return switch (fact.getKind()) {
            case MEASUREMENT, FINDING -> measurement(state, fact);
            case DEMOGRAPHICS -> demographics(state, fact);
            case DIAGNOSIS -> diagnosis(state, fact);
            case IMAGING -> imaging(state, fact);
            case TREATMENT -> treatment(state, fact);
        };
    }

    // ------------------------------------------------------------------ measurements and findings

    private Update measurement(PatientState state, ClinicalFact fact) {
        String featureId = fact.getFeatureId();
        if (featureId == null) {
            return unchanged(state);
        }
        FeatureValue existing = state.getFeatures().get(featureId);
        Map<String, FeatureValue> features = new HashMap<>(state.getFeatures());
        FeatureHistory history = state.getHistory().get(featureId);

        if (fact.getRetracted()) {
            FeatureHistory newHistory = history == null ? null
                    : FeatureHistories.withoutPoint(history, fact.getSourceResourceId());
            boolean latestRetracted = existing != null
                    && Objects.equals(existing.getSourceResourceId(), fact.getSourceResourceId());
            if (!latestRetracted && newHistory == history) {
                return unchanged(state);
            }
            if (latestRetracted) {
                features.remove(featureId);
                HistoryPoint previous = newHistory == null || newHistory.getPoints().isEmpty() ? null
                        : newHistory.getPoints().get(newHistory.getPoints().size() - 1);
                if (previous != null) {
                    features.put(featureId, FeatureValue.newBuilder(existing).setValue(previous.getValue())
                            .setEffectiveTime(previous.getTime()).setSourceResourceId(previous.getSourceResourceId())
                            .setReferenceLow(null).setReferenceHigh(null).setInterpretation(null).build());
                }
            }
            return changed(next(state, features, withHistory(state, featureId, newHistory), fact.getEffectiveTime()));
        }
        if (fact.getValue() == null) {
            return unchanged(state);
        }
        Feature feature = catalog.feature(featureId);
        RangeCheck check = fact.getKind() == FactKind.MEASUREMENT
                ? RangeCheck.of(fact.getValue(), feature, fact.getReferenceLow(), fact.getReferenceHigh(),
                        fact.getInterpretation())
                : null;
        FeatureHistory newHistory = histories.withPoint(featureId, history, fact, check);

        boolean newer = existing == null || existing.getEffectiveTime().isBefore(fact.getEffectiveTime())
                || (existing.getEffectiveTime().equals(fact.getEffectiveTime())
                        && !(existing.getValue() == fact.getValue()
                                && Objects.equals(existing.getSourceResourceId(), fact.getSourceResourceId())));
        if (!newer) {
            if (newHistory == history) {
                return unchanged(state);
            }
            // A late, older value: history (counts, trend) learns it, the latest value stays.
            return changed(next(state, features, withHistory(state, featureId, newHistory), fact.getEffectiveTime()));
        }
        features.put(featureId, FeatureValue.newBuilder()
                .setFeatureId(featureId)
                .setCode(fact.getCode())
                .setValue(fact.getValue())
                .setUnit(fact.getUnit() != null ? fact.getUnit() : "1")
                .setEffectiveTime(fact.getEffectiveTime())
                .setReferenceLow(fact.getReferenceLow())
                .setReferenceHigh(fact.getReferenceHigh())
                .setInterpretation(fact.getInterpretation())
                .setSourceResourceId(fact.getSourceResourceId())
                .build());
        PatientState updated = next(state, features, withHistory(state, featureId, newHistory), fact.getEffectiveTime());
        List<Trigger> triggers = check != null && check.abnormal()
                ? List.of(new Trigger(TriggerType.OUT_OF_RANGE, fact, check)) : List.of();
        return new Update(updated, true, triggers);
    }

    private static Map<String, FeatureHistory> withHistory(PatientState state, String featureId, FeatureHistory h) {
        Map<String, FeatureHistory> out = new HashMap<>(state.getHistory());
        if (h == null) {
            out.remove(featureId);
        } else {
            out.put(featureId, h);
        }
        return out;
    }

    // ------------------------------------------------------------------ demographics

    private Update demographics(PatientState state, ClinicalFact fact) {
        Demographics d = fact.getRetracted() ? null : fact.getDemographics();
        if (Objects.equals(d, state.getDemographics())) {
            return unchanged(state);
        }
        PatientState updated = PatientStates.next(state);
        updated.setDemographics(d);
        return changed(updated);
    }

    // ------------------------------------------------------------------ diagnoses

    private Update diagnosis(PatientState state, ClinicalFact fact) {
        String id = diagnosisId(fact);
        Map<String, DiagnosisRecord> diagnoses = state.getDiagnoses();
        DiagnosisRecord existing = diagnoses.get(id);
        Map<String, DiagnosisRecord> out = new HashMap<>(diagnoses);
        if (fact.getRetracted()) {
            if (existing == null) {
                return unchanged(state);
            }
            out.remove(id);
            return changed(withDiagnoses(state, out, fact.getEffectiveTime()));
        }
        DiagnosisRecord record = DiagnosisRecord.newBuilder()
                .setSystem(fact.getSystem())
                .setCode(fact.getCode())
                .setDisplay(fact.getDisplay())
                .setStatus(fact.getStatus())
                .setOnset(fact.getEffectiveTime())
                .setAbatement(fact.getEndTime())
                .setSourceResourceId(fact.getSourceResourceId())
                .build();
        if (record.equals(existing)) {
            return unchanged(state);
        }
        boolean alreadyOpen = false;
        for (DiagnosisRecord d : diagnoses.values()) {
            if (d.getSystem().equals(fact.getSystem()) && d.getCode().equals(fact.getCode())
                    && !d.getOnset().isAfter(fact.getEffectiveTime())
                    && (d.getAbatement() == null || !d.getAbatement().isBefore(fact.getEffectiveTime()))) {
                alreadyOpen = true;
            }
        }
        out.put(id, record);
        Instant latest = fact.getEffectiveTime();
        for (DiagnosisRecord d : diagnoses.values()) {
            latest = later(latest, d.getOnset());
        }
        Instant horizon = latest.minus(RESOLVED_DIAGNOSIS_RETENTION);
        out.values().removeIf(d -> d.getAbatement() != null && d != record && d.getAbatement().isBefore(horizon));
        trim(out);
        PatientState updated = withDiagnoses(state, out, fact.getEffectiveTime());
        List<Trigger> triggers = List.of();
        Instant latestOnset = null;
        for (DiagnosisRecord d : diagnoses.values()) {
            latestOnset = later(latestOnset, d.getOnset());
        }
        if (existing == null && !alreadyOpen && open(fact) && alertsFor(fact.getDisplay())
                && recent(latestOnset, fact)) {
            triggers = List.of(new Trigger(TriggerType.NEW_DIAGNOSIS, fact, null, AlertIndicator.info));
        }
        return new Update(updated, true, triggers);
    }

    private static String diagnosisId(ClinicalFact fact) {
        return fact.getSourceResourceId() != null ? fact.getSourceResourceId()
                : fact.getSystem() + "|" + fact.getCode() + "|" + fact.getEffectiveTime().toEpochMilli();
    }

    private static boolean open(ClinicalFact fact) {
        return fact.getEndTime() == null && (fact.getStatus() == null
                || OPEN_STATUSES.contains(fact.getStatus().toLowerCase(Locale.ROOT)));
    }

    /** False for a display ending in a SNOMED CT semantic tag listed as silent, e.g. "Stress (finding)". */
    boolean alertsFor(String display) {
        if (display == null) {
            return true;
        }
        String d = display.trim();
        if (!d.endsWith(")")) {
            return true;
        }
        int open = d.lastIndexOf('(');
        return open < 0 || !silentTags.contains(d.substring(open + 1, d.length() - 1).trim().toLowerCase(Locale.ROOT));
    }

    private static void trim(Map<String, DiagnosisRecord> diagnoses) {
        if (diagnoses.size() <= MAX_DIAGNOSES) {
            return;
        }
        List<Map.Entry<String, DiagnosisRecord>> resolved = new ArrayList<>();
        for (Map.Entry<String, DiagnosisRecord> e : diagnoses.entrySet()) {
            if (e.getValue().getAbatement() != null) {
                resolved.add(e);
            }
        }
        resolved.sort(Comparator.comparing((Map.Entry<String, DiagnosisRecord> e) -> e.getValue().getAbatement())
                .thenComparing(Map.Entry::getKey));
        for (int i = 0; i < resolved.size() && diagnoses.size() > MAX_DIAGNOSES; i++) {
            diagnoses.remove(resolved.get(i).getKey());
        }
    }

    private static PatientState withDiagnoses(PatientState state, Map<String, DiagnosisRecord> diagnoses, Instant time) {
        PatientState updated = PatientStates.next(state);
        updated.setDiagnoses(diagnoses);
        updated.setLastEventTime(later(state.getLastEventTime(), time));
        return updated;
    }

    /**
     * Whether a fact is news: not older than the latest fact of its kind (diagnosis, study) by more than the
     * tolerance. Against its own kind, not the patient's latest event: facts of different kinds come from
     * different topics and can be processed out of event-time order.
     */
    private static boolean recent(Instant latestOfKind, ClinicalFact fact) {
        return latestOfKind == null || !fact.getEffectiveTime().isBefore(latestOfKind.minus(LATE_TRIGGER_TOLERANCE));
    }

    // ------------------------------------------------------------------ imaging

    private Update imaging(PatientState state, ClinicalFact fact) {
        List<ImagingRecord> studies = new ArrayList<>(state.getImaging());
        String id = fact.getSourceResourceId();
        int index = -1;
        for (int i = 0; i < studies.size(); i++) {
            ImagingRecord r = studies.get(i);
            if (id != null ? id.equals(r.getSourceResourceId())
                    : r.getSourceResourceId() == null && r.getTime().equals(fact.getEffectiveTime())
                            && r.getCode().equals(fact.getCode())) {
                index = i;
            }
        }
        if (fact.getRetracted()) {
            if (index < 0) {
                return unchanged(state);
            }
            studies.remove(index);
            PatientState updated = PatientStates.next(state);
            updated.setImaging(studies);
            return changed(updated);
        }
        ImagingFacts facts = fact.getImaging();
        ImagingRecord record = ImagingRecord.newBuilder()
                .setSourceResourceId(id)
                .setTime(fact.getEffectiveTime())
                .setCode(fact.getCode())
                .setModalities(facts == null ? List.of() : List.copyOf(facts.getModalities()))
                .setBodySites(facts == null ? List.of() : List.copyOf(facts.getBodySites()))
                .build();
        List<Float> embedding = state.getImagingEmbedding();
        boolean latest = studies.stream().noneMatch(r -> r.getTime().isAfter(fact.getEffectiveTime()));
        if (facts != null && facts.getEmbedding() != null && !facts.getEmbedding().isEmpty() && latest) {
            embedding = List.copyOf(facts.getEmbedding());
        }
        if (index >= 0 && studies.get(index).equals(record) && Objects.equals(embedding, state.getImagingEmbedding())) {
            return unchanged(state);
        }
        if (index >= 0) {
            studies.set(index, record);
        } else {
            studies.add(record);
        }
        studies.sort(Comparator.comparing(ImagingRecord::getTime));
        while (studies.size() > MAX_STUDIES) {
            studies.remove(0);
        }
        PatientState updated = PatientStates.next(state);
        updated.setImaging(studies);
        updated.setImagingEmbedding(embedding);
        updated.setLastEventTime(later(state.getLastEventTime(), fact.getEffectiveTime()));
        Instant latestStudy = null;
        for (ImagingRecord r : state.getImaging()) {
            latestStudy = later(latestStudy, r.getTime());
        }
        boolean hasEmbedding = facts != null && facts.getEmbedding() != null && !facts.getEmbedding().isEmpty();
        boolean awaitsEmbedding = awaitImageEmbeddings && !hasEmbedding && facts != null
                && facts.getStudyUid() != null && !facts.getImages().isEmpty();
        // The study's trigger: on arrival, or, when an embedder was asked for its embedding, when that arrives
        // (a new embedding of a known study), so that the alert can search the imaging space.
        boolean raises = index < 0 ? !awaitsEmbedding
                : awaitImageEmbeddings && hasEmbedding && !Objects.equals(embedding, state.getImagingEmbedding());
        List<Trigger> triggers = raises && recent(latestStudy, fact)
                ? List.of(new Trigger(TriggerType.NEW_IMAGING_STUDY, fact, null, AlertIndicator.info)) : List.of();
        return new Update(updated, true, triggers);
    }

    // ------------------------------------------------------------------ treatments

    private Update treatment(PatientState state, ClinicalFact fact) {
        Map<String, TreatmentCourse> updated = courses.apply(state.getTreatments(), fact);
        if (updated == state.getTreatments()) {
            return unchanged(state);
        }
        PatientState next = PatientStates.next(state);
        next.setTreatments(updated);
        next.setLastEventTime(fact.getRetracted() ? state.getLastEventTime()
                : later(state.getLastEventTime(), fact.getEffectiveTime()));
        return changed(next);
    }

    // ------------------------------------------------------------------ helpers

    private static Update unchanged(PatientState state) {
        return new Update(state, false, List.of());
    }

    private static Update changed(PatientState state) {
        return new Update(state, true, List.of());
    }

    private static PatientState next(PatientState state, Map<String, FeatureValue> features,
            Map<String, FeatureHistory> history, Instant eventTime) {
        PatientState updated = PatientStates.next(state);
        updated.setFeatures(features);
        updated.setHistory(history);
        updated.setLastEventTime(later(state.getLastEventTime(), eventTime));
        return updated;
    }

    private static Instant later(Instant a, Instant b) {
        return a == null || (b != null && b.isAfter(a)) ? b : a;
    }
}
