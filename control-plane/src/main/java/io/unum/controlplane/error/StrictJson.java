package io.unum.controlplane.error;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Request bodies with a field no endpoint knows are refused (400 naming the field) instead of
 * the field being dropped: a misspelt {@code "capabilites"} must not silently start a process
 * without the capabilities asked for. Records read back from etcd stay lenient
 * ({@link io.unum.controlplane.etcd.JsonCodec}), so a replica of the previous version still
 * reads what a newer one wrote during a rolling upgrade.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {
    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
}
