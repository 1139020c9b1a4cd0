package dev.kindred.topology;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientVector;
import dev.kindred.serde.RegistryAvroSerde;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * The value serdes of every Kindred topic and store: Avro in the Confluent wire format against the
 * configured schema registry. Keys are plain UTF-8 patient keys.
 */
public final class KindredSerdes {
    private final Serde<ClinicalFact> fact;
    private final Serde<PatientState> state;
    private final Serde<PatientVector> vector;
    private final Serde<ClinicalAlert> alert;
    private final Serde<DeadLetter> deadLetter;

    public KindredSerdes(Map<String, ?> registryConfigs) {
        this.fact = RegistryAvroSerde.specific(ClinicalFact.class, registryConfigs, false);
        this.state = RegistryAvroSerde.specific(PatientState.class, registryConfigs, false);
        this.vector = RegistryAvroSerde.specific(PatientVector.class, registryConfigs, false);
        this.alert = RegistryAvroSerde.specific(ClinicalAlert.class, registryConfigs, false);
        this.deadLetter = RegistryAvroSerde.specific(DeadLetter.class, registryConfigs, false);
    }

    public Serde<ClinicalFact> fact() {
        return fact;
    }

    public Serde<PatientState> state() {
        return state;
    }

    public Serde<PatientVector> vector() {
        return vector;
    }

    public Serde<ClinicalAlert> alert() {
        return alert;
    }

    public Serde<DeadLetter> deadLetter() {
        return deadLetter;
    }
}
