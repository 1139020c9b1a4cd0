package dev.kindred.clinical.advice;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import dev.kindred.clinical.alerts.AlertFactory;
import dev.kindred.clinical.outcomes.MeasurementRule;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.RangeCheck;
import dev.kindred.clinical.patient.Trigger;
import dev.kindred.clinical.pipeline.PatientIndex;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.ValueRange;
import dev.kindred.index.Neighbour;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The clinical answers the HTTP API and the CDS Hooks service need on request, not on an event: the alert a
 * patient's current state would give (for a patient-view call about a patient without alerts, and for "similar
 * patients now"), and how similar patients did on one drafted medication (for order-select and order-sign). It
 * builds on the same {@link AlertFactory}, {@link Recommender} and vectorizer as the stream, with the
 * {@link PatientPipeline}'s settings, so an answer on request and an alert agree on every number.
 *
 * <p>Stateless and thread-safe.
 */
public final class OnDemandAdvice {
    /** Code system of the trigger of an alert computed on request when no value is out of range. */
    public static final String ON_REQUEST_SYSTEM = "https://kindred.dev/fhir/CodeSystem/on-request";
    public static final String CURRENT_STATE_CODE = "current-state";

    private final FeatureCatalog catalog;
    private final PipelineSettings settings;
    private final PatientVectorizer vectorizer;
    private final OutcomeRules rules;
    private final AlertFactory alerts;
    private final Recommender recommender;

    public OnDemandAdvice(PatientPipeline pipeline, OutcomeRules rules) {
        this.catalog = pipeline.catalog();
        this.settings = pipeline.settings();
        this.vectorizer = pipeline.vectorizer();
        this.rules = rules;
        this.recommender = new Recommender(rules, settings.recommend());
        this.alerts = new AlertFactory(catalog, settings.alertNeighbours(), settings.metric(), vectorizer, recommender);
    }

    public PatientVectorizer vectorizer() {
        return vectorizer;
    }

    public FeatureCatalog catalog() {
        return catalog;
    }

    public int neighbours() {
        return settings.alertNeighbours();
    }

    /**
     * The alert the patient's current state gives, as if its most significant current value had just arrived:
     * the most severe of its values outside their reference range (critical first, then the latest), with the
     * similar patients and recommendations of now. Its id is the one the stream gives an alert on that value,
     * so feedback on it and on the streamed alert meet. A patient with no value out of range gets an
     * {@code info} alert about its similar patients and what worked for them, marked as computed on request.
     *
     * @return empty when the patient has nothing to search with (no clinical vector)
     */
    public Optional<ClinicalAlert> currentAlert(PatientState state, PatientIndex index, Instant now) {
        Map<String, List<Float>> vectors = vectorizer.vectors(state);
        if (!vectors.containsKey(vectorizer.clinicalSpace())) {
            return Optional.empty();
        }
        Trigger trigger = mostSignificant(state);
        if (trigger != null) {
            return Optional.of(alerts.build(trigger, state, vectors, index, now));
        }
        Instant when = state.getLastEventTime() != null ? state.getLastEventTime() : now;
        ClinicalFact fact = ClinicalFact.newBuilder()
                .setPatientKey(state.getPatientKey())
                .setKind(FactKind.MEASUREMENT)
                .setSystem(ON_REQUEST_SYSTEM)
                .setCode(CURRENT_STATE_CODE)
                .setDisplay("Current state")
                .setEffectiveTime(when)
                .setSourceResourceType("Patient")
                .build();
        Trigger none = new Trigger(TriggerType.OUT_OF_RANGE, fact,
                new RangeCheck(false, 0, AlertIndicator.info, ValueRange.UNBOUNDED), AlertIndicator.info);
        ClinicalAlert built = alerts.build(none, state, vectors, index, now);
        ClinicalAlert.Builder b = ClinicalAlert.newBuilder(built);
        b.setSummary(neutralSummary(built));
        String detail = built.getDetail();
        int firstBreak = detail.indexOf("\n\n");
        b.setDetail("**Computed on request** from the patient's current features: no value is outside its reference"
                + " range.\n\n" + (firstBreak < 0 ? "" : detail.substring(firstBreak + 2)));
        return Optional.of(b.build());
    }

    private static String neutralSummary(ClinicalAlert a) {
        String text = "No value outside its reference range; " + a.getSimilarPatients().size() + " similar patients";
        if (!a.getRecommendations().isEmpty()) {
            TreatmentRecommendation top = a.getRecommendations().get(0);
            String more = String.format(Locale.ROOT, "; %d/%d improved on %s", top.getNeighboursImproved(),
                    top.getNeighboursWithOutcome(), top.getDisplay() != null ? top.getDisplay() : top.getCode());
            if (text.length() + more.length() <= AlertFactory.MAX_SUMMARY) {
                text += more;
            }
        }
        return text.length() <= AlertFactory.MAX_SUMMARY ? text : text.substring(0, AlertFactory.MAX_SUMMARY - 1) + "…";
    }

