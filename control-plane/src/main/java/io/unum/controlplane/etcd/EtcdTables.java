package io.unum.controlplane.etcd;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Opens the tables the stores are made of: each loaded and watched from the moment it is opened,
 * and all closed when the application stops, so a store is only its typed operations.
 */
@ApplicationScoped
public class EtcdTables {
    private final Etcd etcd;
    private final ObjectMapper mapper;
    private final List<EtcdTable<?>> open = new CopyOnWriteArrayList<>();

    public EtcdTables(Etcd etcd, ObjectMapper mapper) {
        this.etcd = etcd;
        this.mapper = mapper;
    }

    /** A table of JSON records below {@code path} (relative to Unum's prefix, e.g. "processes/"). */
    public <T> EtcdTable<T> json(String path, Class<T> type) {
        JsonCodec<T> codec = new JsonCodec<>(mapper, type);
        return open(path, codec::encode, codec::decode);
    }

    public <T> EtcdTable<T> open(String path, Function<T, byte[]> encoder, Function<byte[], T> decoder) {
        EtcdTable<T> table = new EtcdTable<>(etcd, path, encoder, decoder);
        table.start();
        open.add(table);
        return table;
    }

    @PreDestroy
    public void close() {
        open.forEach(EtcdTable::close);
    }
}
