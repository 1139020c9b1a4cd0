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
