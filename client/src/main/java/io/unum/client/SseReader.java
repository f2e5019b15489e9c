package io.unum.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code text/event-stream}: {@link #next()} joins the {@code data:} lines of the next
 * event. Comments and the other fields ({@code event:}, {@code id:}, {@code retry:}) are skipped:
 * the control plane's events carry everything in their JSON data.
 */
public final class SseReader implements AutoCloseable {
    private final BufferedReader reader;

    public SseReader(InputStream in) {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** The data of the next event, or null when the stream ended. */
    public String next() throws IOException {
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    return data.toString();
                }
            } else if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        return data == null ? null : data.toString();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
