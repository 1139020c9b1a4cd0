package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class FhirSinkConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> props = new HashMap<>();
        props.put("fhir.base.url", "https://ehr.example.org/fhir/");
        props.put("schema.registry.url", "http://registry:8081");
        return props;
    }

    @Test
    void defaultsWriteDetectedIssuesByAlertIdWithoutAuth() {
        FhirSinkConfig config = new FhirSinkConfig(minimal());
        assertThat(config.fhirBaseUrl()).isEqualTo("https://ehr.example.org/fhir");
        assertThat(config.resourceType()).isEqualTo(AlertResourceType.DETECTED_ISSUE);
        assertThat(config.idStrategy()).isEqualTo(FhirSinkConfig.IdStrategy.ALERT_ID);
        assertThat(config.identifierSystem()).isEqualTo("urn:kindred:alert-id");
        assertThat(config.authHeaderValue()).isNull();
        assertThat(config.registryConfigs()).containsEntry("basic.auth.credentials.source", "URL");
    }

    @Test
    void theAuthHeaderValueIsASecret() {
        Map<String, String> props = minimal();
        props.put("fhir.auth.header.value", "Bearer s3cret");
        props.put("basic.auth.credentials.source", "USER_INFO");
        props.put("basic.auth.user.info", "kindred:pa55");
        FhirSinkConfig config = new FhirSinkConfig(props);
        assertThat(config.authHeaderValue()).isEqualTo("Bearer s3cret");
        assertThat(config.values().toString()).doesNotContain("s3cret").doesNotContain("pa55");
        assertThat(config.registryConfigs().get("basic.auth.user.info").toString()).doesNotContain("pa55");
    }

    @Test
    void badSettingsAreRefusedWithTheSettingsName() {
        Map<String, String> ftp = minimal();
        ftp.put("fhir.base.url", "ftp://ehr.example.org/fhir");
        assertThatThrownBy(() -> new FhirSinkConfig(ftp)).isInstanceOf(ConfigException.class)
            .hasMessageContaining("fhir.base.url");

        Map<String, String> noRegistry = minimal();
        noRegistry.remove("schema.registry.url");
        assertThatThrownBy(() -> new FhirSinkConfig(noRegistry)).isInstanceOf(ConfigException.class)
            .hasMessageContaining("schema.registry.url");

        Map<String, String> badType = minimal();
        badType.put("fhir.resource.type", "Communication");
        Config validated = new FhirSinkConnector().validate(badType);
        assertThat(validated.configValues()).filteredOn(v -> v.name().equals("fhir.resource.type"))
            .flatExtracting(ConfigValue::errorMessages).isNotEmpty();
    }
}
