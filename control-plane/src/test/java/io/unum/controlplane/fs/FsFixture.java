package io.unum.controlplane.fs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.etcd.jetcd.Client;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdConfig;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.node.NodeStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The file system's metadata classes on a real etcd, below a key prefix of their own. */
final class FsFixture implements AutoCloseable {
    final Client client;
    final Etcd etcd;
    final EtcdTables tables;
    final NodeStore nodes;
    final FsStore store;
    final FsTree tree;
    final FsBlocks blocks;
    final FsConfig config;

    FsFixture(String endpoint, Duration timeout) {
        client = Client.builder().endpoints(endpoint).build();
        String prefix = "/fs-test-" + UUID.randomUUID() + "/";
        etcd = new Etcd(client, new EtcdConfig() {
            @Override
            public List<String> endpoints() {
                return List.of(endpoint);
            }

            @Override
            public Duration timeout() {
                return timeout;
            }

            @Override
            public String prefix() {
                return prefix;
            }

            @Override
            public Tls tls() {
                return new Tls() {
                    @Override
                    public Optional<String> caCert() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<String> cert() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<String> key() {
                        return Optional.empty();
                    }
                };
            }
        });
        ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
        config = new FsConfig() {
            @Override
            public int defaultReplicas() {
                return 2;
            }

            @Override
            public int maxReplicas() {
                return 9;
            }

            @Override
            public Duration repairInterval() {
                return Duration.ofSeconds(10);
            }

            @Override
            public int repairParallelism() {
                return 4;
            }

            @Override
            public Duration garbageGrace() {
                return Duration.ofMinutes(10);
            }
        };
        tables = new EtcdTables(etcd, mapper);
        nodes = new NodeStore(tables);
        store = new FsStore(etcd, mapper);
        tree = new FsTree(store, config, InstantSource.system());
        blocks = new FsBlocks(store, tree, nodes, InstantSource.system());
    }

    void node(String name, NodeState state) {
        nodes.register(new NodeInfo(name, name + ":9092", state, 2, 1L << 30, null, Instant.now(), Instant.now()));
    }

    /** The keys below fs/{path}. */
    List<String> keys(String path) {
        return etcd.getPrefix(etcd.key("fs/" + path)).getKvs().stream()
                .map(kv -> kv.getKey().toString(java.nio.charset.StandardCharsets.UTF_8).substring(etcd.key("fs/").length()))
                .toList();
    }

    @Override
    public void close() {
        tables.close();
        client.close();
    }
}
