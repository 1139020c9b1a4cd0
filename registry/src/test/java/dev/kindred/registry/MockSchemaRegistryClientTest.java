package dev.kindred.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The mock:// client: shared per scope, same semantics as the real registry. */
class MockSchemaRegistryClientTest {

    @Test
    void oneSharedInstancePerScope() {
        SchemaRegistryClient a = SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://mock-test-a"));
        SchemaRegistryClient again = SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://mock-test-a"));
        SchemaRegistryClient b = SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://mock-test-b"));
        assertThat(a).isSameAs(again).isSameAs(MockSchemaRegistryClient.forScope("mock-test-a")).isNotSameAs(b);

        int id = a.register("t-value", TestSchemas.V1);
        a.close();  // shared: closing one user changes nothing for the others
        assertThat(again.getId("t-value", TestSchemas.V1)).isEqualTo(id);
        assertThat(b.subjects()).isEmpty();
    }

    @Test
    void sameSemanticsAsTheRegistry() {
        MockSchemaRegistryClient client = new MockSchemaRegistryClient();
        int id = client.register("a-value", TestSchemas.V1);
        assertThat(client.register("b-value", TestSchemas.V1)).isEqualTo(id);
        int id2 = client.register("a-value", TestSchemas.V2_DEFAULTED);
        assertThat(id2).isNotEqualTo(id);
        assertThat(client.latest("a-value")).isEqualTo(
            new SchemaMetadata("a-value", id2, 2, TestSchemas.V2_DEFAULTED));
        assertThat(client.getById(id2)).isEqualTo(TestSchemas.V2_DEFAULTED);
        assertThat(client.isCompatible("a-value", TestSchemas.V2_REQUIRED)).isTrue();
        assertThat(client.isCompatible("b-value", TestSchemas.V2_REQUIRED)).isFalse();
        assertThatThrownBy(() -> client.register("b-value", TestSchemas.V2_REQUIRED))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(409);
                assertThat(e.getMessage()).startsWith("schema for subject b-value is incompatible (409): ");
            });
        assertThatThrownBy(() -> client.getById(99))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> client.getId("c-value", TestSchemas.V1))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    }

    @Test
    void resetEmptiesTheScopeInPlace() {
        MockSchemaRegistryClient client = MockSchemaRegistryClient.forScope("mock-test-reset");
        int id = client.register("t-value", TestSchemas.V1);
        MockSchemaRegistryClient.resetScope("mock-test-reset");
        assertThat(client.subjects()).isEmpty();
        assertThatThrownBy(() -> client.getById(id)).isInstanceOf(SchemaRegistryException.class);
        assertThatThrownBy(() -> client.getId("t-value", TestSchemas.V1))
            .isInstanceOf(SchemaRegistryException.class);
    }
}
