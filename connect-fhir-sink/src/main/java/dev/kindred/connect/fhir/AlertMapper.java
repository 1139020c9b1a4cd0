package dev.kindred.connect.fhir;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.TreatmentRecommendation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TimeZone;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.RiskAssessment;

/**
 * Turns a {@link ClinicalAlert} into the FHIR resource it is written as. Only what the alert says goes in:
 * absent values are left out (no nulls, no empty strings), and nothing about the similar patients is
 * written, since their keys belong to other patients' records.
 *
 * <p>Common to every type: the logical id ({@link ResourceIds#fromAlertId}), an identifier
 * {@code system|alertId}, the patient (a {@code Patient/{key}} reference, or a logical reference by
 * identifier for keys of the form {@code identifier:system|value}), the trigger as a coding (system, code,
 * display) with the alert summary as text, and the alert source's label as author.
 */
public final class AlertMapper {

    static final String FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority";
    static final String FLAG_PRIORITY_SYSTEM = "http://hl7.org/fhir/flag-priority-code";
    static final String FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category";
    static final String RISK_PROBABILITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability";
    private static final String IDENTIFIER_KEY_PREFIX = "identifier:";
    private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

    private final AlertResourceType type;
    private final String identifierSystem;

    public AlertMapper(AlertResourceType type, String identifierSystem) {
        this.type = type;
        this.identifierSystem = identifierSystem;
    }

    public AlertResourceType type() {
        return type;
    }

    /**
     * The resource for {@code alert}, with its id set.
     *
     * @throws UnmappableAlertException when the alert lacks what the resource needs (the message names the
     *     field, never its value)
     */
    public Resource map(ClinicalAlert alert) {
        if (blank(alert.getAlertId())) {
            throw new UnmappableAlertException("the alert has no alert id");
        }
        Reference patient = patientReference(alert.getPatientKey());
        Resource resource = switch (type) {
            case DETECTED_ISSUE -> detectedIssue(alert, patient);
            case FLAG -> flag(alert, patient);
            case RISK_ASSESSMENT -> riskAssessment(alert, patient);
        };
        resource.setId(ResourceIds.fromAlertId(alert.getAlertId()));
        return resource;
    }

    /** The identifier that carries the alert id. */
    public Identifier identifier(String alertId) {
        return new Identifier().setUse(Identifier.IdentifierUse.OFFICIAL).setSystem(identifierSystem).setValue(alertId);
    }

    private DetectedIssue detectedIssue(ClinicalAlert alert, Reference patient) {
        DetectedIssue issue = new DetectedIssue();
        issue.addIdentifier(identifier(alert.getAlertId()));
        issue.setStatus(DetectedIssue.DetectedIssueStatus.FINAL);
        issue.setCode(triggerConcept(alert));
        issue.setSeverity(switch (indicator(alert)) {
            case critical -> DetectedIssue.DetectedIssueSeverity.HIGH;
            case warning -> DetectedIssue.DetectedIssueSeverity.MODERATE;
            case info -> DetectedIssue.DetectedIssueSeverity.LOW;
        });
        issue.setPatient(patient);
        setIfPresent(alert.getProcessingTime(), time -> issue.setIdentified(dateTime(time)));
        author(alert).ifPresent(issue::setAuthor);
        if (!blank(alert.getDetail())) {
            issue.setDetail(alert.getDetail());
        }
        if (alert.getSource() != null && !blank(alert.getSource().getUrl())) {
            issue.setReference(alert.getSource().getUrl());
        }
        DetectedIssue.DetectedIssueEvidenceComponent trigger = issue.addEvidence();
        triggerCoding(alert.getTrigger()).ifPresent(coding -> trigger.addCode(new CodeableConcept(coding)));
        sourceReference(alert.getTrigger()).ifPresent(trigger::addDetail);
        if (trigger.isEmpty()) {
            issue.getEvidence().remove(trigger);
        }
        for (TreatmentRecommendation recommendation : recommendations(alert)) {
            CodeableConcept treatment = treatmentConcept(recommendation);
            treatment.setText(evidenceText(recommendation));
            issue.addEvidence().addCode(treatment);
        }
        return issue;
    }

