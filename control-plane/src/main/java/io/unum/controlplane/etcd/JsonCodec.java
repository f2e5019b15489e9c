package io.unum.controlplane.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON encoding of the records Unum keeps in etcd. Decoding ignores fields it does not know
 * (unlike request bodies): a newer replica may have added one during a rolling upgrade.
 */
public final class JsonCodec<T> {
    private final ObjectMapper mapper;
    private final ObjectReader reader;
    private final Class<T> type;

    public JsonCodec(ObjectMapper mapper, Class<T> type) {
        this.mapper = mapper;
        this.reader = mapper.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        this.type = type;
    }

    public byte[] encode(T value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + type.getSimpleName(), e);
        }
    }

    public T decode(byte[] bytes) {
        try {
            return reader.readValue(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
