package dev.kindred.fhir.testing;

import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Builders of small FHIR JSON documents and the unit-test catalog, shared by the tests of several modules. */
public final class FhirJson {
    private FhirJson() {
    }

    /** The small catalog in test-catalog.json (glucose, blood pressure, weight, temperature, heart rate, smoking). */
    public static FeatureCatalog testCatalog() {
        try (InputStream in = FhirJson.class.getResourceAsStream("/test-catalog.json")) {
            return FeatureCatalog.read(in, "test-catalog.json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An Observation with one LOINC-coded valueQuantity. */
    public static String observation(String id, String subjectRef, String loinc, double value, String ucumUnit,
            String effective) {
        return String.format(Locale.ROOT, """
                {"resourceType":"Observation","id":"%s","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},
                 "subject":{"reference":"%s"},
                 "effectiveDateTime":"%s",
                 "valueQuantity":{"value":%s,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"}}
                """, id, loinc, subjectRef, effective, value, ucumUnit, ucumUnit);
    }

    /** A blood-pressure panel: values as components, no top-level value. */
    public static String bloodPressure(String id, String subjectRef, double systolic, double diastolic, String effective) {
        return String.format(Locale.ROOT, """
                {"resourceType":"Observation","id":"%s","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
                 "subject":{"reference":"%s"},
                 "effectiveDateTime":"%s",
                 "component":[
                  {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
                   "valueQuantity":{"value":%s,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
                  {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},
                   "valueQuantity":{"value":%s,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
                """, id, subjectRef, effective, systolic, diastolic);
    }

    /** A Patient with an id, administrative gender and birth date (either may be null). */
    public static String patient(String id, String gender, String birthDate) {
        StringBuilder sb = new StringBuilder("{\"resourceType\":\"Patient\",\"id\":\"").append(id).append('"');
        if (gender != null) {
            sb.append(",\"gender\":\"").append(gender).append('"');
        }
        if (birthDate != null) {
            sb.append(",\"birthDate\":\"").append(birthDate).append('"');
        }
        return sb.append('}').toString();
    }

    /** A Condition with a SNOMED CT code, clinical status (e.g. active, resolved) and onset. */
    public static String condition(String id, String subjectRef, String snomed, String clinicalStatus, String onset) {
        return String.format(Locale.ROOT, """
                {"resourceType":"Condition","id":"%s",
                 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"%s"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}]},
                 "subject":{"reference":"%s"},"onsetDateTime":"%s"}
                """, id, clinicalStatus, snomed, subjectRef, onset);
    }

    /** A MedicationRequest with an RxNorm medicationCodeableConcept, status (e.g. active, stopped) and authoredOn. */
    public static String medicationRequest(String id, String subjectRef, String rxnorm, String status, String authoredOn) {
        return String.format(Locale.ROOT, """
                {"resourceType":"MedicationRequest","id":"%s","status":"%s","intent":"order",
                 "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"%s"}]},
                 "subject":{"reference":"%s"},"authoredOn":"%s"}
                """, id, status, rxnorm, subjectRef, authoredOn);
    }

    /** A MedicationAdministration with an RxNorm medicationCodeableConcept, status and effectiveDateTime. */
    public static String medicationAdministration(String id, String subjectRef, String rxnorm, String status,
            String effective) {
        return String.format(Locale.ROOT, """
                {"resourceType":"MedicationAdministration","id":"%s","status":"%s",
                 "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"%s"}]},
                 "subject":{"reference":"%s"},"effectiveDateTime":"%s"}
                """, id, status, rxnorm, subjectRef, effective);
    }

    /** A Procedure with a SNOMED CT code, status (e.g. completed) and performedDateTime. */
    public static String procedure(String id, String subjectRef, String snomed, String status, String performed) {
        return String.format(Locale.ROOT, """
                {"resourceType":"Procedure","id":"%s","status":"%s",
                 "code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}]},
                 "subject":{"reference":"%s"},"performedDateTime":"%s"}
                """, id, status, snomed, subjectRef, performed);
    }

    /** An available ImagingStudy with one series of the given DICOM modality and one instance. */
    public static String imagingStudy(String id, String subjectRef, String modality, String started) {
        return String.format(Locale.ROOT, """
                {"resourceType":"ImagingStudy","id":"%s","status":"available",
                 "subject":{"reference":"%s"},"started":"%s","numberOfSeries":1,"numberOfInstances":1,
                 "series":[{"uid":"1.2.3.4","modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"%s"},
                   "numberOfInstances":1,"instance":[{"uid":"1.2.3.4.1","sopClass":{"system":"urn:ietf:rfc:3986",
                   "code":"urn:oid:1.2.840.10008.5.1.4.1.1.2"}}]}]}
                """, id, subjectRef, started, modality);
    }

    /** A Bundle of the given type holding the given resources (JSON objects) with optional fullUrls. */
    public static String bundle(String type, String... fullUrlAndResource) {
        StringBuilder sb = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"").append(type).append("\",\"entry\":[");
        for (int i = 0; i < fullUrlAndResource.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('{');
            if (fullUrlAndResource[i] != null) {
                sb.append("\"fullUrl\":\"").append(fullUrlAndResource[i]).append("\",");
            }
            sb.append("\"resource\":").append(fullUrlAndResource[i + 1]).append('}');
        }
        return sb.append("]}").toString();
    }

    public static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
