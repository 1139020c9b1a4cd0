package dev.kindred.clinical.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutcomeRulesTest {
    private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm|";

    static OutcomeRules testRules() {
        try (var in = OutcomeRulesTest.class.getResourceAsStream("/test-outcome-rules.json")) {
            return OutcomeRules.read(in, "test-outcome-rules.json");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void builtInRulesTargetFeaturesOfTheBuiltInCatalogAndCoverSyntheasCommonestTreatments() {
        OutcomeRules rules = OutcomeRules.builtIn();
        FeatureCatalog catalog = FeatureCatalog.builtIn();
        assertThat(rules.rules()).isNotEmpty().allSatisfy(r -> {
            assertThat(catalog.feature(r.feature())).as("feature of rule %s", r.id()).isNotNull();
            r.alsoFor().forEach(f -> assertThat(catalog.feature(f)).as("alsoFor %s of %s", f, r.id()).isNotNull());
        });
        // lisinopril, metformin, simvastatin, epoetin: the chronic treatments Synthea orders most often
        assertThat(rules.ruleFor(RX + "314076").feature()).isEqualTo("systolic_bp");
        assertThat(rules.ruleFor(RX + "860975").feature()).isEqualTo("hba1c");
        assertThat(rules.ruleFor(RX + "314231").feature()).isEqualTo("ldl_cholesterol");
        assertThat(rules.ruleFor(RX + "205923").feature()).isEqualTo("hemoglobin");
        assertThat(rules.procedureOutcome("http://snomed.info/sct|385669000")).isEqualTo(OutcomeStatus.IMPROVED);
        assertThat(rules.judgedByResolution("http://snomed.info/sct|117015009", "Throat culture (procedure)"))
                .as("a test is not a treatment").isFalse();
        assertThat(rules.judgedByResolution(RX + "834102", "Penicillin V Potassium 500 MG Oral Tablet")).isTrue();
        assertThat(rules.judgedByResolution(RX + "314076", "lisinopril")).as("has a measurement rule").isFalse();
    }

    @Test
    void measurementRuleCountsThresholdsBothWaysAndGoals() {
        MeasurementRule glucose = testRules().ruleFor(RX + "860975");
        assertThat(glucose.improved(180, 155)).as("fell 25 >= 20").isTrue();
        assertThat(glucose.improved(180, 165)).as("fell 15 < 20, not at goal").isFalse();
        assertThat(glucose.improved(180, 200)).isFalse();
        assertThat(glucose.improved(110, 95)).as("reached the goal").isTrue();
        assertThat(glucose.improved(95, 97)).as("stayed at goal: treat-to-target").isTrue();

        MeasurementRule bp = testRules().ruleFor(RX + "314076");
        assertThat(bp.relative()).isTrue();
        assertThat(bp.improved(150, 134)).as("fell 10.7 %").isTrue();
        assertThat(bp.improved(150, 136)).as("fell 9.3 %").isFalse();
        assertThat(bp.addresses("diastolic_bp")).isTrue();
        assertThat(bp.addresses("glucose")).isFalse();

        MeasurementRule increase = new MeasurementRule("hb", null, "hemoglobin", MeasurementRule.Direction.INCREASE, 1.0,
                false, new MeasurementRule.Goal(12.0, null), false, java.util.List.of("x|1"), null, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(2), Duration.ofDays(1));
        assertThat(increase.improved(9.0, 10.2)).isTrue();
        assertThat(increase.improved(9.0, 9.5)).isFalse();
        assertThat(increase.improved(12.5, 12.4)).as("already at goal, without treat-to-target").isFalse();
    }

    @Test
    void invalidFilesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> read("{\"version\":\"1\",\"rules\":[{\"id\":\"a\",\"feature\":\"f\",\"direction\":\"decrease\","
                + "\"treatments\":[\"s|1\"]},{\"id\":\"b\",\"feature\":\"g\",\"direction\":\"decrease\",\"treatments\":[\"s|1\"]}]}"))
                .isInstanceOf(IOException.class).hasMessageContaining("two rules");
        assertThatThrownBy(() -> read("{\"version\":\"1\",\"rules\":[{\"id\":\"a\",\"direction\":\"decrease\","
                + "\"treatments\":[\"s|1\"]}]}")).isInstanceOf(IOException.class).hasMessageContaining("no feature");
        assertThatThrownBy(() -> read("{\"version\":\"1\",\"rules\":[{\"id\":\"a\",\"feature\":\"f\",\"direction\":\"down\","
                + "\"treatments\":[\"s|1\"]}]}")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"version\":\"1\",\"rules\":[{\"id\":\"a\",\"feature\":\"f\",\"direction\":\"decrease\","
                + "\"treatments\":[\"no-bar\"]}]}")).isInstanceOf(IOException.class).hasMessageContaining("system|code");
        assertThatThrownBy(() -> read("not json")).isInstanceOf(IOException.class);
    }

    private static OutcomeRules read(String json) throws IOException {
        return OutcomeRules.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "inline");
    }
}
