package dev.kindred.connect.fhir;

import java.util.Arrays;
import org.apache.kafka.common.config.ConfigException;

/** The FHIR resource types an alert can be written as. */
public enum AlertResourceType {
    DETECTED_ISSUE("DetectedIssue"), FLAG("Flag"), RISK_ASSESSMENT("RiskAssessment");

    private final String fhirType;

    AlertResourceType(String fhirType) {
        this.fhirType = fhirType;
    }

    public String fhirType() {
        return fhirType;
    }

    static String[] fhirTypes() {
        return Arrays.stream(values()).map(AlertResourceType::fhirType).toArray(String[]::new);
    }

    static AlertResourceType of(String fhirType) {
        for (AlertResourceType type : values()) {
            if (type.fhirType.equals(fhirType)) {
                return type;
            }
        }
        throw new ConfigException(FhirSinkConfig.RESOURCE_TYPE_CONFIG, fhirType,
            "must be one of " + String.join(", ", fhirTypes()));
    }
}
