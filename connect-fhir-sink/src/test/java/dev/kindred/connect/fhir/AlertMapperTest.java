package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.RiskAssessment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(120)
class AlertMapperTest {

    private static final String SYSTEM = "urn:test:alert-id";
    private static final String ALERT_ID = "0b6c3f1e-6a3e-3c1f-9d7e-2f4b5a6c7d8e";
    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static FhirValidator validator;

    @BeforeAll
    static void profileValidator() {
        ValidationSupportChain support = new ValidationSupportChain(new DefaultProfileValidationSupport(FHIR),
            new InMemoryTerminologyServerValidationSupport(FHIR), new CommonCodeSystemsTerminologyService(FHIR));
        validator = FHIR.newValidator().registerValidatorModule(new FhirInstanceValidator(support));
    }

    @ParameterizedTest
    @EnumSource(AlertResourceType.class)
    void everyTypeIsAValidR4ResourceWithTheAlertIdAndNoEmptyFields(AlertResourceType type) throws Exception {
        Resource resource = new AlertMapper(type, SYSTEM).map(Alerts.alert(ALERT_ID, "pat-1"));

        assertThat(resource.fhirType()).isEqualTo(type.fhirType());
        assertThat(resource.getIdElement().getIdPart()).isEqualTo(ALERT_ID);
        List<String> errors = errors(resource);
        assertThat(errors).as("profile validation errors").isEmpty();

        String json = FHIR.newJsonParser().encodeResourceToString(resource);
        JsonNode tree = new ObjectMapper().readTree(json);
        assertThat(tree.get("identifier").get(0).get("system").asText()).isEqualTo(SYSTEM);
        assertThat(tree.get("identifier").get(0).get("value").asText()).isEqualTo(ALERT_ID);
        assertThat(emptyOrNullFields(tree, "$")).isEmpty();
        assertThat(json).as("no other patient's key leaks into this patient's record")
            .doesNotContain(Alerts.NEIGHBOUR_KEY);
    }

    @Test
    void detectedIssueCarriesSeverityTriggerEvidenceAndRecommendations() {
        DetectedIssue issue = (DetectedIssue) new AlertMapper(AlertResourceType.DETECTED_ISSUE, SYSTEM)
            .map(Alerts.alert(ALERT_ID, "pat-1"));
        assertThat(issue.getStatus()).isEqualTo(DetectedIssue.DetectedIssueStatus.FINAL);
        assertThat(issue.getSeverity()).isEqualTo(DetectedIssue.DetectedIssueSeverity.MODERATE);
        assertThat(issue.getPatient().getReference()).isEqualTo("Patient/pat-1");
        assertThat(issue.getCode().getCodingFirstRep().getSystem()).isEqualTo("http://loinc.org");
        assertThat(issue.getCode().getCodingFirstRep().getCode()).isEqualTo("4548-4");
        assertThat(issue.getCode().getText()).startsWith("HbA1c 9.1 % above range");
        assertThat(issue.getDetail()).startsWith("**HbA1c** 9.1 %");
        assertThat(issue.getIdentifiedDateTimeType().getValueAsString()).startsWith("2024-03-01T08:30:02.250");
        assertThat(issue.getAuthor().getDisplay()).isEqualTo("Kindred similar-patient evidence");
        assertThat(issue.getEvidence()).hasSize(2);
        assertThat(issue.getEvidence().get(0).getDetailFirstRep().getReference()).isEqualTo("Observation/obs-pat-1");
        assertThat(issue.getEvidence().get(1).getCodeFirstRep().getCodingFirstRep().getCode()).isEqualTo("860975");
        assertThat(issue.getEvidence().get(1).getCodeFirstRep().getText())
            .isEqualTo("metformin hydrochloride 500 MG: improved in 6 of 8 similar patients with a known outcome "
                + "(9 treated; similarity-weighted rate 0.78, 95% lower bound 0.47)");
    }

    @Test
    void severityFollowsTheIndicator() {
        Map<AlertIndicator, DetectedIssue.DetectedIssueSeverity> expected = Map.of(
            AlertIndicator.critical, DetectedIssue.DetectedIssueSeverity.HIGH,
            AlertIndicator.warning, DetectedIssue.DetectedIssueSeverity.MODERATE,
            AlertIndicator.info, DetectedIssue.DetectedIssueSeverity.LOW);
        AlertMapper detectedIssues = new AlertMapper(AlertResourceType.DETECTED_ISSUE, SYSTEM);
        AlertMapper flags = new AlertMapper(AlertResourceType.FLAG, SYSTEM);
        AlertMapper risks = new AlertMapper(AlertResourceType.RISK_ASSESSMENT, SYSTEM);
        Map<AlertIndicator, String> priority = Map.of(AlertIndicator.critical, "PH", AlertIndicator.warning, "PM",
            AlertIndicator.info, "PL");
        Map<AlertIndicator, String> risk = Map.of(AlertIndicator.critical, "high", AlertIndicator.warning,
            "moderate", AlertIndicator.info, "low");
        for (AlertIndicator indicator : AlertIndicator.values()) {
            ClinicalAlert alert = Alerts.alert(ALERT_ID, "pat-1");
            alert.setIndicator(indicator);
            assertThat(((DetectedIssue) detectedIssues.map(alert)).getSeverity()).isEqualTo(expected.get(indicator));
            Flag flag = (Flag) flags.map(alert);
            assertThat(((org.hl7.fhir.r4.model.CodeableConcept) flag.getExtensionByUrl(
                AlertMapper.FLAG_PRIORITY_EXTENSION).getValue()).getCodingFirstRep().getCode())
                .isEqualTo(priority.get(indicator));
            RiskAssessment assessment = (RiskAssessment) risks.map(alert);
            assertThat(assessment.getPredictionFirstRep().getQualitativeRisk().getCodingFirstRep().getCode())
                .isEqualTo(risk.get(indicator));
        }
    }

