package dev.kindred.testing.fhir;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * In front of HAPI's servlet: records every request (with the status it got, before the client sees the
 * answer), enforces a
 * required bearer token and injects the faults a test asked for. Only Servlet API, so it runs on any Jetty
 * line.
 */
final class RecordingFaultFilter implements Filter {

    private final Faults faults;
    private final List<RecordedRequest> log = new CopyOnWriteArrayList<>();

    RecordingFaultFilter(Faults faults) {
        this.faults = faults;
    }

    List<RecordedRequest> log() {
        return log;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        byte[] body = request.getInputStream().readAllBytes();
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        String path = request.getPathInfo() == null ? "/" : request.getPathInfo();
        // The answer is held back until the request is logged, so a client that saw it finds it in the log.
        BufferedResponse buffered = new BufferedResponse(response);
        try {
            serve(new BufferedRequest(request, body), buffered, chain, method, path);
        } finally {
            log.add(new RecordedRequest(method, path, request.getQueryString(), headers(request),
                new String(body, StandardCharsets.UTF_8), response.getStatus()));
            buffered.release();
        }
    }

    private void serve(HttpServletRequest request, HttpServletResponse response, FilterChain chain, String method,
            String path) throws IOException, ServletException {
        String token = faults.requiredBearerToken();
        if (token != null && !hasBearer(request, token)) {
            response.setHeader("WWW-Authenticate", "Bearer");
            answer(response, 401, "security", "missing or wrong bearer token");
            return;
        }
        Faults.Injected fault = faults.take(new Faults.RequestLine(method, path));
        if (fault != null) {
            if (fault.retryAfter() != null) {
                long seconds = (fault.retryAfter().toMillis() + 999) / 1000;
                response.setHeader("Retry-After", Long.toString(seconds));
            }
            answer(response, fault.status(), fault.status() == 429 ? "throttled" : "transient",
                "fault injected by the test server");
            return;
        }
        long delayMillis = faults.delay().toMillis();
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer(response, 503, "transient", "test server stopping");
                return;
            }
        }
        chain.doFilter(request, response);
    }

    private static boolean hasBearer(HttpServletRequest request, String token) {
        String header = request.getHeader("Authorization");
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
            ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    private static void answer(HttpServletResponse response, int status, String issueCode, String diagnostics)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/fhir+json;charset=utf-8");
        response.getOutputStream().write(("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
            + "\"code\":\"" + issueCode + "\",\"diagnostics\":\"" + diagnostics + "\"}]}")
            .getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, List<String>> headers(HttpServletRequest request) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : Collections.list(request.getHeaderNames())) {
            headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>())
                .addAll(Collections.list(request.getHeaders(name)));
        }
        headers.replaceAll((name, values) -> List.copyOf(values));
        return Collections.unmodifiableMap(headers);
    }

    /** The response with its body kept in memory until {@link #release()}. */
    private static final class BufferedResponse extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private ServletOutputStream stream;
        private PrintWriter writer;

        BufferedResponse(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() {
            if (stream == null) {
                stream = new ServletOutputStream() {
                    @Override
                    public void write(int b) {
                        buffer.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        buffer.write(b, off, len);
                    }

                    @Override
                    public boolean isReady() {
                        return true;
                    }

                    @Override
                    public void setWriteListener(WriteListener listener) {
                        throw new UnsupportedOperationException("the test server writes bodies blocking");
                    }
                };
            }
            return stream;
        }

        @Override
        public PrintWriter getWriter() {
            if (writer == null) {
                String encoding = getCharacterEncoding();
                writer = new PrintWriter(new OutputStreamWriter(getOutputStream(),
                    encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding)));
            }
            return writer;
        }

        @Override
        public void flushBuffer() {
            // held back until release()
        }

        @Override
        public void resetBuffer() {
            buffer.reset();
        }

        @Override
        public void reset() {
            super.reset();
            buffer.reset();
        }

        @Override
        public void setBufferSize(int size) {
            // the whole body is buffered anyway
        }

        void release() throws IOException {
            if (writer != null) {
                writer.flush();
            }
            HttpServletResponse response = (HttpServletResponse) getResponse();
            if (buffer.size() > 0) {
                response.getOutputStream().write(buffer.toByteArray());
            }
            response.flushBuffer();
        }
    }

    /** The request with its body already read (to record it), served again from memory to HAPI. */
    private static final class BufferedRequest extends HttpServletRequestWrapper {
        private final byte[] body;

        BufferedRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the test server reads bodies blocking");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            return new BufferedReader(new InputStreamReader(getInputStream(),
                encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding)));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
