package dev.kindred.fhir;

import static dev.kindred.fhir.testing.FhirJson.bloodPressure;
import static dev.kindred.fhir.testing.FhirJson.bundle;
import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.fhir.testing.FhirJson;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FhirMapperTest {
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

    @Test
    void convertsGlucoseFromMmolPerLitreToMgPerDecilitre() {
        ClinicalFact fact = single(observation("g1", "Patient/p1", "2339-0", 6.3, "mmol/L", "2020-05-01T10:00:00Z"));
        assertThat(fact.getFeatureId()).isEqualTo("glucose");
        assertThat(fact.getValue()).isCloseTo(6.3 * 18.016, within(1e-9));
        assertThat(fact.getUnit()).isEqualTo("mg/dL");
        assertThat(fact.getPatientKey()).isEqualTo("p1");
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2020-05-01T10:00:00Z"));
        assertThat(fact.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.EFFECTIVE);
    }

    @Test
    void keepsCanonicalUnitsAsSentAndConvertsFreeTextSpellings() {
        assertThat(single(observation("g2", "Patient/p1", "2345-7", 250, "mg/dL", "2020-05-01")).getValue())
                .isEqualTo(250.0);
        String fahrenheit = """
                {"resourceType":"Observation","id":"t1","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},
                 "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-05-01",
                 "valueQuantity":{"value":98.6,"unit":"°F"}}""";
        assertThat(single(fahrenheit).getValue()).isCloseTo(37.0, within(1e-6));
        assertThat(single(observation("w1", "Patient/p1", "29463-7", 185, "[lb_av]", "2020-05-01")).getValue())
                .isCloseTo(83.91458845, within(1e-6));
    }

    @Test
    void convertsBothWaysBetweenUnitsOfTheSameQuantity() {
        // The same glucose, weight and temperature sent in either unit give the same canonical value.
        double fromMmol = single(observation("a", "Patient/p1", "2339-0", 5.5, "mmol/L", "2020-05-01")).getValue();
        double fromMg = single(observation("b", "Patient/p1", "2339-0", 5.5 * 18.016, "mg/dL", "2020-05-01")).getValue();
        assertThat(fromMmol).isCloseTo(fromMg, within(1e-9)).isCloseTo(99.088, within(1e-9));
        double fromKg = single(observation("c", "Patient/p1", "29463-7", 80, "kg", "2020-05-01")).getValue();
        double fromLb = single(observation("d", "Patient/p1", "29463-7", 80 / 0.45359237, "[lb_av]", "2020-05-01")).getValue();
        assertThat(fromLb).isCloseTo(fromKg, within(1e-9)).isEqualTo(80.0);
        double fromCel = single(observation("e", "Patient/p1", "8310-5", 37, "Cel", "2020-05-01")).getValue();
        double fromF = single(observation("f", "Patient/p1", "8310-5", 98.6, "[degF]", "2020-05-01")).getValue();
        assertThat(fromF).isCloseTo(fromCel, within(1e-9));
    }

    @Test
    void logicalReferenceToABundledPatientUsesThatPatientsKey() {
        String patient = "{\"resourceType\":\"Patient\",\"id\":\"23\","
                + "\"identifier\":[{\"system\":\"http://example.org/ids\",\"value\":\"1234567\"}]}";
        String byIdentifier = observation("l1", "X", "8867-4", 70, "/min", "2020-01-01").replace(
                "\"subject\":{\"reference\":\"X\"}",
                "\"subject\":{\"identifier\":{\"system\":\"http://example.org/ids\",\"value\":\"1234567\"}}");
        assertThat(map(bundle("collection", "http://example.org/fhir/Patient/23", patient, null, byIdentifier)).facts())
                .extracting(ClinicalFact::getPatientKey).containsExactly("23", "23");
        assertThat(single(byIdentifier).getPatientKey()).isEqualTo("identifier:http://example.org/ids|1234567");
    }

    @Test
    void rejectsAUnitThatCannotBeConverted() {
        MappingResult result = map(observation("g3", "Patient/p1", "2339-0", 5, "g/L", "2020-05-01"));
        assertThat(result.facts()).isEmpty();
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.UNCONVERTIBLE_UNIT);
            assertThat(r.resourceType()).isEqualTo("Observation");
            assertThat(r.resourceId()).isEqualTo("g3");
        });
    }

    @Test
    void bloodPressurePanelGivesSystolicAndDiastolicFromComponents() {
        MappingResult result = map(bloodPressure("bp1", "Patient/p1", 142, 91, "2021-02-03T08:00:00+01:00"));
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).extracting(ClinicalFact::getFeatureId, ClinicalFact::getValue)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("systolic_bp", 142.0),
                        org.assertj.core.groups.Tuple.tuple("diastolic_bp", 91.0));
        assertThat(result.facts()).allSatisfy(f ->
                assertThat(f.getEffectiveTime()).isEqualTo(Instant.parse("2021-02-03T07:00:00Z")));
    }

    @Test
    void enteredInErrorRetractsWhatTheResourceFed() {
        String json = observation("g4", "Patient/p1", "2339-0", 300, "mg/dL", "2020-05-01")
                .replace("\"final\"", "\"entered-in-error\"");
        ClinicalFact fact = single(json);
        assertThat(fact.getRetracted()).isTrue();
        assertThat(fact.getFeatureId()).isEqualTo("glucose");
        assertThat(fact.getSourceResourceId()).isEqualTo("g4");
    }

    @Test
    void ownReferenceRangeAndInterpretationTravelOnTheFact() {
        String json = """
                {"resourceType":"Observation","id":"g5","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},
                 "subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2013-04-02T09:30:10+01:00"},
                 "valueQuantity":{"value":6.3,"unit":"mmol/l","system":"http://unitsofmeasure.org","code":"mmol/L"},
                 "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"H"}]}],
                 "referenceRange":[{"low":{"value":3.1,"unit":"mmol/l","system":"http://unitsofmeasure.org","code":"mmol/L"},
                                    "high":{"value":6.2,"unit":"mmol/l","system":"http://unitsofmeasure.org","code":"mmol/L"}}]}""";
        ClinicalFact fact = single(json);
        assertThat(fact.getInterpretation()).isEqualTo("H");
        assertThat(fact.getReferenceLow()).isCloseTo(3.1 * 18.016, within(1e-9));
        assertThat(fact.getReferenceHigh()).isCloseTo(6.2 * 18.016, within(1e-9));
        assertThat(fact.getEffectiveTime()).isEqualTo(Instant.parse("2013-04-02T08:30:10Z"));
    }

    @Test
    void effectiveTimeFallsBackToIssuedThenArrival() {
        String issued = observation("h1", "Patient/p1", "8867-4", 70, "/min", "X")
                .replace("\"effectiveDateTime\":\"X\",", "\"issued\":\"2019-01-01T00:00:00Z\",");
        ClinicalFact a = single(issued);
        assertThat(a.getEffectiveTime()).isEqualTo(Instant.parse("2019-01-01T00:00:00Z"));
        assertThat(a.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.ISSUED);

        String none = observation("h2", "Patient/p1", "8867-4", 70, "/min", "X").replace("\"effectiveDateTime\":\"X\",", "");
        ClinicalFact b = single(none);
        assertThat(b.getEffectiveTime()).isEqualTo(ARRIVAL);
        assertThat(b.getEffectiveTimeSource()).isEqualTo(EffectiveTimeSource.ARRIVAL);
    }

    @Test
    void everyPatientReferenceFormResolvesToOneKey() {
        String uuid = "0a6bc7d2-6a2c-4c1e-9d27-4a1a7f3b2b10";
        List<String> refs = List.of("Patient/" + uuid, "https://fhir.example.org/r4/Patient/" + uuid,
                "Patient/" + uuid + "/_history/3", "urn:uuid:" + uuid);
        for (String ref : refs) {
            assertThat(single(observation("x", ref, "8867-4", 70, "/min", "2020-01-01")).getPatientKey())
                    .as(ref).isEqualTo(uuid);
        }
        String patient = "{\"resourceType\":\"Patient\",\"id\":\"" + uuid + "\"}";
        MappingResult inBundle = map(bundle("collection", "urn:uuid:" + uuid, patient, null,
                observation("y", "urn:uuid:" + uuid, "8867-4", 70, "/min", "2020-01-01")));
        assertThat(inBundle.facts()).extracting(ClinicalFact::getKind, ClinicalFact::getPatientKey).containsExactly(
                org.assertj.core.groups.Tuple.tuple(dev.kindred.avro.FactKind.DEMOGRAPHICS, uuid),
                org.assertj.core.groups.Tuple.tuple(dev.kindred.avro.FactKind.MEASUREMENT, uuid));
    }

    @Test
    void containedPatientResolvesByIdentifier() {
        String json = """
                {"resourceType":"Observation","id":"apgar","status":"final",
                 "contained":[{"resourceType":"Patient","id":"newborn",
                   "identifier":[{"system":"http://acmehealthcare/org/mrns","value":"12345"}]}],
                 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
                 "subject":{"reference":"#newborn"},"effectiveDateTime":"2016-05-18T22:33:22Z",
                 "valueQuantity":{"value":120,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}""";
        assertThat(single(json).getPatientKey()).isEqualTo("identifier:http://acmehealthcare/org/mrns|12345");
    }

    @Test
    void garbageIsRejectedWithTypedReasons() {
        assertThat(map("this is not json").rejections()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.MALFORMED_JSON));
        assertThat(map("{\"resourceType\":\"NoSuchThing\"}").rejections()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.MALFORMED_JSON));
        assertThat(map("{\"resourceType\":\"Organization\",\"id\":\"o1\"}").rejections()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.UNSUPPORTED_RESOURCE));
        String noSubject = observation("n1", "X", "8867-4", 70, "/min", "2020-01-01")
                .replace("\"subject\":{\"reference\":\"X\"},", "");
        assertThat(map(noSubject).rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.MISSING_SUBJECT);
            assertThat(r.resourceId()).isEqualTo("n1");
        });
        assertThat(map(observation("n2", "Group/herd1", "8867-4", 70, "/min", "2020-01-01")).rejections())
                .singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.UNSUPPORTED_SUBJECT));
    }

    @Test
    void aBadEntryInABundleRejectsOnlyThatEntry() {
        MappingResult result = map(bundle("transaction",
                null, observation("ok1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01"),
                null, observation("bad", "Patient/p1", "2339-0", 5, "g/L", "2020-01-01"),
                null, observation("ok2", "Patient/p2", "8867-4", 71, "/min", "2020-01-01")));
        assertThat(result.facts()).extracting(ClinicalFact::getSourceResourceId).containsExactly("ok1", "ok2");
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.UNCONVERTIBLE_UNIT);
            assertThat(r.resourceId()).isEqualTo("bad");
        });
        assertThat(result.resources()).isEqualTo(3);
    }

    @Test
    void uncataloguedCodesAreIgnoredNotRejected() {
        MappingResult result = map(observation("u1", "Patient/p1", "99999-9", 1, "1", "2020-01-01"));
        assertThat(result.facts()).isEmpty();
        assertThat(result.rejections()).isEmpty();
        assertThat(result.ignored()).isEqualTo(1);
    }

    @Test
    void rejectionMessagesDoNotQuoteValues() {
        String badDecimal = observation("d1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01")
                .replace("\"value\":70.0", "\"value\":\"seventy-secret\"");
        MappingResult result = map(badDecimal);
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.MALFORMED_JSON);
            assertThat(r.getMessage()).doesNotContain("seventy-secret");
        });
    }
}
