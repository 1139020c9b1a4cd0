package dev.kindred.registry.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each level lets through, on the changes that matter in practice. */
class CompatibilityLevelTest {

    static Schema schema(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}");
    }

    static final Schema BASE = schema("{\"name\":\"x\",\"type\":\"int\"}");
    static final Schema ADD_REQUIRED = schema("{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\"}");
    static final Schema ADD_DEFAULTED = schema("{\"name\":\"x\",\"type\":\"int\"},"
        + "{\"name\":\"y\",\"type\":\"string\",\"default\":\"a\"}");
    static final Schema REMOVE_X = schema("{\"name\":\"z\",\"type\":\"long\",\"default\":0}");

    @ParameterizedTest(name = "{0}: add required {1}, add defaulted {2}, remove {3}")
    @CsvSource({
        "NONE,                true,  true, true",
        "BACKWARD,            false, true, true",
        "BACKWARD_TRANSITIVE, false, true, true",
        "FORWARD,             true,  true, false",
        "FORWARD_TRANSITIVE,  true,  true, false",
        "FULL,                false, true, false",
        "FULL_TRANSITIVE,     false, true, false",
    })
    void changesAgainstOneVersion(CompatibilityLevel level, boolean addRequired, boolean addDefaulted, boolean remove) {
        assertThat(level.problems(ADD_REQUIRED, List.of(BASE)).isEmpty()).isEqualTo(addRequired);
        assertThat(level.problems(ADD_DEFAULTED, List.of(BASE)).isEmpty()).isEqualTo(addDefaulted);
        assertThat(level.problems(REMOVE_X, List.of(BASE)).isEmpty()).isEqualTo(remove);
    }

    @ParameterizedTest
    @CsvSource({"BACKWARD, true", "BACKWARD_TRANSITIVE, false", "FULL, true", "FULL_TRANSITIVE, false"})
    void transitiveLevelsCheckEveryEarlierVersion(CompatibilityLevel level, boolean accepted) {
        // y gained a default in v2 and loses it in v3: v3 reads v2 data, but not v1 data (no y there)
        assertThat(level.problems(ADD_REQUIRED, List.of(BASE, ADD_DEFAULTED)).isEmpty()).isEqualTo(accepted);
    }

    @ParameterizedTest
    @CsvSource({"backward, BACKWARD", "Full_Transitive, FULL_TRANSITIVE", "sideways,", ","})
    void parsesLevelNames(String name, CompatibilityLevel expected) {
        assertThat(CompatibilityLevel.parse(name)).isEqualTo(expected);
    }
}
