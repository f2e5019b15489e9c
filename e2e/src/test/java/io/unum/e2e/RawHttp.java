package io.unum.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.client.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for requests no HTTP client would send: oversize targets and
 * headers, raw bytes in the path, a Content-Length without the body. Every request asks the
 * server to close the connection, so the answer is everything read until it does.
 */
final class RawHttp {
    private static final int TIMEOUT_MS = 15_000;

    private final String host;
    private final int port;

    RawHttp(String apiUrl) {
        URI uri = URI.create(apiUrl);
        this.host = uri.getHost();
        this.port = uri.getPort();
    }

    record Answer(int status, Map<String, String> headers, String body) {
        String contentType() {
            return headers.getOrDefault("content-type", "");
        }

        boolean isProblem() {
            return contentType().startsWith("application/problem+json");
        }

        JsonNode json() {
            return Json.read(body, JsonNode.class);
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body);
        }
    }

    /** Sends the request head (request line and headers, each ending in CRLF) and then body, if any. */
    Answer send(String requestLine, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        head.append("Host: ").append(host).append(':').append(port).append("\r\n");
        head.append("Connection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            try {
                socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (body != null) {
                    socket.getOutputStream().write(body);
                }
                socket.getOutputStream().flush();
            } catch (IOException closedEarly) {
                // The server may answer and close before it read everything; its answer is still there.
            }
            return read(socket.getInputStream());
        }
    }

    Answer send(String requestLine, Map<String, String> headers) throws IOException {
        return send(requestLine, headers, null);
    }

    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no complete answer within " + TIMEOUT_MS + " ms; got: "
                    + all.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException reset) {
            // A reset after the answer (the server closed with unread input): keep what arrived.
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        if (split < 0) {
            throw new AssertionError("not an HTTP answer: '" + text + "'");
        }
        String[] lines = text.substring(0, split).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Answer(status, headers, text.substring(split + 4));
    }
}