    private Flag flag(ClinicalAlert alert, Reference patient) {
        Flag flag = new Flag();
        flag.addIdentifier(identifier(alert.getAlertId()));
        flag.setStatus(Flag.FlagStatus.ACTIVE);
        flag.addCategory(new CodeableConcept(new Coding(FLAG_CATEGORY_SYSTEM, "clinical", "Clinical")));
        flag.setCode(triggerConcept(alert));
        flag.setSubject(patient);
        setIfPresent(alert.getEventTime(), time -> flag.setPeriod(new Period().setStartElement(dateTime(time))));
        author(alert).ifPresent(flag::setAuthor);
        String priority = switch (indicator(alert)) {
            case critical -> "PH";
            case warning -> "PM";
            case info -> "PL";
        };
        String priorityDisplay = switch (indicator(alert)) {
            case critical -> "High priority";
            case warning -> "Medium priority";
            case info -> "Low priority";
        };
        flag.addExtension(FLAG_PRIORITY_EXTENSION,
            new CodeableConcept(new Coding(FLAG_PRIORITY_SYSTEM, priority, priorityDisplay)));
        return flag;
    }

    private RiskAssessment riskAssessment(ClinicalAlert alert, Reference patient) {
        RiskAssessment assessment = new RiskAssessment();
        assessment.addIdentifier(identifier(alert.getAlertId()));
        assessment.setStatus(RiskAssessment.RiskAssessmentStatus.FINAL);
        assessment.setSubject(patient);
        setIfPresent(alert.getProcessingTime(),
            time -> assessment.setOccurrence(dateTime(time)));
        author(alert).ifPresent(assessment::setPerformer);
        sourceReference(alert.getTrigger()).ifPresent(assessment::addBasis);
        RiskAssessment.RiskAssessmentPredictionComponent prediction = assessment.addPrediction();
        prediction.setOutcome(triggerConcept(alert));
        String risk = switch (indicator(alert)) {
            case critical -> "high";
            case warning -> "moderate";
            case info -> "low";
        };
        prediction.setQualitativeRisk(new CodeableConcept(new Coding(RISK_PROBABILITY_SYSTEM, risk,
            risk.substring(0, 1).toUpperCase(Locale.ROOT) + risk.substring(1) + " likelihood")));
        if (!blank(alert.getSummary())) {
            prediction.setRationale(alert.getSummary());
        }
        List<String> mitigation = new ArrayList<>();
        for (TreatmentRecommendation recommendation : recommendations(alert)) {
            mitigation.add(evidenceText(recommendation));
        }
        if (!mitigation.isEmpty()) {
            assessment.setMitigation(String.join("\n", mitigation));
        }
        if (!blank(alert.getDetail())) {
            assessment.addNote(new Annotation().setText(alert.getDetail()));
        }
        return assessment;
    }

    // ------------------------------------------------------------------------------ pieces

    /**
     * {@code Patient/{key}} for a key that is a FHIR id; a logical reference by identifier for
     * {@code identifier:system|value} (the key Kindred gives contained and identifier-only patients).
     */
    static Reference patientReference(String patientKey) {
        if (blank(patientKey)) {
            throw new UnmappableAlertException("the alert has no patient key");
        }
        if (patientKey.startsWith(IDENTIFIER_KEY_PREFIX)) {
            String identifier = patientKey.substring(IDENTIFIER_KEY_PREFIX.length());
            int bar = identifier.indexOf('|');
            String system = bar < 0 ? null : identifier.substring(0, bar);
            String value = bar < 0 ? identifier : identifier.substring(bar + 1);
            if (blank(value)) {
                throw new UnmappableAlertException("the alert's patient key names an identifier without a value");
            }
            Identifier logical = new Identifier().setValue(value);
            if (!blank(system)) {
                logical.setSystem(system);
            }
            return new Reference().setType("Patient").setIdentifier(logical);
        }
        if (!ResourceIds.isValidId(patientKey)) {
            throw new UnmappableAlertException("the alert's patient key is neither a FHIR id nor "
                + "identifier:system|value");
        }
        return new Reference("Patient/" + patientKey);
    }

