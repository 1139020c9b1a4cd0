package dev.kindred.registry;

import org.apache.avro.Schema;

/** Small schemas for registry tests: a record, a compatible evolution of it (a defaulted field) and an incompatible one. */
public final class TestSchemas {
    public static final Schema V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"}]}");
    public static final Schema V2_DEFAULTED = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"},{\"name\":\"unit\",\"type\":\"string\",\"default\":\"mmol/L\"}]}");
    public static final Schema V2_REQUIRED = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"},{\"name\":\"unit\",\"type\":\"string\"}]}");


    private TestSchemas() {
    }
}
