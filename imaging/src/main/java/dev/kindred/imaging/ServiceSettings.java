package dev.kindred.imaging;

import java.time.Duration;
import java.util.Objects;

/**
 * How the embedding service queues and retries.
 *
 * @param queueCapacity most requests accepted and not yet finished; one more is rejected at once with
 *     {@link FailureReason#QUEUE_FULL}
 * @param inferenceThreads threads running the model, each with its own predictor
 * @param fetchThreads threads fetching and decoding images: at most this many requests to the PACS at a time
 * @param requestTimeout time from submission to result; then {@link FailureReason#EMBEDDING_TIMEOUT}
 * @param maxAttempts fetch attempts per image for retriable failures (unreachable, time-out, 408, 429, 5xx)
 * @param initialBackoff wait before the first retry; doubled for each further one, with ±20% jitter
 * @param maxBackoff longest wait between two attempts
 */
public record ServiceSettings(
        int queueCapacity,
        int inferenceThreads,
        int fetchThreads,
        Duration requestTimeout,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff) {

    public ServiceSettings {
        if (queueCapacity < 1 || inferenceThreads < 1 || fetchThreads < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("queueCapacity, inferenceThreads, fetchThreads and maxAttempts must be positive");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
        }
    }

    /** 64 requests, one model thread, two fetch threads, 60 s per request, 3 attempts from 500 ms up to 10 s. */
    public static ServiceSettings defaults() {
        return new ServiceSettings(64, 1, 2, Duration.ofSeconds(60), 3, Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    public ServiceSettings withQueueCapacity(int capacity) {
        return new ServiceSettings(capacity, inferenceThreads, fetchThreads, requestTimeout, maxAttempts, initialBackoff,
                maxBackoff);
    }

    public ServiceSettings withRequestTimeout(Duration timeout) {
        return new ServiceSettings(queueCapacity, inferenceThreads, fetchThreads, timeout, maxAttempts, initialBackoff,
                maxBackoff);
    }

    public ServiceSettings withRetries(int attempts, Duration initial, Duration max) {
        return new ServiceSettings(queueCapacity, inferenceThreads, fetchThreads, requestTimeout, attempts, initial, max);
    }

    public ServiceSettings withThreads(int inference, int fetch) {
        return new ServiceSettings(queueCapacity, inference, fetch, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
    }

    /** Backoff before attempt {@code attempt + 1}, {@code attempt} counting from 1, without jitter. */
    Duration backoffAfter(int attempt) {
        long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
