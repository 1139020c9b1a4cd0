package dev.kindred.topology.internals;

import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.PayloadCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes the index payload (a patient's treatment outcomes) into index snapshots as plain Avro binary. The
 * format id is the schema's fingerprint, so a snapshot written before the outcome schema changed is not read
 * with the new one: the index is rebuilt from the topic instead.
 */
public final class OutcomesCodec implements PayloadCodec<List<TreatmentOutcome>> {
    private static final Schema SCHEMA = Schema.createArray(TreatmentOutcome.getClassSchema());
    private static final String FORMAT_ID = "avro:" + Long.toHexString(SchemaNormalization.parsingFingerprint64(SCHEMA));

    private final SpecificDatumWriter<List<TreatmentOutcome>> writer = new SpecificDatumWriter<>(SCHEMA);
    private final SpecificDatumReader<List<TreatmentOutcome>> reader = new SpecificDatumReader<>(SCHEMA);

    @Override
    public String formatId() {
        return FORMAT_ID;
    }

    @Override
    public byte[] encode(List<TreatmentOutcome> payload) {
        if (payload == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        try {
            writer.write(payload, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public List<TreatmentOutcome> decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
        try {
            return List.copyOf(reader.read(null, decoder));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