    private static CodeableConcept triggerConcept(ClinicalAlert alert) {
        CodeableConcept concept = new CodeableConcept();
        triggerCoding(alert.getTrigger()).ifPresent(concept::addCoding);
        if (!blank(alert.getSummary())) {
            concept.setText(alert.getSummary());
        }
        if (concept.isEmpty()) {
            throw new UnmappableAlertException("the alert has neither a trigger code nor a summary");
        }
        return concept;
    }

    private static Optional<Coding> triggerCoding(AlertTrigger trigger) {
        if (trigger == null || blank(trigger.getCode())) {
            return Optional.empty();
        }
        Coding coding = new Coding().setCode(trigger.getCode());
        if (!blank(trigger.getSystem())) {
            coding.setSystem(trigger.getSystem());
        }
        if (!blank(trigger.getDisplay())) {
            coding.setDisplay(trigger.getDisplay());
        }
        return Optional.of(coding);
    }

    /** The trigger's source resource, when it is a relative Type/id reference. */
    private static Optional<Reference> sourceReference(AlertTrigger trigger) {
        if (trigger == null || blank(trigger.getSourceResource())) {
            return Optional.empty();
        }
        String[] parts = trigger.getSourceResource().split("/");
        if (parts.length != 2 || !parts[0].matches("[A-Z][A-Za-z]+") || !ResourceIds.isValidId(parts[1])) {
            return Optional.empty();
        }
        return Optional.of(new Reference(trigger.getSourceResource()));
    }

    private static Optional<Reference> author(ClinicalAlert alert) {
        if (alert.getSource() == null || blank(alert.getSource().getLabel())) {
            return Optional.empty();
        }
        return Optional.of(new Reference().setDisplay(alert.getSource().getLabel()));
    }

    private static AlertIndicator indicator(ClinicalAlert alert) {
        return alert.getIndicator() == null ? AlertIndicator.info : alert.getIndicator();
    }

    private static List<TreatmentRecommendation> recommendations(ClinicalAlert alert) {
        return alert.getRecommendations() == null ? List.of() : alert.getRecommendations().stream()
            .filter(r -> !blank(r.getCode())).toList();
    }

    private static CodeableConcept treatmentConcept(TreatmentRecommendation recommendation) {
        Coding coding = new Coding().setCode(recommendation.getCode());
        if (!blank(recommendation.getSystem())) {
            coding.setSystem(recommendation.getSystem());
        }
        if (!blank(recommendation.getDisplay())) {
            coding.setDisplay(recommendation.getDisplay());
        }
        return new CodeableConcept(coding);
    }

    /** One line of evidence for a recommended treatment, from the alert's own counts. */
    static String evidenceText(TreatmentRecommendation r) {
        String name = blank(r.getDisplay()) ? r.getCode() : r.getDisplay();
        return String.format(Locale.ROOT, "%s: improved in %d of %d similar patients with a known outcome "
                + "(%d treated; similarity-weighted rate %.2f, 95%% lower bound %.2f)%s", name,
            r.getNeighboursImproved(), r.getNeighboursWithOutcome(), r.getNeighboursTreated(),
            r.getWeightedImprovementRate(), r.getWilsonLowerBound(),
            r.getAlreadyReceiving() ? "; the patient already receives it" : "");
    }

    /** Millisecond precision in UTC, as the alert has it (HAPI's default would cut to seconds). */
    private static DateTimeType dateTime(Instant time) {
        return new DateTimeType(Date.from(time), TemporalPrecisionEnum.MILLI, UTC);
    }

    private static void setIfPresent(Instant time, Consumer<Instant> setter) {
        if (time != null) {
            setter.accept(time);
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
