package dev.kindred.connect.fhir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Writes Kindred's ClinicalAlerts (topic cds.alerts, Confluent wire format) back to a FHIR R4 server as
 * DetectedIssue, Flag or RiskAssessment resources. See {@link FhirSinkConfig} for the settings and
 * {@link FhirSinkTask} for how records are written, retried and dead-lettered.
 */
public class FhirSinkConnector extends SinkConnector {

    private Map<String, String> settings;

    @Override
    public String version() {
        return Versions.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        new FhirSinkConfig(props);  // fail at once on a bad setting, before any task starts
        settings = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return FhirSinkTask.class;
    }

    /** Every task gets the same settings; Connect spreads the topic's partitions over them. */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, settings);
    }

    @Override
    public void stop() {
        settings = null;
    }

    @Override
    public ConfigDef config() {
        return FhirSinkConfig.CONFIG_DEF;
    }
}
