package dev.kindred.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.fhir.HttpResourceFetcher;
import dev.kindred.fhir.ResourceFetcher;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KindredConfigFhirServerTest {

    @Test
    void noBaseUrlMeansNoFetching() {
        KindredConfig config = new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t"));
        assertThat(config.resourceFetcher()).isSameAs(ResourceFetcher.NONE);
        assertThat(config.resourceFetcher().enabled()).isFalse();
    }

    @Test
    void aBaseUrlGivesAnHttpFetcherOnThatBase() {
        KindredConfig config = new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t",
                KindredConfig.FHIR_SERVER_BASE_URL_CONFIG, "https://ehr.example.org/fhir/"));
        assertThat(config.resourceFetcher()).isInstanceOfSatisfying(HttpResourceFetcher.class,
                f -> assertThat(f.baseUrl()).isEqualTo("https://ehr.example.org/fhir"));
        KindredConfig ftp = new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t",
                KindredConfig.FHIR_SERVER_BASE_URL_CONFIG, "ftp://ehr.example.org/fhir"));
        assertThatThrownBy(ftp::resourceFetcher).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http");
    }
}
