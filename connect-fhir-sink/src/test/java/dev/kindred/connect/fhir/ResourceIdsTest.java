package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ResourceIdsTest {

    @Test
    void aValidFhirIdSuchAsKindredsUuidsIsKept() {
        assertThat(ResourceIds.fromAlertId("0b6c3f1e-6a3e-3c1f-9d7e-2f4b5a6c7d8e"))
            .isEqualTo("0b6c3f1e-6a3e-3c1f-9d7e-2f4b5a6c7d8e");
        assertThat(ResourceIds.fromAlertId("a.b-C9")).isEqualTo("a.b-C9");
        String sixtyFour = "a".repeat(64);
        assertThat(ResourceIds.fromAlertId(sixtyFour)).isEqualTo(sixtyFour);
    }

    @Test
    void otherIdsBecomeTheirSha256InHexStableAndDistinct() {
        String colon = ResourceIds.fromAlertId("alert:1");
        String underscore = ResourceIds.fromAlertId("alert_1");
        assertThat(colon).matches("[0-9a-f]{64}").isEqualTo(ResourceIds.fromAlertId("alert:1"));
        assertThat(underscore).matches("[0-9a-f]{64}").isNotEqualTo(colon);
        assertThat(ResourceIds.fromAlertId("a".repeat(65))).matches("[0-9a-f]{64}");
        // sha256sum of the three bytes "a b"
        assertThat(ResourceIds.fromAlertId("a b"))
            .isEqualTo("c8687a08aa5d6ed2044328fa6a697ab8e96dc34291e8c2034ae8c38e6fcc6d65");
        assertThat(ResourceIds.isValidId(colon)).isTrue();
    }

    @Test
    void anEmptyAlertIdIsRefused() {
        assertThatThrownBy(() -> ResourceIds.fromAlertId("")).isInstanceOf(IllegalArgumentException.class);
    }
}
