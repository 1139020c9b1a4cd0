package dev.kindred.imaging;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An in-test DICOMweb origin on 127.0.0.1 answering WADO-RS rendered requests from a script per instance:
 * a list of answers given in turn (the last one repeats), each a frame, an HTTP status, or a hang until the
 * test ends. Records every request with its headers.
 */
final class FakePacs implements AutoCloseable {
    static final String PREFIX = "/dicom-web";

    /** One scripted answer. */
    sealed interface Answer {}

    record Frame(byte[] body, String contentType) implements Answer {}

    record Status(int code) implements Answer {}

    /** Holds the request open until the test closes the PACS: a PACS that accepts but never answers. */
    record Hang() implements Answer {}

    record Request(String path, String accept, String authorization) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Deque<Answer>> scripts = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);

    FakePacs() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(PREFIX + "/studies/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PREFIX);
    }

    /** Scripts the answers for one instance's rendered resource. */
    FakePacs on(String study, String series, String instance, Answer... answers) {
        scripts.put(path(study, series, instance), new ArrayDeque<>(List.of(answers)));
        return this;
    }

    static String path(String study, String series, String instance) {
        return PREFIX + "/studies/" + study + "/series/" + series + "/instances/" + instance + "/rendered";
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    long requestsTo(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).count();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requests.add(new Request(path, exchange.getRequestHeaders().getFirst("Accept"),
                    exchange.getRequestHeaders().getFirst("Authorization")));
            Answer answer = next(path);
            if (answer instanceof Frame frame) {
                exchange.getResponseHeaders().set("Content-Type", frame.contentType());
                exchange.sendResponseHeaders(200, frame.body().length);
                exchange.getResponseBody().write(frame.body());
            } else if (answer instanceof Status status) {
                exchange.sendResponseHeaders(status.code(), -1);
            } else {
                released.await(60, TimeUnit.SECONDS);
                exchange.sendResponseHeaders(503, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Answer next(String path) {
        Deque<Answer> script = scripts.get(path);
        if (script == null) {
            return new Status(404);
        }
        synchronized (script) {
            return script.size() > 1 ? script.poll() : script.peek();
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
