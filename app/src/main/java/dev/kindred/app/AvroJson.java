package dev.kindred.app;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * Turns an Avro record into plain JSON values (maps, lists, strings, numbers, booleans, null) for any JSON
 * writer, following the record's own schema. Unlike Avro's JSON encoding, a union holds its value plainly
 * ({@code "display": "Metformin"}, not {@code {"string": "Metformin"}}); {@code timestamp-millis} and
 * {@code timestamp-micros} become ISO-8601 instants, {@code date} an ISO date; bytes and fixed become base64.
 */
final class AvroJson {

    private AvroJson() {
    }

    /** The record as an ordered map of its fields. */
    static Map<String, Object> toJson(IndexedRecord record) {
        return record(record, record.getSchema());
    }

    private static Map<String, Object> record(IndexedRecord record, Schema schema) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Schema.Field field : schema.getFields()) {
            out.put(field.name(), value(record.get(field.pos()), field.schema()));
        }
        return out;
    }

    private static Object value(Object value, Schema schema) {
        if (value == null) {
            return null;
        }
        switch (schema.getType()) {
            case UNION:
                return value(value, schema.getTypes().get(GenericData.get().resolveUnion(schema, value)));
            case RECORD:
                return record((IndexedRecord) value, schema);
            case ARRAY: {
                List<Object> out = new ArrayList<>();
                for (Object element : (Collection<?>) value) {
                    out.add(value(element, schema.getElementType()));
                }
                return out;
            }
            case MAP: {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    out.put(e.getKey().toString(), value(e.getValue(), schema.getValueType()));
                }
                return out;
            }
            case STRING:
            case ENUM:
                return value.toString();
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return Base64.getEncoder().encodeToString(bytes);
            }
            case FIXED:
                return Base64.getEncoder().encodeToString(((GenericFixed) value).bytes());
            case INT:
                return schema.getLogicalType() instanceof LogicalTypes.Date && value instanceof Integer days
                        ? LocalDate.ofEpochDay(days).toString() : value;
            case LONG:
                return value instanceof Long n ? timestamp(n, schema.getLogicalType()) : value;
            default:
                // BOOLEAN, FLOAT, DOUBLE (a JSON writer quotes NaN and infinities), NULL
                return value;
        }
    }

    private static Object timestamp(long n, LogicalType type) {
        if (type instanceof LogicalTypes.TimestampMillis) {
            return Instant.ofEpochMilli(n).toString();
        }
        if (type instanceof LogicalTypes.TimestampMicros) {
            return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000L), Math.floorMod(n, 1_000_000L) * 1_000L).toString();
        }
        return n;
    }
}
