package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.kindred.imaging.EmbeddingRequest.AttachedImages;
import dev.kindred.imaging.EmbeddingRequest.DicomStudy;
import dev.kindred.imaging.EmbeddingRequest.Instance;
import dev.kindred.imaging.EmbeddingRequest.Series;
import dev.kindred.imaging.EmbeddingResult.Embedded;
import dev.kindred.imaging.EmbeddingResult.Failed;
import dev.kindred.imaging.FakePacs.Frame;
import dev.kindred.imaging.FakePacs.Hang;
import dev.kindred.imaging.FakePacs.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(60)
class EmbeddingServiceTest {
    static final String STUDY = "1.2.826.0.1.3680043.8.498.1";
    static final String CHEST_SERIES = STUDY + ".1";
    static final String LATERAL_SERIES = STUDY + ".2";
    static final String REPORT_SERIES = STUDY + ".3";
    static final String TOKEN = "Bearer test-token-123";

    @TempDir
    static Path dir;

    static TestModels network;
    static Path modelFile;
    static ImageEmbedder embedder;

    final List<AutoCloseable> closeAfterTest = new ArrayList<>();
    FakePacs pacs;

    @BeforeAll
    static void loadModel() throws Exception {
        network = TestModels.build();
        modelFile = network.writeOnnx(dir);
        embedder = ImageEmbedder.load(settings(modelFile).build());
    }

