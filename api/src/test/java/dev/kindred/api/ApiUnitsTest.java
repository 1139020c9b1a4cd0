package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.api.alerts.AlertJson;
import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.auth.ApiAuth;
import dev.kindred.api.json.Json;
import dev.kindred.avro.SimilarPatient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The small pieces: pruning for CDS Hooks, pseudonyms, positions, tokens. */
@Timeout(30)
class ApiUnitsTest {

    @Test
    void cdsResponsesLoseNullAndEmptyFieldsButKeepTheCardsList() {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("summary", "s");
        card.put("detail", "");
        card.put("suggestions", List.of());
        card.put("source", new LinkedHashMap<>(Map.of("label", "Kindred")));
        ((Map<String, Object>) card.get("source")).put("url", null);
        card.put("links", List.of(Map.of()));
        assertThat(Json.write(Json.cdsResponse(List.of(card)))).isEqualTo("{\"cards\":[{\"summary\":\"s\",\"source\":{\"label\":\"Kindred\"}}]}");
        assertThat(Json.write(Json.cdsResponse(List.of()))).isEqualTo("{\"cards\":[]}");
    }

    @Test
    void pseudonymsAreByRankAndReplaceKeysInText() {
        List<SimilarPatient> similar = List.of(sp("key-b", 0.9), sp("key-a", 0.8));
        Map<String, String> names = AlertJson.pseudonyms(similar);
        assertThat(names).containsExactly(Map.entry("key-b", "#1"), Map.entry("key-a", "#2"));
        assertThat(AlertJson.deidentify("| key-a | 0.8 |\n| key-b | 0.9 |", names)).isEqualTo("| #2 | 0.8 |\n| #1 | 0.9 |");
    }

    static SimilarPatient sp(String key, double similarity) {
        return SimilarPatient.newBuilder().setPatientKey(key).setSimilarity(similarity).setDistance(1 - similarity)
                .setFeatureSpace("clinical").build();
    }

    @Test
    void positionsParseAndRejectGarbage() {
        assertThat(AlertView.parsePosition("0:12,2:7")).containsExactlyInAnyOrderEntriesOf(Map.of(0, 12L, 2, 7L));
        assertThat(AlertView.parsePosition("garbage")).isEmpty();
        assertThat(AlertView.parsePosition(null)).isEmpty();
    }

    @Test
    void tokensGrantRolesAndOnlyListedRolesSeeIdentities() {
        ApiConfig config = new ApiConfig(Map.of(ApiConfig.TOKENS_CONFIG, "clinician:aaaaaaaaaaaaaaaaaaaa, Steward:bbbbbbbbbbbbbbbbbbbb",
                ApiConfig.IDENTIFIED_ROLES_CONFIG, "steward"));
        ApiAuth auth = new ApiAuth(config.tokens(), null, config.identifiedRoles(), false);
        assertThat(auth.role("Bearer aaaaaaaaaaaaaaaaaaaa")).contains("clinician");
        assertThat(auth.role("bearer bbbbbbbbbbbbbbbbbbbb")).contains("steward");
        assertThat(auth.role("Bearer cccccccccccccccccccc")).isEmpty();
        assertThat(auth.role(null)).isEmpty();
        assertThat(auth.identified("steward")).isTrue();
        assertThat(auth.identified("clinician")).isFalse();
        assertThat(auth.internal("Bearer aaaaaaaaaaaaaaaaaaaa")).as("no internal token configured").isFalse();
        assertThat(config.tokens().toString()).doesNotContain("aaaa");
        assertThatThrownBy(() -> new ApiConfig(Map.of(ApiConfig.TOKENS_CONFIG, "clinician:short")).tokens())
                .isInstanceOf(ConfigException.class).hasMessageContaining("shorter than 16");
        assertThat(new ApiAuth(List.of(), null, List.of(), true).role(null)).contains(ApiAuth.DEMO_ROLE);
    }
}
