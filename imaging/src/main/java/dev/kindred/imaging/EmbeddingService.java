package dev.kindred.imaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds studies off the caller's thread: what a stream processor calls on an ImagingStudy event.
 *
 * <p>{@link #submit} never blocks: it takes a slot of a bounded queue (none free: an immediate
 * {@link FailureReason#QUEUE_FULL} result) and returns a future that always completes normally, with
 * {@link EmbeddingResult.Embedded} or {@link EmbeddingResult.Failed}, within the request time-out. Fetch
 * threads download (retrying 408/429/5xx and network failures with exponential backoff) and decode the
 * images; model threads, each with its own predictor, take whatever images are waiting, up to the model's
 * batch size, into one forward pass. Dependent actions on the future run on the service's threads: keep
 * them short.
 *
 * <p>The service does not own the {@link ImageEmbedder}: close the service first, then the embedder.
 */
public final class EmbeddingService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddingService.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private final ImageEmbedder embedder;
    private final DicomWebClient pacs;
    private final ServiceSettings settings;
    private final Semaphore slots;
    private final ScheduledExecutorService fetchers;
    private final ScheduledExecutorService deadlines;
    private final LinkedBlockingQueue<PreparedImage> modelQueue = new LinkedBlockingQueue<>();
    private final List<Thread> modelThreads = new ArrayList<>();
    private final Set<Job> active = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean batching = new AtomicBoolean(true);
    private volatile boolean closed;

    private final LongAdder submitted = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final Map<FailureReason, LongAdder> failed = new EnumMap<>(FailureReason.class);
    private final LongAdder imagesEmbedded = new LongAdder();
    private final LongAdder forwardPasses = new LongAdder();
    private final LongAdder modelNanos = new LongAdder();
    private final LongAdder imagesPrepared = new LongAdder();
    private final LongAdder prepareNanos = new LongAdder();

    /**
     * @param pacs the DICOMweb client, or null when no PACS is configured (DICOM study requests then fail
     *     with {@link FailureReason#PACS_UNREACHABLE})
     */
    public EmbeddingService(ImageEmbedder embedder, DicomWebClient pacs, ServiceSettings settings) {
        this.embedder = Objects.requireNonNull(embedder, "embedder");
        this.pacs = pacs;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.slots = new Semaphore(settings.queueCapacity());
        for (FailureReason reason : FailureReason.values()) {
            failed.put(reason, new LongAdder());
        }
        this.fetchers = Executors.newScheduledThreadPool(settings.fetchThreads(), daemon("kindred-imaging-fetch-"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon("kindred-imaging-deadline-"));
        ThreadFactory modelThreadFactory = daemon("kindred-imaging-model-");
        for (int i = 0; i < settings.inferenceThreads(); i++) {
            modelThreads.add(modelThreadFactory.newThread(this::runModel));
        }
    }

    /**
     * Starts the model threads. Requests submitted before are fetched and decoded at once and wait for the
     * model (their time-outs run); a stream application starts the service when its topology starts.
     */
    public synchronized EmbeddingService start() {
        if (closed) {
            throw new IllegalStateException("the embedding service is closed");
        }
        for (Thread thread : modelThreads) {
            if (thread.getState() == Thread.State.NEW) {
                thread.start();
            }
        }
        return this;
    }

    /** Queues a request; never blocks. The future always completes normally, with a result or a typed failure. */
    public CompletableFuture<EmbeddingResult> submit(EmbeddingRequest request) {
        Objects.requireNonNull(request, "request");
        submitted.increment();
        if (closed) {
            return rejected(request, FailureReason.SERVICE_CLOSED, "the embedding service is closed");
        }
        if (!slots.tryAcquire()) {
            return rejected(request, FailureReason.QUEUE_FULL,
                    "the embedding queue is full (" + settings.queueCapacity() + " requests in flight)");
        }
        Job job = new Job(request);
        active.add(job);
        try {
            job.deadline = deadlines.schedule(() -> job.fail(FailureReason.EMBEDDING_TIMEOUT,
                    "no embedding within " + settings.requestTimeout() + " for " + job.id, 1),
                    settings.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
            start(job);
        } catch (RejectedExecutionException e) {
            job.fail(FailureReason.SERVICE_CLOSED, "the embedding service is closed", 1);
        }
        return job.result;
    }

    private void start(Job job) {
        if (job.request instanceof EmbeddingRequest.AttachedImages attached) {
            if (attached.images().isEmpty()) {
                job.fail(FailureReason.NO_IMAGES, "request " + job.id + " has no attached image", 1);
                return;
            }
            job.expect(attached.images().size());
            for (int i = 0; i < attached.images().size(); i++) {
                int index = i;
                job.imageIds[index] = "attachment-" + index;
                fetchers.execute(() -> prepareAndQueue(job, index, attached.images().get(index)));
            }
        } else if (job.request instanceof EmbeddingRequest.DicomStudy study) {
            if (pacs == null) {
                job.fail(FailureReason.PACS_UNREACHABLE, "no DICOMweb endpoint is configured for study " + job.id, 1);
                return;
            }
            List<DicomWebClient.FrameRef> frames = pacs.select(study);
            if (frames.isEmpty()) {
                job.fail(FailureReason.NO_IMAGES, "study " + job.id + " lists no instance of an image series", 1);
                return;
            }
            job.expect(frames.size());
            for (int i = 0; i < frames.size(); i++) {
                int index = i;
                job.imageIds[index] = frames.get(index).sopInstanceUid();
                fetchers.execute(() -> fetch(job, index, frames.get(index), 1));
            }
        }
    }

    private void fetch(Job job, int index, DicomWebClient.FrameRef frame, int attempt) {
        if (job.isDone()) {
            return;
        }
        byte[] image;
        Duration budget = job.remaining();
        try {
            image = pacs.fetchRendered(frame, budget);
        } catch (ImagingException e) {
            if (e.reason() == FailureReason.PACS_TIMEOUT && budget.compareTo(pacs.settings().requestTimeout()) < 0) {
                // The HTTP time-out was the rest of the request's time: the request ran out, not the PACS's allowance.
                job.fail(FailureReason.EMBEDDING_TIMEOUT, "no embedding within " + settings.requestTimeout() + " for "
                        + job.id + ": " + e.getMessage(), attempt);
                return;
            }
            retryOrFail(job, e, attempt, () -> fetch(job, index, frame, attempt + 1));
            return;
        }
        prepareAndQueue(job, index, image);
    }

    private void retryOrFail(Job job, ImagingException failure, int attempt, Runnable retry) {
        if (failure.retriable() && attempt < settings.maxAttempts()) {
            long backoff = settings.backoffAfter(attempt).toMillis();
            backoff += (long) (backoff * ThreadLocalRandom.current().nextDouble(-0.2, 0.2));
            // A retry that cannot finish in time is not tried: the real reason beats a time-out.
            if (backoff < job.remaining().toMillis()) {
                log.debug("Retrying {} in {} ms after attempt {}: {}", job.id, backoff, attempt, failure.getMessage());
                try {
                    fetchers.schedule(retry, backoff, TimeUnit.MILLISECONDS);
                    return;
                } catch (RejectedExecutionException closing) {
                    job.fail(FailureReason.SERVICE_CLOSED, "the embedding service is closed", attempt);
                    return;
                }
            }
        }
        job.fail(failure.reason(), attempt > 1 ? failure.getMessage() + " (attempt " + attempt + ")" : failure.getMessage(),
                attempt);
    }

    private void prepareAndQueue(Job job, int index, byte[] image) {
        if (job.isDone()) {
            return;
        }
        long start = System.nanoTime();
        try {
            modelQueue.add(new PreparedImage(job, index, embedder.prepare(image)));
        } catch (ImagingException e) {
            job.fail(e.reason(), "image " + job.imageIds[index] + " of " + job.id + ": " + e.getMessage(), 1);
        } finally {
            imagesPrepared.increment();
            prepareNanos.add(System.nanoTime() - start);
        }
    }

    private void runModel() {
        try (ImageEmbedder.Worker worker = embedder.newWorker()) {
            List<PreparedImage> batch = new ArrayList<>();
            while (!closed) {
                PreparedImage first = modelQueue.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                modelQueue.drainTo(batch, (batching.get() ? embedder.settings().maxBatchSize() : 1) - 1);
                batch.removeIf(image -> image.job.isDone());
                try {
                    embedBatch(worker, batch);
                } catch (RuntimeException e) {
                    // Not expected (the worker reports model failures as ImagingException); keep the thread alive.
                    log.error("Embedding a batch of {} failed unexpectedly", batch.size(), e);
                    batch.forEach(image -> image.job.fail(FailureReason.MODEL_ERROR, "unexpected failure: " + e, 1));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("An image model thread could not start its predictor", e);
        }
    }

    private void embedBatch(ImageEmbedder.Worker worker, List<PreparedImage> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            deliver(batch, forward(worker, batch));
        } catch (ImagingException batchFailure) {
            if (batch.size() == 1) {
                PreparedImage image = batch.get(0);
                image.job.fail(FailureReason.MODEL_ERROR, "image " + image.job.imageIds[image.index] + " of " + image.job.id
                        + ": " + batchFailure.getMessage(), 1);
                return;
            }
            // Either the model takes no batch (exported with a fixed batch of one) or one image breaks it: go one by one.
            // Results are handed out only once the batching decision is made, so whoever sees them sees it too.
            int succeeded = 0;
            List<Runnable> outcomes = new ArrayList<>(batch.size());
            for (PreparedImage image : batch) {
                List<PreparedImage> single = List.of(image);
                try {
                    float[][] embedding = forward(worker, single);
                    outcomes.add(() -> deliver(single, embedding));
                    succeeded++;
                } catch (ImagingException e) {
                    outcomes.add(() -> image.job.fail(FailureReason.MODEL_ERROR, "image "
                            + image.job.imageIds[image.index] + " of " + image.job.id + ": " + e.getMessage(), 1));
                }
            }
            if (succeeded == batch.size() && batching.compareAndSet(true, false)) {
                log.warn("The image model failed on a batch of {} but not on each image alone: one image per forward"
                        + " pass from now on. {}", batch.size(), batchFailure.getMessage());
            }
            outcomes.forEach(Runnable::run);
        }
    }

    private float[][] forward(ImageEmbedder.Worker worker, List<PreparedImage> batch) throws ImagingException {
        List<float[]> inputs = new ArrayList<>(batch.size());
        batch.forEach(image -> inputs.add(image.prepared));
        long start = System.nanoTime();
        float[][] embeddings = worker.embed(inputs);
        modelNanos.add(System.nanoTime() - start);
        forwardPasses.increment();
        imagesEmbedded.add(batch.size());
        return embeddings;
    }

    private static void deliver(List<PreparedImage> batch, float[][] embeddings) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).job.imageEmbedded(batch.get(i).index, embeddings[i]);
        }
    }

    /** Fails every unfinished request with {@link FailureReason#SERVICE_CLOSED} and stops the threads. */
    @Override
    public synchronized void close() {
        closed = true;
        fetchers.shutdownNow();
        deadlines.shutdownNow();
        modelThreads.forEach(Thread::interrupt);
        for (Thread thread : modelThreads) {
            if (thread.getState() == Thread.State.NEW) {
                continue;
            }
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Job job : active) {
            job.fail(FailureReason.SERVICE_CLOSED, "the embedding service closed before " + job.id + " was done", 1);
        }
    }

    // Metrics, as plain getters for whatever registry the application uses.

    public long submitted() {
        return submitted.sum();
    }

    /** Requests that ended with an embedding. */
    public long completed() {
        return completed.sum();
    }

    /** Requests that ended with this reason, rejections included. */
    public long failed(FailureReason reason) {
        return failed.get(reason).sum();
    }

    public long failedTotal() {
        return failed.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Requests accepted and not yet finished (at most {@link ServiceSettings#queueCapacity()}). */
    public int queueDepth() {
        return settings.queueCapacity() - slots.availablePermits();
    }

    /** Decoded images waiting for a model thread. */
    public int imagesAwaitingModel() {
        return modelQueue.size();
    }

    public long imagesEmbedded() {
        return imagesEmbedded.sum();
    }

    public long forwardPasses() {
        return forwardPasses.sum();
    }

    /** Mean forward-pass time per image, batching included; 0 before the first image. */
    public double modelMillisPerImage() {
        long images = imagesEmbedded.sum();
        return images == 0 ? 0 : modelNanos.sum() / 1e6 / images;
    }

    /** Mean decode, resize and normalize time per image; 0 before the first image. */
    public double prepareMillisPerImage() {
        long images = imagesPrepared.sum();
        return images == 0 ? 0 : prepareNanos.sum() / 1e6 / images;
    }

    /** False once the model has refused a batch that it took image by image. */
    public boolean batchingEnabled() {
        return batching.get();
    }

    private CompletableFuture<EmbeddingResult> rejected(EmbeddingRequest request, FailureReason reason, String message) {
        failed.get(reason).increment();
        return CompletableFuture.completedFuture(new EmbeddingResult.Failed(request.id(), reason, message, 0));
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private record PreparedImage(Job job, int index, float[] prepared) {}

    /** One request in flight; finishes exactly once, whichever of success, failure or time-out comes first. */
    private final class Job {
        final EmbeddingRequest request;
        final String id;
        final long startNanos = System.nanoTime();
        final CompletableFuture<EmbeddingResult> result = new CompletableFuture<>();
        final AtomicBoolean finished = new AtomicBoolean();
        final AtomicInteger remainingImages = new AtomicInteger();
        volatile ScheduledFuture<?> deadline;
        float[][] embeddings;
        String[] imageIds;

        Job(EmbeddingRequest request) {
            this.request = request;
            this.id = request.id();
        }

        void expect(int images) {
            embeddings = new float[images][];
            imageIds = new String[images];
            remainingImages.set(images);
        }

        boolean isDone() {
            return finished.get();
        }

        Duration remaining() {
            return settings.requestTimeout().minusNanos(System.nanoTime() - startNanos);
        }

        void imageEmbedded(int index, float[] embedding) {
            embeddings[index] = embedding;
            if (remainingImages.decrementAndGet() == 0) {
                finish(new EmbeddingResult.Embedded(id, Vectors.studyEmbedding(Arrays.asList(embeddings)),
                        Arrays.asList(imageIds), elapsedMillis()));
            }
        }

        void fail(FailureReason reason, String message, int attempts) {
            finish(new EmbeddingResult.Failed(id, reason, message, attempts));
        }

        private void finish(EmbeddingResult outcome) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            active.remove(this);
            slots.release();
            if (outcome instanceof EmbeddingResult.Failed failure) {
                failed.get(failure.reason()).increment();
                log.info("Embedding {} failed after {} ms: {} {}", id, elapsedMillis(), failure.reason().code(),
                        failure.message());
            } else {
                completed.increment();
            }
            result.complete(outcome);
        }

        private long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }
    }
}