    @AfterAll
    static void closeModel() {
        embedder.close();
        network.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeAfterTest) {
            closeable.close();
        }
    }

    static EmbedderSettings.Builder settings(Path model) {
        return EmbedderSettings.builder(model).inputSize(TestModels.INPUT_SIZE, TestModels.INPUT_SIZE);
    }

    /** Fast retries, a generous request time-out: each test tightens what it checks. */
    static ServiceSettings quick() {
        return ServiceSettings.defaults().withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50))
                .withRequestTimeout(Duration.ofSeconds(20));
    }

    FakePacs pacs() throws IOException {
        pacs = new FakePacs();
        closeAfterTest.add(pacs);
        return pacs;
    }

    EmbeddingService service(ImageEmbedder model, URI pacsBase, ServiceSettings settings) {
        DicomWebClient client = pacsBase == null ? null
                : new DicomWebClient(DicomWebSettings.defaults(pacsBase).withAuthHeader("Authorization", TOKEN));
        EmbeddingService service = new EmbeddingService(model, client, settings);
        closeAfterTest.add(0, service); // closed before the PACS, so no fetch outlives its server
        return service;
    }

    static DicomStudy oneInstance(String instance) {
        return new DicomStudy(STUDY, List.of(new Series(CHEST_SERIES, "CR", List.of(new Instance(instance, 1)))));
    }

    static EmbeddingResult result(CompletableFuture<EmbeddingResult> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    @Test
    void embedsOneInstancePerImageSeriesFetchedWithTheAuthHeader() throws Exception {
        byte[] frontal = TestImages.chestPng(512, 1);
        byte[] lateral = TestImages.chestJpeg(400, 2);
        String frontalMiddle = CHEST_SERIES + ".2";
        pacs().on(STUDY, CHEST_SERIES, frontalMiddle, new Frame(frontal, "image/png"))
                .on(STUDY, LATERAL_SERIES, LATERAL_SERIES + ".1", new Frame(lateral, "image/jpeg"));
        // Instances listed out of order: the middle one by instance number is fetched.
        DicomStudy study = new DicomStudy(STUDY, List.of(
                new Series(CHEST_SERIES, "CR", List.of(new Instance(CHEST_SERIES + ".3", 3),
                        new Instance(CHEST_SERIES + ".1", 1), new Instance(frontalMiddle, 2))),
                new Series(REPORT_SERIES, "SR", List.of(new Instance(REPORT_SERIES + ".1", 1))),
                new Series(LATERAL_SERIES, "DX", List.of(new Instance(LATERAL_SERIES + ".1", null)))));
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick()).start();

        Embedded embedded = (Embedded) result(service.submit(study));

        assertThat(embedded.requestId()).isEqualTo(STUDY);
        assertThat(embedded.imageIds()).containsExactly(frontalMiddle, LATERAL_SERIES + ".1");
        assertThat(pacs.requests()).extracting(FakePacs.Request::path).containsExactlyInAnyOrder(
                FakePacs.path(STUDY, CHEST_SERIES, frontalMiddle),
                FakePacs.path(STUDY, LATERAL_SERIES, LATERAL_SERIES + ".1"));
        assertThat(pacs.requests()).allSatisfy(request -> {
            assertThat(request.authorization()).isEqualTo(TOKEN);
            assertThat(request.accept()).isEqualTo("image/png");
        });
        float[] expected = Vectors.studyEmbedding(List.of(embedder.embed(frontal), embedder.embed(lateral)));
        assertThat(embedded.embedding()).hasSize(TestModels.EMBEDDING).containsExactly(expected, within(1e-5f));
        assertThat(norm(embedded.embedding())).isCloseTo(1.0, within(1e-5));
        assertThat(service.completed()).isEqualTo(1);
        assertThat(service.imagesEmbedded()).isEqualTo(2);
        assertThat(service.failedTotal()).isZero();
        assertThat(service.modelMillisPerImage()).isPositive();
        assertThat(service.prepareMillisPerImage()).isPositive();
        await().atMost(Duration.ofSeconds(5)).until(() -> service.queueDepth() == 0);
    }

    @Test
    void retriesA503AndThenSucceeds() throws Exception {
        String instance = CHEST_SERIES + ".1";
        pacs().on(STUDY, CHEST_SERIES, instance, new Status(503), new Frame(TestImages.chestPng(256, 0), "image/png"));
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick()).start();

        EmbeddingResult result = result(service.submit(oneInstance(instance)));

        assertThat(result).isInstanceOf(Embedded.class);
        assertThat(pacs.requestsTo(FakePacs.path(STUDY, CHEST_SERIES, instance))).isEqualTo(2);
    }

    @ParameterizedTest
    @CsvSource({"404, PACS_NOT_FOUND", "410, PACS_NOT_FOUND", "401, PACS_AUTH_FAILED", "403, PACS_AUTH_FAILED",
        "400, PACS_HTTP_ERROR", "406, PACS_HTTP_ERROR"})
    void failsAtOnceOnAStatusThatARetryCannotChange(int status, FailureReason reason) throws Exception {
        String instance = CHEST_SERIES + ".1";
        pacs().on(STUDY, CHEST_SERIES, instance, new Status(status), new Frame(TestImages.chestPng(64, 0), "image/png"));
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick()).start();

        Failed failed = (Failed) result(service.submit(oneInstance(instance)));

        assertThat(failed.reason()).isEqualTo(reason);
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.message()).contains("HTTP " + status).contains(instance);
        assertThat(pacs.requestsTo(FakePacs.path(STUDY, CHEST_SERIES, instance))).isEqualTo(1);
        assertThat(service.failed(reason)).isEqualTo(1);
    }

    @Test
    void givesUpOnA503AfterTheConfiguredAttempts() throws Exception {
        String instance = CHEST_SERIES + ".1";
        pacs().on(STUDY, CHEST_SERIES, instance, new Status(503));
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick()).start();

        Failed failed = (Failed) result(service.submit(oneInstance(instance)));

        assertThat(failed.reason()).isEqualTo(FailureReason.PACS_HTTP_ERROR);
        assertThat(failed.reason().code()).isEqualTo("pacs-http-error");
        assertThat(failed.attempts()).isEqualTo(3);
        assertThat(failed.message()).contains("HTTP 503");
        assertThat(pacs.requestsTo(FakePacs.path(STUDY, CHEST_SERIES, instance))).isEqualTo(3);
    }

    @Test
    void reportsAnUnreachablePacsAfterRetrying() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        EmbeddingService service = service(embedder, URI.create("http://127.0.0.1:" + closedPort + "/dicom-web"), quick())
                .start();

        Failed failed = (Failed) result(service.submit(oneInstance(CHEST_SERIES + ".1")));

        assertThat(failed.reason()).isEqualTo(FailureReason.PACS_UNREACHABLE);
        assertThat(failed.reason().code()).isEqualTo("pacs-unreachable");
        assertThat(failed.attempts()).isEqualTo(3);
    }

    @Test
    void garbageBytesAreUndecodableAndNotRetried() throws Exception {
        String instance = CHEST_SERIES + ".1";
        byte[] garbage = "<html>login required</html>".getBytes(StandardCharsets.UTF_8);
        pacs().on(STUDY, CHEST_SERIES, instance, new Frame(garbage, "image/png"));
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick()).start();

        Failed fromPacs = (Failed) result(service.submit(oneInstance(instance)));
        Failed attached = (Failed) result(service.submit(new AttachedImages("Media/7", List.of(garbage))));

        assertThat(fromPacs.reason()).isEqualTo(FailureReason.IMAGE_UNDECODABLE);
        assertThat(fromPacs.reason().code()).isEqualTo("image-undecodable");
        assertThat(pacs.requestsTo(FakePacs.path(STUDY, CHEST_SERIES, instance))).isEqualTo(1);
        assertThat(attached.reason()).isEqualTo(FailureReason.IMAGE_UNDECODABLE);
        assertThat(attached.message()).contains("Media/7").contains("attachment-0");
        assertThat(service.failed(FailureReason.IMAGE_UNDECODABLE)).isEqualTo(2);
    }

    @Test
    void aPacsThatNeverAnswersEndsInATimeOutAndFreesTheSlot() throws Exception {
        String instance = CHEST_SERIES + ".1";
        pacs().on(STUDY, CHEST_SERIES, instance, new Hang());
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick().withRequestTimeout(Duration.ofSeconds(1)))
                .start();

        long start = System.nanoTime();
        Failed failed = (Failed) result(service.submit(oneInstance(instance)));

        assertThat(failed.reason()).isEqualTo(FailureReason.EMBEDDING_TIMEOUT);
        assertThat(failed.reason().code()).isEqualTo("embedding-timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));
        assertThat(service.queueDepth()).isZero();
        assertThat(service.failed(FailureReason.EMBEDDING_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void aFrameSlowerThanTheHttpTimeOutIsRetriedThenReportedAsAPacsTimeOut() throws Exception {
        String instance = CHEST_SERIES + ".1";
        pacs().on(STUDY, CHEST_SERIES, instance, new Hang());
        DicomWebClient client = new DicomWebClient(DicomWebSettings.defaults(pacs.baseUrl())
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300)));
        EmbeddingService service = new EmbeddingService(embedder, client, quick().withRetries(2, Duration.ofMillis(10),
                Duration.ofMillis(10))).start();
        closeAfterTest.add(0, service);

        Failed failed = (Failed) result(service.submit(oneInstance(instance)));

        assertThat(failed.reason()).isEqualTo(FailureReason.PACS_TIMEOUT);
        assertThat(failed.attempts()).isEqualTo(2);
        assertThat(pacs.requestsTo(FakePacs.path(STUDY, CHEST_SERIES, instance))).isEqualTo(2);
    }

    @Test
    void aFullQueueRejectsAtOnceWithoutBlocking() throws Exception {
        pacs().on(STUDY, CHEST_SERIES, CHEST_SERIES + ".1", new Hang())
                .on(STUDY, CHEST_SERIES, CHEST_SERIES + ".2", new Hang());
        EmbeddingService service = service(embedder, pacs.baseUrl(), quick().withQueueCapacity(2)).start();
        CompletableFuture<EmbeddingResult> first = service.submit(oneInstance(CHEST_SERIES + ".1"));
        CompletableFuture<EmbeddingResult> second = service.submit(oneInstance(CHEST_SERIES + ".2"));

        long start = System.nanoTime();
        CompletableFuture<EmbeddingResult> third = service.submit(oneInstance(CHEST_SERIES + ".3"));
        Duration submitTook = Duration.ofNanos(System.nanoTime() - start);

        assertThat(third).isDone();
        assertThat(submitTook).isLessThan(Duration.ofSeconds(2)); // generous: the machine may be busy; isDone() is the point
        Failed rejected = (Failed) third.getNow(null);
        assertThat(rejected.reason()).isEqualTo(FailureReason.QUEUE_FULL);
        assertThat(rejected.reason().code()).isEqualTo("queue-full");
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        assertThat(service.queueDepth()).isEqualTo(2);
        assertThat(service.failed(FailureReason.QUEUE_FULL)).isEqualTo(1);
        assertThat(service.submitted()).isEqualTo(3);

        service.close();
        assertThat(((Failed) result(first)).reason()).isEqualTo(FailureReason.SERVICE_CLOSED);
        assertThat(((Failed) result(second)).reason()).isEqualTo(FailureReason.SERVICE_CLOSED);
    }

    @Test
    void imagesWaitingTogetherShareOneForwardPass() throws Exception {
        EmbeddingService service = service(embedder, null, quick());
        List<byte[]> images = List.of(TestImages.chestPng(128, 0), TestImages.chestJpeg(160, 1),
                TestImages.chestPng(200, 2), TestImages.chestPng(96, 3), TestImages.chestJpeg(256, 4));
        List<CompletableFuture<EmbeddingResult>> singles = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            singles.add(service.submit(new AttachedImages("Media/" + i, List.of(images.get(i)))));
        }
        CompletableFuture<EmbeddingResult> pair = service.submit(new AttachedImages("Binary/9", images.subList(3, 5)));
        // Not started yet: every image is decoded and waits for the model.
        await().atMost(Duration.ofSeconds(20)).until(() -> service.imagesAwaitingModel() == 5);

        service.start();

        for (int i = 0; i < 3; i++) {
            Embedded embedded = (Embedded) result(singles.get(i));
            assertThat(embedded.embedding()).containsExactly(embedder.embed(images.get(i)), within(1e-5f));
        }
        Embedded both = (Embedded) result(pair);
        assertThat(both.imageIds()).containsExactly("attachment-0", "attachment-1");
        assertThat(both.embedding()).containsExactly(
                Vectors.studyEmbedding(List.of(embedder.embed(images.get(3)), embedder.embed(images.get(4)))), within(1e-5f));
        assertThat(service.forwardPasses()).isEqualTo(1);
        assertThat(service.imagesEmbedded()).isEqualTo(5);
    }

    @Test
    void aModelExportedForBatchesOfOneFallsBackToOneImagePerPass() throws Exception {
        Path fixedBatchModel = network.writeOnnx(dir.resolve("fixed-batch.onnx"), 1);
        try (ImageEmbedder fixedBatch = ImageEmbedder.load(settings(fixedBatchModel).build())) {
            EmbeddingService service = service(fixedBatch, null, quick());
            List<byte[]> images = List.of(TestImages.chestPng(128, 0), TestImages.chestPng(128, 1), TestImages.chestPng(128, 2));
            List<CompletableFuture<EmbeddingResult>> results = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                results.add(service.submit(new AttachedImages("Media/" + i, List.of(images.get(i)))));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> service.imagesAwaitingModel() == 3);

            service.start();

            for (int i = 0; i < images.size(); i++) {
                Embedded embedded = (Embedded) result(results.get(i));
                assertThat(embedded.embedding()).containsExactly(embedder.embed(images.get(i)), within(1e-5f));
            }
            assertThat(service.batchingEnabled()).isFalse();
            assertThat(service.forwardPasses()).isEqualTo(3);
            service.close();
        }
    }

    @Test
    void anUnreadableModelOutputIsAModelError() throws Exception {
        try (ImageEmbedder wrongOutput = ImageEmbedder.load(settings(modelFile).outputName("logits").build())) {
            EmbeddingService service = service(wrongOutput, null, quick()).start();

            Failed failed = (Failed) result(service.submit(new AttachedImages("Media/1", List.of(TestImages.chestPng(64, 0)))));

            assertThat(failed.reason()).isEqualTo(FailureReason.MODEL_ERROR);
            assertThat(failed.reason().code()).isEqualTo("model-error");
            assertThat(failed.message()).contains("no output named logits").contains("embedding").contains("features");
            service.close();
        }
    }

    @Test
    void requestsWithNothingToFetchFailWithTheirReason() throws Exception {
        EmbeddingService withoutPacs = service(embedder, null, quick()).start();
        EmbeddingService withPacs = service(embedder, pacs().baseUrl(), quick()).start();
        DicomStudy reportOnly = new DicomStudy(STUDY, List.of(
                new Series(REPORT_SERIES, "SR", List.of(new Instance(REPORT_SERIES + ".1", 1)))));

        assertThat(((Failed) result(withoutPacs.submit(oneInstance("1.2.3")))).reason())
                .isEqualTo(FailureReason.PACS_UNREACHABLE);
        assertThat(((Failed) result(withPacs.submit(reportOnly))).reason()).isEqualTo(FailureReason.NO_IMAGES);
        assertThat(((Failed) result(withPacs.submit(new AttachedImages("Media/1", List.of())))).reason())
                .isEqualTo(FailureReason.NO_IMAGES);
        assertThat(pacs.requests()).isEmpty();
    }

    private static double norm(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
