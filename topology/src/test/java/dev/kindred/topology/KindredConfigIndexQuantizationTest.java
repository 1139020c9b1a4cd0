package dev.kindred.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.index.Quantization;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KindredConfigIndexQuantizationTest {

    @Test
    void eachSpaceMayNameItsQuantization() {
        KindredConfig config = new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t",
                "kindred.index.imaging.quantization", "int8:3", "kindred.index.clinical.quantization", "none",
                "kindred.index.compaction.threshold", "0.3"));
        assertThat(config.indexQuantization()).containsOnly(
                Map.entry("imaging", new Quantization(Quantization.Kind.INT8, 3)),
                Map.entry("clinical", Quantization.NONE));
        assertThat(new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t")).indexQuantization())
                .as("unquantized unless said").isEmpty();
    }

    @Test
    void aMalformedValueFailsAtStartUp() {
        assertThatThrownBy(() -> new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://t",
                "kindred.index.imaging.quantization", "int4"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("kindred.index.imaging.quantization");
    }
}
