package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.AwaitingTreatment;
import dev.kindred.avro.MedicationCoding;
import dev.kindred.avro.MedicationLink;
import dev.kindred.fhir.AwaitingMedication;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.MedicationEntry;
import dev.kindred.fhir.MappingResult;
import dev.kindred.fhir.Rejection;
import dev.kindred.fhir.RejectionReason;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses each input record as FHIR and emits its facts keyed by patient key, or a dead letter per
 * rejected resource, and medication links keyed {@code Medication/<id>} (Medications and the treatments waiting
 * for one, for {@link MedicationResolver}). The record key is ignored: keys are never trusted for identity.
 */
public final class FhirMappingProcessor implements Processor<byte[], byte[], String, Mapped> {
    private static final Logger LOG = LoggerFactory.getLogger(FhirMappingProcessor.class);

    private final FhirMapper mapper;
    /** Bytes of a bad record kept in its dead letter, so the letter fits the producer limit. */
    private final int deadLetterOriginalBytes;
    private ProcessorContext<String, Mapped> context;

    public FhirMappingProcessor(FhirMapper mapper, int deadLetterOriginalBytes) {
        this.mapper = mapper;
        this.deadLetterOriginalBytes = deadLetterOriginalBytes;
    }

    @Override
    public void init(ProcessorContext<String, Mapped> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        MappingResult result = mapper.map(record.value(), Instant.ofEpochMilli(record.timestamp()));
        for (ClinicalFact fact : result.facts()) {
            context.forward(new Record<>(fact.getPatientKey(), Mapped.fact(fact), record.timestamp()));
        }
        for (MedicationEntry m : result.medications()) {
            MedicationLink link = MedicationLink.newBuilder()
                    .setMedication(new MedicationCoding(m.system(), m.code(), m.display())).build();
            context.forward(new Record<>(m.key(), Mapped.medicationLink(link), record.timestamp()));
        }
        if (result.rejections().isEmpty() && result.awaiting().isEmpty()) {
            return;
        }
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? null : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        for (AwaitingMedication waiting : result.awaiting()) {
            // The dead letter is made now, while the source is known; the resolver sends it only if the wait ends
            // unresolved. It carries the treatment resource alone, not a whole Bundle, to keep the store small.
            Rejection unresolved = new Rejection(RejectionReason.UNKNOWN_MEDICATION, "waiting for "
                    + waiting.medicationKey(), waiting.fact().getSourceResourceType().toString(),
                    waiting.fact().getSourceResourceId() == null ? null : waiting.fact().getSourceResourceId().toString());
            MedicationLink link = MedicationLink.newBuilder()
                    .setAwaiting(new AwaitingTreatment(waiting.fact(), DeadLetters.of(unresolved, topic, partition,
                            offset, record.key(), waiting.resourceJson(), Instant.now(), deadLetterOriginalBytes),
                            Instant.ofEpochMilli(context.currentSystemTimeMs())))
                    .build();
            context.forward(new Record<>(waiting.medicationKey(), Mapped.medicationLink(link), record.timestamp()));
        }
        for (Rejection r : result.rejections()) {
            LOG.warn("dead-lettered {}-{}@{}: {} ({}{})", topic, partition, offset, r.reason().code(),
                    r.resourceType() == null ? "unknown resource" : r.resourceType(),
                    r.resourceId() == null ? "" : "/" + r.resourceId());
            context.forward(new Record<>(null, Mapped.deadLetter(DeadLetters.of(r, topic, partition, offset,
                    record.key(), record.value(), Instant.now(), deadLetterOriginalBytes)), record.timestamp()));
        }
    }
}
