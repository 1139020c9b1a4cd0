package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.state.KindredStateReader;
import dev.kindred.index.IndexStats;
import dev.kindred.topology.KindredService;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;

/**
 * {@code /health}: UP (200) once the streams run, the index is restored and the alert view has caught up; STARTING
 * or DOWN (503) before, with the lags and index state that say why.
 */
final class Health {
    private final KindredService service;
    private final KindredStateReader reader;
    private final AlertView alerts;

    Health(KindredService service, KindredStateReader reader, AlertView alerts) {
        this.service = service;
        this.reader = reader;
        this.alerts = alerts;
    }

    void health(Context ctx) {
        KafkaStreams streams = service.streams();
        KafkaStreams.State state = streams.state();
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, IndexStats> stats = reader.indexStats();
        boolean indexReady = reader.indexStore().isPresent() && state == KafkaStreams.State.RUNNING || (!stats.isEmpty()
                && state.isRunningOrRebalancing());
        boolean ready = state.isRunningOrRebalancing() && indexReady && alerts.caughtUp() && alerts.failure() == null;
        out.put("status", ready ? "UP" : state.isRunningOrRebalancing() ? "STARTING" : "DOWN");
        out.put("streams", Map.of("state", state.name(), "applicationId", service.applicationId()));
        Map<String, Object> lag = new LinkedHashMap<>();
        lag.put("inputRecords", inputLag(streams));
        long restore = 0;
        try {
            for (Map<Integer, LagInfo> byPartition : streams.allLocalStorePartitionLags().values()) {
                for (LagInfo l : byPartition.values()) {
                    restore += Math.max(0, l.offsetLag());
                }
            }
        } catch (RuntimeException e) {
            restore = -1;
        }
        lag.put("storeRestoreRecords", restore);
        out.put("lag", lag);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("restored", indexReady);
        Map<String, Object> spaces = new LinkedHashMap<>();
        stats.forEach((space, s) -> spaces.put(space, Map.of("size", s.size(), "deletedFraction", s.deletedFraction(),
                "sampledRecall", Double.isNaN(s.sampledRecall()) ? "n/a" : s.sampledRecall())));
        index.put("spaces", spaces);
        reader.indexStore().ifPresent(s -> index.put("snapshot", s.snapshotStatus().loaded() ? "loaded" : "none"));
        out.put("index", index);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("caughtUp", alerts.caughtUp());
        view.put("held", alerts.held());
        if (alerts.failure() != null) {
            view.put("failure", alerts.failure());
        }
        out.put("alertView", view);
        json(ctx, ready ? 200 : 503, out);
    }

    /** Records behind on this instance's input partitions, from the stream threads' consumer metrics. */
    private static double inputLag(KafkaStreams streams) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            String client = n.tags().getOrDefault("client-id", "");
            if (n.name().equals("records-lag") && n.group().equals("consumer-fetch-manager-metrics")
                    && client.contains("StreamThread") && !client.endsWith("restore-consumer")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) {
                    total += d;
                }
            }
        }
        return total;
    }
}
