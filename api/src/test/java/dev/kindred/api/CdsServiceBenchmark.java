package dev.kindred.api;

import dev.kindred.connectors.synthea.SyntheaFeed;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Latency of CDS service calls, end to end over HTTP on one machine: the dev stack (in-process broker and
 * registry), one Kindred instance with auth on as in production (each call carries a fresh ES384 JWT that is
 * verified, its jti remembered), a Synthea population replayed and processed first. Calls are sequential, from
 * one client thread, cycling over the patients with alerts: {@code patient-view} (cards from the alert view, other
 * patients de-identified in the detail), and {@code order-select} with a drafted antihypertensive
 * (state read through an interactive query, neighbour search, outcome tally). Tokens are signed before the clock
 * starts, so the time is the server's and the loopback's.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... dev.kindred.api.CdsServiceBenchmark \
 *     [--patients 30] [--seed 42] [--calls 3000] [--warmup 500] [--out FILE.json]
 * </pre>
 */
public final class CdsServiceBenchmark {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int patients = Integer.parseInt(opts.getOrDefault("patients", "30"));
        long seed = Long.parseLong(opts.getOrDefault("seed", "42"));
        int calls = Integer.parseInt(opts.getOrDefault("calls", "3000"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "500"));
        Path dir = Files.createTempDirectory("kindred-cds-bench");
        Ehr ehr = new Ehr(dir);
        Map<String, Object> settings = new HashMap<>(ehr.settings());
        settings.put(ApiConfig.TOKENS_CONFIG, "bench:bench-token-0123456789");
        try (TestStack stack = TestStack.start(dir)) {
            ApiServer api = stack.startInstance("bench", settings, ApiServer.Options.SECURE).api();
            Path fhir = SyntheaFeed.generate(patients, seed, Path.of("target", "synthea-cache"));
            System.err.printf("replaying %d Synthea patients (seed %d)...%n", patients, seed);
            stack.replay(fhir);
            stack.awaitProcessed(Duration.ofMinutes(30));
            while (!api.alertView().caughtUp()) {
                Thread.sleep(200);
            }
            List<String> withAlerts = new ArrayList<>();
            List<String> all = new ArrayList<>();
            api.alertView().recent(dev.kindred.api.alerts.AlertView.Filter.ALL, 100_000).forEach(e -> {
                if (!withAlerts.contains(e.alert().getPatientKey())) {
                    withAlerts.add(e.alert().getPatientKey());
                }
            });
            all.addAll(withAlerts);
            String orderTemplate;
            try (var in = CdsServiceBenchmark.class.getResourceAsStream("/cds/order-select-example.json")) {
                orderTemplate = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replace("{{fhirServer}}", "http://127.0.0.1:9/fhir");
            }
            String[] kinds = {"patient-view", "order-select"};
            Map<String, long[]> results = new HashMap<>();
            for (String kind : kinds) {
                String path = "/cds-services/" + (kind.equals("patient-view") ? "kindred-patient-view" : "kindred-order-select");
                String url = api.publicUrl() + path;
                long[] nanos = new long[calls];
                for (int i = -warmup; i < calls; i++) {
                    String patient = all.get(Math.floorMod(i, all.size()));
                    String body = kind.equals("patient-view") ? ApiIT.patientView(patient)
                            : orderTemplate.replace("{{patientId}}", patient);
                    String jwt = "Bearer " + ehr.es384(Ehr.claims(url, Instant.now().plusSeconds(300)).build());
                    HttpRequest request = HttpRequest.newBuilder(URI.create(api.url() + path))
                            .header("Content-Type", "application/json").header("Authorization", jwt)
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
                    long t = System.nanoTime() - t0;
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(kind + " answered " + r.statusCode() + ": " + r.body());
                    }
                    if (i >= 0) {
                        nanos[i] = t;
                    }
                }
                Arrays.sort(nanos);
                results.put(kind, nanos);
            }
            StringBuilder json = new StringBuilder("{\"patients\":" + all.size() + ",\"alertsHeld\":"
                    + api.alertView().held() + ",\"calls\":" + calls + ",\"results\":{");
            for (String kind : kinds) {
                long[] n = results.get(kind);
                String line = String.format(Locale.ROOT, "%-13s calls=%d p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms",
                        kind, n.length, ms(n, 0.50), ms(n, 0.90), ms(n, 0.99), n[n.length - 1] / 1e6);
                System.out.println(line);
                json.append(String.format(Locale.ROOT, "\"%s\":{\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
                        + "\"max_ms\":%.2f},", kind, ms(n, 0.5), ms(n, 0.9), ms(n, 0.99), n[n.length - 1] / 1e6));
            }
            json.setLength(json.length() - 1);
            json.append("}}\n");
            if (opts.containsKey("out")) {
                Files.writeString(Path.of(opts.get("out")), json.toString());
            }
        }
    }

    static double ms(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
