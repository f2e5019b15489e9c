package io.unum.client;

import java.io.IOException;
import java.net.URI;
import java.util.function.Consumer;

/**
 * A server-sent-event stream of JSON values of one model class. Closing it ends the HTTP exchange,
 * the way to leave a stream that does not end by itself (process and node events).
 */
public final class EventStream<T> implements AutoCloseable {
    private final URI url;
    private final SseReader events;
    private final Class<T> type;

    EventStream(URI url, SseReader events, Class<T> type) {
        this.url = url;
        this.events = events;
        this.type = type;
    }

    /** The next value, or null once the server ended the stream. */
    public T next() {
        try {
            String data = events.next();
            return data == null ? null : Json.read(data, type);
        } catch (IOException e) {
            throw new UnumIoException(url, e);
        }
    }

    /** Hands every value to sink until the server ends the stream. */
    public void forEach(Consumer<? super T> sink) {
        for (T value = next(); value != null; value = next()) {
            sink.accept(value);
        }
    }

    @Override
    public void close() {
        try {
            events.close();
        } catch (IOException e) {
            throw new UnumIoException(url, e);
        }
    }
}
