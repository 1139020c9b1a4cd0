package dev.kindred.topology.internals;

import dev.kindred.avro.AwaitingTreatment;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.MedicationCoding;
import dev.kindred.avro.MedicationLink;
import dev.kindred.fhir.MedicationEntry;
import dev.kindred.fhir.MedicationReferences;
import dev.kindred.fhir.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves treatments whose {@code medicationReference} names a Medication sent as a record of its own. Input is
 * keyed {@code Medication/<id>} (co-partitioned by the repartition before it): a Medication goes into the
 * reference table and completes every treatment waiting for it; a waiting treatment is completed from the table,
 * or waits in the waiting store. What waits longer than the configured time (wall clock), or finds the waiting
 * store full, is dead-lettered unknown-medication. Both stores are changelogged, so under exactly-once a waiting
 * treatment is neither lost nor resolved twice.
 */
public final class MedicationResolver implements Processor<String, MedicationLink, String, Mapped> {
    private static final Logger LOG = LoggerFactory.getLogger(MedicationResolver.class);
    /** Between the medication key and the rest of a waiting key; a FHIR id cannot hold it. */
    private static final char SEPARATOR = '\u0000';

    private final String medicationStoreName;
    private final String waitingStoreName;
    private final Duration maxWait;
    private final int maxWaiting;
    private ProcessorContext<String, Mapped> context;
    private KeyValueStore<String, MedicationLink> medications;
    private KeyValueStore<String, MedicationLink> waitingStore;
    /** Entries in this task's waiting store, counted at start so the bound holds across restarts. */
    private int waiting;

    public MedicationResolver(String medicationStoreName, String waitingStoreName, Duration maxWait, int maxWaiting) {
        this.medicationStoreName = medicationStoreName;
        this.waitingStoreName = waitingStoreName;
        this.maxWait = maxWait;
        this.maxWaiting = maxWaiting;
    }

    @Override
    public void init(ProcessorContext<String, Mapped> context) {
        this.context = context;
        this.medications = context.getStateStore(medicationStoreName);
        this.waitingStore = context.getStateStore(waitingStoreName);
        try (KeyValueIterator<String, MedicationLink> all = waitingStore.all()) {
            while (all.hasNext()) {
                all.next();
                waiting++;
            }
        }
        // Expiry runs on wall-clock time: a Medication that never comes must not hold a treatment while no input
        // moves stream time. Checking a quarter of the wait (at most every 10 s) bounds the overshoot.
        long interval = Math.max(1, Math.min(maxWait.toMillis() / 4, 10_000));
        context.schedule(Duration.ofMillis(interval), PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, MedicationLink> record) {
        String key = record.key();
        MedicationLink link = record.value();
        if (key == null || link == null) {
            return;
        }
        if (link.getMedication() != null) {
            medications.put(key, link);
            resolveWaiting(key, link.getMedication(), record.timestamp());
        } else if (link.getAwaiting() != null) {
            await(key, link.getAwaiting(), record.timestamp());
        }
    }

    private void await(String medicationKey, AwaitingTreatment awaiting, long timestamp) {
        MedicationLink known = medications.get(medicationKey);
        if (known != null) {
            emit(complete(awaiting, medicationKey, known.getMedication()), timestamp);
            return;
        }
        String waitingKey = waitingKey(medicationKey, awaiting);
        if (waitingStore.get(waitingKey) == null) {
            if (waiting >= maxWaiting) {
                emit(Mapped.deadLetter(deadLetter(awaiting, medicationKey + " is not known and " + waiting
                        + " treatments already wait for their Medication (kindred.medication.wait.max)")), timestamp);
                return;
            }
            waiting++;
        }
        waitingStore.put(waitingKey, MedicationLink.newBuilder().setAwaiting(awaiting).build());
    }

    private void resolveWaiting(String medicationKey, MedicationCoding coding, long timestamp) {
        List<KeyValue<String, MedicationLink>> resolved = new ArrayList<>();
        try (KeyValueIterator<String, MedicationLink> it =
                     waitingStore.prefixScan(medicationKey + SEPARATOR, new StringSerializer())) {
            it.forEachRemaining(resolved::add);
        }
        for (KeyValue<String, MedicationLink> entry : resolved) {
            waitingStore.delete(entry.key);
            waiting--;
            emit(complete(entry.value.getAwaiting(), medicationKey, coding), timestamp);
        }
    }

    private void expire(long now) {
        if (waiting == 0) {
            return;
        }
        List<KeyValue<String, MedicationLink>> expired = new ArrayList<>();
        try (KeyValueIterator<String, MedicationLink> all = waitingStore.all()) {
            while (all.hasNext()) {
                KeyValue<String, MedicationLink> entry = all.next();
                if (now - entry.value.getAwaiting().getSince().toEpochMilli() >= maxWait.toMillis()) {
                    expired.add(entry);
                }
            }
        }
        for (KeyValue<String, MedicationLink> entry : expired) {
            waitingStore.delete(entry.key);
            waiting--;
            String medicationKey = entry.key.substring(0, entry.key.indexOf(SEPARATOR));
            emit(Mapped.deadLetter(deadLetter(entry.value.getAwaiting(), "no Medication " + medicationKey
                    + " arrived within " + maxWait.toMillis() + " ms (kindred.medication.wait.ms)")), now);
        }
    }

    private Mapped complete(AwaitingTreatment awaiting, String medicationKey, MedicationCoding coding) {
        try {
            ClinicalFact fact = MedicationReferences.complete(awaiting.getFact(), new MedicationEntry(medicationKey,
                    str(coding.getSystem()), str(coding.getCode()), str(coding.getDisplay())));
            return Mapped.fact(fact);
        } catch (Rejection r) {
            return Mapped.deadLetter(deadLetter(awaiting, r.getMessage()));
        }
    }

    private void emit(Mapped mapped, long timestamp) {
        if (mapped.isFact()) {
            context.forward(new Record<>(mapped.fact().getPatientKey(), mapped, timestamp));
        } else {
            DeadLetter d = mapped.deadLetter();
            LOG.warn("dead-lettered {}-{}@{}: {} ({}/{})", d.getSourceTopic(), d.getSourcePartition(),
                    d.getSourceOffset(), d.getReasonCode(), d.getResourceType(), d.getResourceId());
            context.forward(new Record<>(null, mapped, timestamp));
        }
    }

    private DeadLetter deadLetter(AwaitingTreatment awaiting, String why) {
        DeadLetter prepared = awaiting.getIfUnresolved();
        return DeadLetter.newBuilder(prepared)
                .setReason(prepared.getResourceType() + " medicationReference: " + why)
                .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .build();
    }

    /** Deterministic per source record and resource, so a replay after a failure overwrites instead of adding. */
    private static String waitingKey(String medicationKey, AwaitingTreatment awaiting) {
        DeadLetter source = awaiting.getIfUnresolved();
        return medicationKey + SEPARATOR + source.getSourceTopic() + SEPARATOR + source.getSourcePartition()
                + SEPARATOR + source.getSourceOffset() + SEPARATOR + awaiting.getFact().getSourceResourceType()
                + "/" + awaiting.getFact().getSourceResourceId();
    }

    private static String str(CharSequence s) {
        return s == null ? null : s.toString();
    }
}
