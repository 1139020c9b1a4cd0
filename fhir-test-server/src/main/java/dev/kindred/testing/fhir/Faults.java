package dev.kindred.testing.fhir;

import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Faults the test server injects, set by a test while the server runs. Thread-safe.
 *
 * <p>A failure rule answers the next N matching requests with a status (and an OperationOutcome body)
 * before they reach HAPI; rules are consumed in the order they were added. A delay holds every request
 * before it is served. A required bearer token makes every request without {@code Authorization: Bearer
 * <token>} answer 401.
 */
public final class Faults {

    /** Which requests a rule applies to: method and path below the FHIR base, as received. */
    public interface RequestMatcher extends Predicate<RequestLine> {
    }

    /** The part of a request a rule can match on. */
    public record RequestLine(String method, String path) {
    }

    private record Rule(RequestMatcher matcher, AtomicInteger remaining, int status, Duration retryAfter) {
    }

    /** What to answer instead of serving a request. */
    record Injected(int status, Duration retryAfter) {
    }

    private final ConcurrentLinkedQueue<Rule> rules = new ConcurrentLinkedQueue<>();
    private volatile Duration delay = Duration.ZERO;
    private volatile String requiredBearerToken;

    Faults() {
    }

    /** The next {@code count} requests, whatever they are, answer {@code status}. */
    public Faults failNext(int count, int status) {
        return failNext(count, status, null, request -> true);
    }

    /** The next {@code count} requests with {@code method} (e.g. PUT) answer {@code status}. */
    public Faults failNext(int count, int status, String method) {
        return failNext(count, status, null, request -> request.method().equalsIgnoreCase(method));
    }

    /**
     * The next {@code count} requests that {@code matcher} accepts answer {@code status}, with a
     * {@code Retry-After} header (whole seconds, rounded up) when {@code retryAfter} is not null.
     */
    public Faults failNext(int count, int status, Duration retryAfter, RequestMatcher matcher) {
        if (count < 1 || status < 100 || status > 599) {
            throw new IllegalArgumentException("count must be positive and status an HTTP status");
        }
        rules.add(new Rule(Objects.requireNonNull(matcher), new AtomicInteger(count), status, retryAfter));
        return this;
    }

    /** Holds every request for {@code delay} before serving it (zero to stop). */
    public Faults delayResponses(Duration delay) {
        this.delay = Objects.requireNonNull(delay);
        return this;
    }

    /** Requires {@code Authorization: Bearer <token>} on every request (null to stop requiring it). */
    public Faults requireBearerToken(String token) {
        this.requiredBearerToken = token;
        return this;
    }

    /** Removes every rule, the delay and the token requirement. */
    public void clear() {
        rules.clear();
        delay = Duration.ZERO;
        requiredBearerToken = null;
    }

    /** Requests still to be failed by the rules (for a test to wait until they are used up). */
    public int pendingFailures() {
        return rules.stream().mapToInt(rule -> Math.max(0, rule.remaining().get())).sum();
    }

    Duration delay() {
        return delay;
    }

    String requiredBearerToken() {
        return requiredBearerToken;
    }

    /** The failure to answer {@code request} with, consuming one use of the first matching rule, or null. */
    Injected take(RequestLine request) {
        for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (!rule.matcher().test(request)) {
                continue;
            }
            int left = rule.remaining().getAndDecrement();
            if (left <= 0) {
                it.remove();
                continue;
            }
            if (left == 1) {
                it.remove();
            }
            return new Injected(rule.status(), rule.retryAfter());
        }
        return null;
    }
}
