package dev.kindred.fhir;

import static dev.kindred.fhir.testing.FhirJson.bundle;
import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.imagingStudy;
import static dev.kindred.fhir.testing.FhirJson.medicationAdministration;
import static dev.kindred.fhir.testing.FhirJson.medicationRequest;
import static dev.kindred.fhir.testing.FhirJson.patient;
import static dev.kindred.fhir.testing.FhirJson.procedure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DicomImageRef;
import dev.kindred.avro.ImagingFacts;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.avro.FactKind;
import dev.kindred.fhir.testing.FhirJson;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** Patient, Condition, medications, Procedure and ImagingStudy to facts, as the ClinicalFact contract documents. */
class ResourceMappersTest {
    private static final Instant ARRIVAL = Instant.parse("2030-01-01T00:00:00Z");
    private final FhirMapper mapper = new FhirMapper(FhirJson.testCatalog());

    private MappingResult map(String json) {
        return mapper.map(bytes(json), ARRIVAL);
    }

    private ClinicalFact single(String json) {
        MappingResult result = map(json);
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).hasSize(1);
        return result.facts().get(0);
    }

    private Rejection rejected(String json) {
        MappingResult result = map(json);
        assertThat(result.facts()).isEmpty();
        assertThat(result.rejections()).hasSize(1);
        return result.rejections().get(0);
    }

    // ---------------------------------------------------------------- Patient

    @Test
    void patientGivesDemographicsAndNothingIdentifying() {
        String json = """
                {"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1961-07-14",
                 "name":[{"family":"Secretname"}],"deceasedDateTime":"2021-03-04T05:06:07Z",
                 "meta":{"lastUpdated":"2021-03-05T00:00:00Z"}}""";
        ClinicalFact fact = single(json);
        assertThat(fact.getKind()).isEqualTo(FactKind.DEMOGRAPHICS);
        assertThat(fact.getPatientKey()).isEqualTo("p1");
        assertThat(fact.getDemographics().getBirthDate()).isEqualTo(LocalDate.of(1961, 7, 14));
        assertThat(fact.getDemographics().getGender()).isEqualTo("female");
        assertThat(fact.getDemographics().getDeceased()).isTrue();
        assertThat(fact.getDemographics().getDeceasedTime()).isEqualTo(Instant.parse("2021-03-04T05:06:07Z"));
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2021-03-05T00:00:00Z"));
        assertThat(fact.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.ISSUED);
        assertThat(fact.getSourceResourceType()).isEqualTo("Patient");
        assertThat(fact.toString()).doesNotContain("Secretname");
    }

    @Test
    void patientWithoutBirthDateOrGenderStillMaps() {
        ClinicalFact fact = single(patient("p2", null, null));
        assertThat(fact.getDemographics().getBirthDate()).isNull();
        assertThat(fact.getDemographics().getGender()).isNull();
        assertThat(fact.getDemographics().getDeceased()).isFalse();
        assertThat(fact.getCode()).isEqualTo("unknown");
        assertThat(fact.getEffectiveTime()).isEqualTo(ARRIVAL);
        assertThat(fact.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.ARRIVAL);
        assertThat(single(patient("p3", "male", "1974-12-25").replace("}", ",\"deceasedBoolean\":true}"))
                .getDemographics().getDeceased()).isTrue();
    }

    @Test
    void patientKeyMatchesTheKeyOfReferencesToIt() {
        String uuid = "5c7e2a40-0f43-4b44-9a43-0e2b1f1b7a11";
        // A transaction POST: the Patient has no id, only its urn:uuid fullUrl; the Observation refers to that.
        String noId = "{\"resourceType\":\"Patient\",\"gender\":\"male\"}";
        MappingResult result = map(bundle("transaction", "urn:uuid:" + uuid, noId, null,
                FhirJson.observation("o1", "urn:uuid:" + uuid, "8867-4", 70, "/min", "2020-01-01")));
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).extracting(ClinicalFact::getPatientKey).containsExactly(uuid, uuid);
    }

    // ---------------------------------------------------------------- Condition

    @Test
    void conditionGivesDiagnosisWithStatusOnsetAndAbatement() {
        String json = condition("c1", "Patient/p1", "44054006", "resolved", "2015-02-03T04:05:06Z")
                .replace("\"onsetDateTime\"", "\"abatementDateTime\":\"2016-01-01\",\"onsetDateTime\"");
        ClinicalFact fact = single(json);
        assertThat(fact.getKind()).isEqualTo(FactKind.DIAGNOSIS);
        assertThat(fact.getSystem()).isEqualTo("http://snomed.info/sct");
        assertThat(fact.getCode()).isEqualTo("44054006");
        assertThat(fact.getStatus()).isEqualTo("resolved");
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2015-02-03T04:05:06Z"));
        assertThat(fact.getEndTime()).isEqualTo(Instant.parse("2016-01-01T00:00:00Z"));
        assertThat(fact.getRetracted()).isFalse();
        assertThat(fact.getFeatureId()).isNull();
    }

    @Test
    void conditionPrefersSnomedAndFallsBackToRecordedDate() {
        String json = """
                {"resourceType":"Condition","id":"c2",
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"},
                                   {"system":"http://snomed.info/sct","code":"44054006"}]},
                 "subject":{"reference":"Patient/p1"},"recordedDate":"2019-09-09"}""";
        ClinicalFact fact = single(json);
        assertThat(fact.getCode()).isEqualTo("44054006");
        assertThat(fact.getStatus()).isNull();
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2019-09-09T00:00:00Z"));
        assertThat(fact.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.ISSUED);
    }

    @Test
    void refutedOrEnteredInErrorConditionRetracts() {
        String refuted = condition("c3", "Patient/p1", "44054006", "inactive", "2015-01-01").replace("confirmed", "refuted");
        assertThat(single(refuted).getRetracted()).isTrue();
        String error = condition("c4", "Patient/p1", "44054006", "active", "2015-01-01").replace("confirmed",
                "entered-in-error");
        assertThat(single(error).getRetracted()).isTrue();
    }

    @Test
    void conditionWithoutCodeIsRejected() {
        String json = condition("c5", "Patient/p1", "X", "active", "2015-01-01")
                .replace("\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"X\"}]}",
                        "\"code\":{\"text\":\"something free text\"}");
        Rejection r = rejected(json);
        assertThat(r.reason()).isEqualTo(RejectionReason.MISSING_CODE);
        assertThat(r.resourceType()).isEqualTo("Condition");
        assertThat(r.resourceId()).isEqualTo("c5");
        assertThat(r.getMessage()).doesNotContain("free text");
    }

    // ---------------------------------------------------------------- medications and procedures

    @Test
    void medicationRequestGivesTreatmentWithRxNormStatusAndReasons() {
        String json = medicationRequest("m1", "Patient/p1", "860975", "active", "2020-02-02T10:00:00Z")
                .replace("\"authoredOn\"", "\"reasonCode\":[{\"coding\":[{\"system\":\"http://snomed.info/sct\","
                        + "\"code\":\"44054006\"}]}],\"reasonReference\":[{\"reference\":\"Condition/c1\"}],\"authoredOn\"");
        ClinicalFact fact = single(json);
        assertThat(fact.getKind()).isEqualTo(FactKind.TREATMENT);
        assertThat(fact.getSystem()).isEqualTo("http://www.nlm.nih.gov/research/umls/rxnorm");
        assertThat(fact.getCode()).isEqualTo("860975");
        assertThat(fact.getStatus()).isEqualTo("active");
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2020-02-02T10:00:00Z"));
        assertThat(fact.getReasons()).containsExactly("http://snomed.info/sct|44054006", "Condition/c1");
        assertThat(fact.getRetracted()).isFalse();
        assertThat(fact.getSourceResourceType()).isEqualTo("MedicationRequest");
    }

    @Test
    void medicationReferenceResolvesToContainedOrBundledMedication() {
        String contained = """
                {"resourceType":"MedicationRequest","id":"m2","status":"active","intent":"order",
                 "contained":[{"resourceType":"Medication","id":"med1",
                   "code":{"coding":[{"system":"http://snomed.info/sct","code":"324252006"},
                                     {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"308460"}]}}],
                 "medicationReference":{"reference":"#med1"},
                 "subject":{"reference":"Patient/p1"},"authoredOn":"2015-01-15"}""";
        assertThat(single(contained).getCode()).isEqualTo("308460");

        String medication = """
                {"resourceType":"Medication","id":"9a1f",
                 "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1535362"}]}}""";
        String request = """
                {"resourceType":"MedicationRequest","id":"m3","status":"stopped","intent":"order",
                 "medicationReference":{"reference":"urn:uuid:9a1f"},
                 "subject":{"reference":"urn:uuid:pp"},"authoredOn":"2015-09-28T18:13:55+00:00",
                 "reasonReference":[{"reference":"urn:uuid:cc"}]}""";
        String cond = condition("cc", "urn:uuid:pp", "10509002", "resolved", "2015-09-20");
        MappingResult result = map(bundle("transaction", "urn:uuid:9a1f", medication, "urn:uuid:m3", request,
                "urn:uuid:cc", cond));
        assertThat(result.rejections()).isEmpty();
        // The Medication also goes to the reference table, for requests in other records.
        assertThat(result.medications()).containsExactly(
                new MedicationEntry("Medication/9a1f", "http://www.nlm.nih.gov/research/umls/rxnorm", "1535362", null));
        ClinicalFact treatment = result.facts().stream().filter(f -> f.getKind() == FactKind.TREATMENT).findFirst()
                .orElseThrow();
        assertThat(treatment.getCode()).isEqualTo("1535362");
        assertThat(treatment.getStatus()).isEqualTo("stopped");
        assertThat(treatment.getReasons()).containsExactly("Condition/cc");
        assertThat(treatment.getPatientKey()).isEqualTo("pp");
    }

    @Test
    void aMedicationReferenceNotAtHandWaitsForTheMedicationOtherwiseUnknownMedication() {
        String json = medicationRequest("m4", "Patient/p1", "1", "active", "2020-01-01")
                .replaceAll("\"medicationCodeableConcept\":\\{.*?\\]\\}", "\"medicationReference\":{\"reference\":\"Medication/77\"}");
        MappingResult waiting = map(json);
        assertThat(waiting.facts()).isEmpty();
        assertThat(waiting.rejections()).isEmpty();
        assertThat(waiting.awaiting()).hasSize(1);
        AwaitingMedication awaiting = waiting.awaiting().get(0);
        assertThat(awaiting.medicationKey()).isEqualTo("Medication/77");
        assertThat(awaiting.fact().getPatientKey()).isEqualTo("p1");
        assertThat(new String(awaiting.resourceJson(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"m4\"");
        ClinicalFact completed = MedicationReferences.complete(awaiting.fact(),
                new MedicationEntry("Medication/77", "http://www.nlm.nih.gov/research/umls/rxnorm", "860975", "x"));
        assertThat(completed.getCode()).isEqualTo("860975");
        assertThat(completed.getSourceResourceId()).isEqualTo("m4");

        // A urn:uuid reference outside its Bundle can name nothing elsewhere: rejected at once.
        Rejection r = rejected(json.replace("Medication/77", "urn:uuid:77"));
        assertThat(r.reason()).isEqualTo(RejectionReason.UNKNOWN_MEDICATION);
        assertThat(r.getMessage()).contains("urn:uuid:77");
        assertThat(r.resourceId()).isEqualTo("m4");

        String textOnly = medicationRequest("m5", "Patient/p1", "1", "active", "2020-01-01")
                .replaceAll("\"medicationCodeableConcept\":\\{.*?\\]\\}", "\"medicationCodeableConcept\":{\"text\":\"aspirin\"}");
        assertThat(rejected(textOnly).reason()).isEqualTo(RejectionReason.UNKNOWN_MEDICATION);
    }

    @Test
    void cancelledOrEnteredInErrorTreatmentsRetract() {
        assertThat(single(medicationRequest("m6", "Patient/p1", "860975", "cancelled", "2020-01-01")).getRetracted())
                .isTrue();
        assertThat(single(medicationRequest("m7", "Patient/p1", "860975", "entered-in-error", "2020-01-01"))
                .getRetracted()).isTrue();
        assertThat(single(medicationAdministration("a1", "Patient/p1", "860975", "not-done", "2020-01-01"))
                .getRetracted()).isTrue();
        assertThat(single(procedure("pr1", "Patient/p1", "73761001", "not-done", "2020-01-01")).getRetracted())
                .isTrue();
        assertThat(single(procedure("pr2", "Patient/p1", "73761001", "completed", "2020-01-01")).getRetracted())
                .isFalse();
    }

    @Test
    void medicationAdministrationUsesItsEffectivePeriod() {
        String json = medicationAdministration("a2", "Patient/p1", "1535362", "completed", "X")
                .replace("\"effectiveDateTime\":\"X\"",
                        "\"effectivePeriod\":{\"start\":\"2015-01-15T14:30:00+01:00\",\"end\":\"2015-01-18T14:30:00+01:00\"}");
        ClinicalFact fact = single(json);
        assertThat(fact.getKind()).isEqualTo(FactKind.TREATMENT);
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2015-01-15T13:30:00Z"));
        assertThat(fact.getEndTime()).isEqualTo(Instant.parse("2015-01-18T13:30:00Z"));
        assertThat(fact.getSourceResourceType()).isEqualTo("MedicationAdministration");
    }

    @Test
    void procedureCarriesOutcomeAndPerformedPeriod() {
        String json = """
                {"resourceType":"Procedure","id":"pr3","status":"completed",
                 "code":{"coding":[{"system":"http://snomed.info/sct","code":"34068001"}]},
                 "subject":{"reference":"Patient/f001"},
                 "performedPeriod":{"start":"2011-06-26","end":"2011-06-27"},
                 "outcome":{"coding":[{"system":"http://snomed.info/sct","code":"385669000","display":"Successful"}]}}""";
        ClinicalFact fact = single(json);
        assertThat(fact.getCode()).isEqualTo("34068001");
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2011-06-26T00:00:00Z"));
        assertThat(fact.getEndTime()).isEqualTo(Instant.parse("2011-06-27T00:00:00Z"));
        assertThat(fact.getOutcome()).isEqualTo("http://snomed.info/sct|385669000");
        assertThat(single(json.replaceAll("\"outcome\":\\{.*\\}\\]\\}", "\"outcome\":{\"text\":\"improved\"}"))
                .getOutcome()).isNull();
        assertThat(rejected(json.replace("\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"34068001\"}]},",
                "")).reason()).isEqualTo(RejectionReason.MISSING_CODE);
    }

    // ---------------------------------------------------------------- ImagingStudy

    @Test
    void imagingStudyGivesModalitiesBodySitesProcedureCodesAndCounts() {
        String json = """
                {"resourceType":"ImagingStudy","id":"i1","status":"available",
                 "modality":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"}],
                 "subject":{"reference":"Patient/p1"},"started":"2017-01-01T11:01:20+03:00",
                 "procedureCode":[{"coding":[{"system":"http://www.radlex.org","code":"RPID2589"}]}],
                 "series":[
                  {"uid":"1.1","modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"},
                   "bodySite":{"system":"http://snomed.info/sct","code":"67734004"},"numberOfInstances":3},
                  {"uid":"1.2","modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"MR"},
                   "bodySite":{"system":"http://snomed.info/sct","code":"51185008"},
                   "instance":[{"uid":"1.2.1","sopClass":{"system":"urn:ietf:rfc:3986","code":"urn:oid:1.2"}}]}]}""";
        ClinicalFact fact = single(json);
        assertThat(fact.getKind()).isEqualTo(FactKind.IMAGING);
        assertThat(fact.getCode()).isEqualTo("RPID2589");
        assertThat(fact.getSystem()).isEqualTo("http://www.radlex.org");
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2017-01-01T08:01:20Z"));
        assertThat(fact.getImaging().getModalities()).containsExactly("CT", "MR");
        assertThat(fact.getImaging().getBodySites()).containsExactly("http://snomed.info/sct|67734004",
                "http://snomed.info/sct|51185008");
        assertThat(fact.getImaging().getProcedureCodes()).containsExactly("http://www.radlex.org|RPID2589");
        assertThat(fact.getImaging().getSeries()).isEqualTo(2);
        assertThat(fact.getImaging().getInstances()).isEqualTo(4);
        assertThat(fact.getImaging().getEmbedding()).isNull();
    }

    @Test
    void imagingStudyOfTheSpecNamesItsDicomStudyAndInstancesForTheEmbedder() {
        // The identifier and series of the spec's example-xr (r4-ImagingStudy-example-xr.json).
        String json = """
                {"resourceType":"ImagingStudy","id":"example-xr","status":"available",
                 "identifier":[{"use":"official","system":"urn:dicom:uid",
                   "value":"urn:oid:2.16.124.113543.6003.1154777499.30246.19789.3503430046"},
                  {"use":"secondary","value":"55551234"}],
                 "modality":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"DX"}],
                 "subject":{"reference":"Patient/dicom"},"started":"2017-01-01T11:01:20+03:00",
                 "series":[{"uid":"2.16.124.113543.6003.1154777499.30246.19789.3503430045.1","number":3,
                   "modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"DX"},
                   "instance":[{"uid":"2.16.124.113543.6003.1154777499.30246.19789.3503430045.1.1","number":1,
                     "sopClass":{"system":"urn:ietf:rfc:3986","code":"urn:oid:1.2.840.10008.5.1.4.1.1.2"}},
                    {"uid":"2.16.124.113543.6003.1154777499.30246.19789.3503430045.1.2","number":2,
                     "sopClass":{"system":"urn:ietf:rfc:3986","code":"urn:oid:1.2.840.10008.5.1.4.1.1.2"}}]}]}""";
        ImagingFacts facts = single(json).getImaging();
        assertThat(facts.getStudyUid()).isEqualTo("2.16.124.113543.6003.1154777499.30246.19789.3503430046");
        assertThat(facts.getImages()).extracting(DicomImageRef::getSopInstanceUid).containsExactly(
                "2.16.124.113543.6003.1154777499.30246.19789.3503430045.1.1",
                "2.16.124.113543.6003.1154777499.30246.19789.3503430045.1.2");
        assertThat(facts.getImages()).allSatisfy(i -> {
            assertThat(i.getSeriesUid()).isEqualTo("2.16.124.113543.6003.1154777499.30246.19789.3503430045.1");
            assertThat(i.getModality()).isEqualTo("DX");
        });
    }

    @Test
    void imagingStudyWithoutProcedureCodeIsCodedByModality() {
        ClinicalFact fact = single(imagingStudy("i2", "Patient/p1", "DX", "2017-04-07T10:20:39+00:00"));
        assertThat(fact.getCode()).isEqualTo("DX");
        assertThat(fact.getSystem()).isEqualTo("http://dicom.nema.org/resources/ontology/DCM");
        assertThat(fact.getImaging().getSeries()).isEqualTo(1);
        assertThat(fact.getImaging().getInstances()).isEqualTo(1);
        String noModality = """
                {"resourceType":"ImagingStudy","id":"i3","status":"available","subject":{"reference":"Patient/p1"}}""";
        assertThat(rejected(noModality).reason()).isEqualTo(RejectionReason.MISSING_CODE);
        assertThat(single(imagingStudy("i4", "Patient/p1", "CT", "2017-01-01").replace("available", "entered-in-error"))
                .getRetracted()).isTrue();
    }

    private static String withEmbedding(String study, String base64) {
        return study.replace("\"status\":\"available\",", "\"status\":\"available\",\"extension\":[{\"url\":\""
                + ImageEmbedding.URL + "\",\"valueBase64Binary\":\"" + base64 + "\"}],");
    }

    @Test
    void imageEmbeddingIsCarriedUnchanged() {
        float[] embedding = {0.25f, -1.5f, 3.0e-7f, 42f};
        String json = withEmbedding(imagingStudy("i5", "Patient/p1", "CT", "2020-01-01"), ImageEmbedding.encode(embedding));
        ClinicalFact fact = single(json);
        assertThat(fact.getImaging().getEmbedding()).containsExactly(0.25f, -1.5f, 3.0e-7f, 42f);
        // Little-endian float32: 0.25f is 0x3E800000, stored as 00 00 80 3E.
        assertThat(ImageEmbedding.encode(new float[] {0.25f})).isEqualTo("AACAPg==");
    }

    @Test
    void imageEmbeddingOfTheWrongShapeIsRejectedBadValue() {
        String study = imagingStudy("i6", "Patient/p1", "CT", "2020-01-01");
        for (String bad : new String[] {
                ImageEmbedding.encode(new float[] {1, 2, 3}), // 3 dimensions, the catalog says 4
                ImageEmbedding.encode(new float[] {1, 2, 3, 4, 5}),
                "AAAA", // 3 bytes
                ImageEmbedding.encode(new float[] {1, Float.NaN, 3, 4})}) {
            Rejection r = rejected(withEmbedding(study, bad));
            assertThat(r.reason()).as(bad).isEqualTo(RejectionReason.BAD_VALUE);
            assertThat(r.resourceId()).isEqualTo("i6");
        }
        assertThat(rejected(withEmbedding(study, "not base64 at all!")).reason())
                .isIn(RejectionReason.BAD_VALUE, RejectionReason.MALFORMED_JSON);
    }

    // ---------------------------------------------------------------- every resource kind in one Synthea-shaped Bundle

    @Test
    void aSyntheaShapedTransactionBundleGivesOneFactPerResourceOnOnePatientKey() {
        String p = "b5a2c1d0-1111-2222-3333-444455556666";
        String ref = "urn:uuid:" + p;
        MappingResult result = map(bundle("transaction",
                ref, patient(p, "male", "2009-04-03"),
                "urn:uuid:e1", "{\"resourceType\":\"Encounter\",\"id\":\"e1\",\"status\":\"finished\","
                        + "\"class\":{\"code\":\"AMB\"},\"subject\":{\"reference\":\"" + ref + "\"}}",
                "urn:uuid:c1", condition("c1", ref, "444814009", "resolved", "2013-03-08T08:37:27+00:00"),
                "urn:uuid:m1", medicationRequest("m1", ref, "313782", "stopped", "2016-06-27T04:37:27+00:00"),
                "urn:uuid:a1", medicationAdministration("a1", ref, "1535362", "completed", "2017-04-07T11:09:48+00:00"),
                "urn:uuid:pr1", procedure("pr1", ref, "430193006", "completed", "2015-03-20T08:37:27+00:00"),
                "urn:uuid:i1", imagingStudy("i1", ref, "DX", "2017-04-07T10:20:39+00:00"),
                "urn:uuid:o1", FhirJson.observation("o1", ref, "8867-4", 70, "/min", "2017-04-07T10:00:00+00:00")));
        assertThat(result.rejections()).isEmpty();
        assertThat(result.contextResources()).isEqualTo(1);
        assertThat(result.facts()).extracting(ClinicalFact::getKind).containsExactly(FactKind.DEMOGRAPHICS,
                FactKind.DIAGNOSIS, FactKind.TREATMENT, FactKind.TREATMENT, FactKind.TREATMENT, FactKind.IMAGING,
                FactKind.MEASUREMENT);
        assertThat(result.facts()).allSatisfy(f -> assertThat(f.getPatientKey()).isEqualTo(p));
    }

    @Test
    void unsupportedTopLevelTypeIsRejectedButInsideABundleItIsContext() {
        String encounter = "{\"resourceType\":\"Encounter\",\"id\":\"e9\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"}}";
        assertThat(rejected(encounter).reason()).isEqualTo(RejectionReason.UNSUPPORTED_RESOURCE);
        MappingResult inBundle = map(bundle("collection", null, encounter));
        assertThat(inBundle.rejections()).isEmpty();
        assertThat(inBundle.contextResources()).isEqualTo(1);
    }

    @Test
    void aResourceHasTheSameIdAloneAndUnderAUrnUuidFullUrl() {
        String obs = FhirJson.observation("6f1c", "Patient/p1", "8867-4", 70, "/min", "2020-01-01");
        assertThat(single(obs).getSourceResourceId()).isEqualTo("6f1c");
        assertThat(map(bundle("transaction", "urn:uuid:6f1c", obs)).facts()).singleElement()
                .satisfies(f -> assertThat(f.getSourceResourceId()).isEqualTo("6f1c"));
    }
}