    @Test
    void riskAssessmentCarriesRecommendationsAsMitigationAndDetailAsNote() {
        RiskAssessment assessment = (RiskAssessment) new AlertMapper(AlertResourceType.RISK_ASSESSMENT, SYSTEM)
            .map(Alerts.alert(ALERT_ID, "pat-1"));
        assertThat(assessment.getSubject().getReference()).isEqualTo("Patient/pat-1");
        assertThat(assessment.getBasisFirstRep().getReference()).isEqualTo("Observation/obs-pat-1");
        assertThat(assessment.getMitigation()).startsWith("metformin hydrochloride 500 MG: improved in 6 of 8");
        assertThat(assessment.getNoteFirstRep().getText()).startsWith("**HbA1c**");
        assertThat(assessment.getPredictionFirstRep().getOutcome().getCodingFirstRep().getCode()).isEqualTo("4548-4");
    }

    @Test
    void patientKeysOfContainedOrIdentifiedPatientsBecomeLogicalReferences() throws Exception {
        Reference reference = AlertMapper.patientReference("identifier:http://hospital.example/mrn|12345");
        assertThat(reference.hasReference()).isFalse();
        assertThat(reference.getType()).isEqualTo("Patient");
        assertThat(reference.getIdentifier().getSystem()).isEqualTo("http://hospital.example/mrn");
        assertThat(reference.getIdentifier().getValue()).isEqualTo("12345");

        Resource flag = new AlertMapper(AlertResourceType.FLAG, SYSTEM)
            .map(Alerts.alert(ALERT_ID, "identifier:http://hospital.example/mrn|12345"));
        assertThat(errors(flag)).isEmpty();
    }

    @Test
    void alertsThatCannotBeMappedSayWhichFieldWithoutItsValue() {
        AlertMapper mapper = new AlertMapper(AlertResourceType.DETECTED_ISSUE, SYSTEM);
        assertThatThrownBy(() -> mapper.map(Alerts.alert(ALERT_ID, "not a/valid id")))
            .isInstanceOf(UnmappableAlertException.class)
            .hasMessageContaining("patient key")
            .hasMessageNotContaining("not a/valid id");
        assertThatThrownBy(() -> mapper.map(Alerts.alert(ALERT_ID, " ")))
            .isInstanceOf(UnmappableAlertException.class);
        assertThatThrownBy(() -> mapper.map(Alerts.alert("", "pat-1")))
            .isInstanceOf(UnmappableAlertException.class).hasMessageContaining("alert id");
    }

    @Test
    void absentOptionalValuesAreLeftOut() throws Exception {
        ClinicalAlert sparse = Alerts.alert(ALERT_ID, "pat-1");
        sparse.setDetail("");
        sparse.getTrigger().setDisplay(null);
        sparse.getTrigger().setSourceResource(null);
        sparse.setRecommendations(List.of());
        for (AlertResourceType type : AlertResourceType.values()) {
            Resource resource = new AlertMapper(type, SYSTEM).map(sparse);
            JsonNode tree = new ObjectMapper().readTree(FHIR.newJsonParser().encodeResourceToString(resource));
            assertThat(emptyOrNullFields(tree, "$")).as(type.fhirType()).isEmpty();
            assertThat(errors(resource)).as(type.fhirType()).isEmpty();
        }
        DetectedIssue issue = (DetectedIssue) new AlertMapper(AlertResourceType.DETECTED_ISSUE, SYSTEM).map(sparse);
        assertThat(issue.hasDetail()).isFalse();
        assertThat(issue.getEvidence()).singleElement()
            .satisfies(e -> assertThat(e.hasDetail()).isFalse());
    }

    private static List<String> errors(Resource resource) {
        return validator.validateWithResult(resource).getMessages().stream()
            .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
            .map(SingleValidationMessage::toString).toList();
    }

    /** Paths of JSON fields that are null, "", [] or {}. */
    private static List<String> emptyOrNullFields(JsonNode node, String path) {
        List<String> found = new ArrayList<>();
        if (node.isNull() || node.isTextual() && node.asText().isEmpty() || node.isContainerNode() && node.isEmpty()) {
            found.add(path);
        }
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> found.addAll(emptyOrNullFields(e.getValue(), path + "." + e.getKey())));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                found.addAll(emptyOrNullFields(node.get(i), path + "[" + i + "]"));
            }
        }
        return found;
    }
}