    /** The current value outside its range that matters most: critical before warning, then the latest. */
    Trigger mostSignificant(PatientState state) {
        Trigger best = null;
        for (FeatureValue v : state.getFeatures().values()) {
            Feature f = catalog.feature(v.getFeatureId());
            if (f == null) {
                continue;
            }
            RangeCheck check = RangeCheck.of(v.getValue(), f, v.getReferenceLow(), v.getReferenceHigh(),
                    v.getInterpretation());
            if (!check.abnormal()) {
                continue;
            }
            ClinicalFact fact = ClinicalFact.newBuilder()
                    .setPatientKey(state.getPatientKey())
                    .setKind(FactKind.MEASUREMENT)
                    .setFeatureId(v.getFeatureId())
                    .setSystem("http://loinc.org")
                    .setCode(v.getCode())
                    .setDisplay(f.name())
                    .setValue(v.getValue())
                    .setUnit(v.getUnit())
                    .setReferenceLow(v.getReferenceLow())
                    .setReferenceHigh(v.getReferenceHigh())
                    .setInterpretation(v.getInterpretation())
                    .setEffectiveTime(v.getEffectiveTime())
                    .setSourceResourceType("Observation")
                    .setSourceResourceId(v.getSourceResourceId())
                    .build();
            Trigger t = new Trigger(TriggerType.OUT_OF_RANGE, fact, check);
            if (best == null || compare(t, best) > 0) {
                best = t;
            }
        }
        return best;
    }

    private static int compare(Trigger a, Trigger b) {
        int bySeverity = Integer.compare(a.severity().ordinal(), b.severity().ordinal());
        if (bySeverity != 0) {
            return bySeverity;
        }
        int byTime = a.fact().getEffectiveTime().compareTo(b.fact().getEffectiveTime());
        return byTime != 0 ? byTime : b.fact().getFeatureId().compareTo(a.fact().getFeatureId());
    }

    /** One similar patient as evidence: its key, similarity and its treatments' outcomes. */
    public record SimilarEvidence(String patientKey, double similarity, List<TreatmentOutcome> outcomes) {
    }

    /**
     * How similar patients did on one medication.
     *
     * @param treatment system|code of the drafted medication
     * @param display its display, when known
     * @param neighbours the similar patients searched, nearest first
     * @param drafted the tally for the drafted medication among them; empty when none of them received it
     * @param alternatives better-supported treatments for the same target (same outcome-rule feature, or the same
     *     diagnosis), ranked as alert recommendations are, each with a Wilson bound above the drafted medication's
     * @param target what the medication is judged against: the outcome rule's feature, or the diagnosis it treats
     *     (system|code); null when neither is known
     */
    public record MedicationEvidence(String treatment, String display, List<SimilarEvidence> neighbours,
            Optional<Recommender.Tally> drafted, List<TreatmentRecommendation> alternatives, String target,
            String rule) {
    }

    /**
     * How the patient's similar patients did on a drafted medication, and the treatments with better support
     * for what it treats.
     *
     * @param reasons what the draft says it treats (reasonCode as system|code), may be empty
     * @return empty when the patient has nothing to search with (no clinical vector)
     */
    public Optional<MedicationEvidence> medicationEvidence(PatientState state, PatientIndex index, String system,
            String code, String display, List<String> reasons, Instant now) {
        Map<String, List<Float>> vectors = vectorizer.vectors(state);
        String space = vectorizer.clinicalSpace();
        List<Float> own = vectors.get(space);
        if (own == null) {
            return Optional.empty();
        }
        List<SimilarEvidence> neighbours = new ArrayList<>();
        List<Recommender.Evidence> evidence = new ArrayList<>();
        if (index.size(space) > 0) {
            String self = state.getPatientKey();
            for (Neighbour<List<TreatmentOutcome>> n : index.search(space, PatientVectorizer.toArray(own),
                    settings.alertNeighbours(), item -> !item.key().equals(self))) {
                List<TreatmentOutcome> outcomes = n.payload() == null ? List.of() : n.payload();
                double similarity = settings.metric().similarity(n.distance());
                neighbours.add(new SimilarEvidence(n.key(), similarity, outcomes));
                evidence.add(new Recommender.Evidence(n.key(), similarity, outcomes));
            }
        }
        String key = OutcomeRules.key(system, code);
        MeasurementRule rule = rules.ruleFor(key);
        String diagnosis = reasons.isEmpty() ? null : reasons.get(0);
        Map<String, Recommender.Tally> tallies = Recommender.tally(evidence,
                new Recommender.Focus(rule == null ? null : rule.feature(), diagnosis));
        Optional<Recommender.Tally> drafted = Optional.ofNullable(tallies.get(key));
        if (diagnosis == null && rule == null && drafted.isPresent() && !drafted.get().reasons().isEmpty()) {
            // No rule and no reason on the draft: what the neighbours took it for.
            diagnosis = drafted.get().reasons().stream().sorted().findFirst().orElse(null);
        }
        Recommender.Focus focus = new Recommender.Focus(rule == null ? null : rule.feature(), diagnosis);
        List<TreatmentRecommendation> alternatives = new ArrayList<>();
        if (focus.featureId() != null || focus.diagnosis() != null) {
            double bar = drafted.map(Recommender.Tally::wilsonLowerBound).orElse(0.0);
            for (TreatmentRecommendation r : recommender.recommend(evidence, state, now, focus)) {
                if (r.getMatchesTrigger() && !OutcomeRules.key(r.getSystem(), r.getCode()).equals(key)
                        && r.getWilsonLowerBound() > bar) {
                    alternatives.add(r);
                }
            }
            alternatives.sort(Comparator.comparingDouble(TreatmentRecommendation::getWilsonLowerBound).reversed());
        }
        String target = focus.featureId() != null ? focus.featureId() : focus.diagnosis();
        String name = display != null ? display : drafted.map(Recommender.Tally::display).orElse(null);
        return Optional.of(new MedicationEvidence(key, name, neighbours, drafted, alternatives, target,
                rule == null ? null : rule.id()));
    }
}
