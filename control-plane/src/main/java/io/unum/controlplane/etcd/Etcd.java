package io.unum.controlplane.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The few etcd operations Unum's stores need, blocking with the configured timeout.
 * Every failure becomes {@link EtcdUnavailableException}, so callers have one thing to handle.
 */
@ApplicationScoped
public class Etcd {
    private final Client client;
    private final EtcdConfig config;

    public Etcd(Client client, EtcdConfig config) {
        this.client = client;
        this.config = config;
    }

    public Client client() {
        return client;
    }

    /** Full key for a path below Unum's prefix, e.g. key("processes/") . */
    public String key(String path) {
        return config.prefix() + path;
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    public Optional<KeyValue> get(String key) {
        List<KeyValue> kvs = await(client.getKVClient().get(bytes(key))).getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }

    public io.etcd.jetcd.kv.GetResponse getPrefix(String prefix) {
        return await(client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
    }

    /** At most limit keys below prefix (0: all), in key order. */
    public io.etcd.jetcd.kv.GetResponse getPrefix(String prefix, long limit) {
        return await(client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).withLimit(limit).build()));
    }

    /**
     * Every key below prefix, handed over a page at a time: one range read of a large prefix could
     * pass the gRPC message limit and would hold the whole of it in memory.
     */
    public void scanPrefix(String prefix, int pageSize, java.util.function.Consumer<List<KeyValue>> page) {
        ByteSequence from = bytes(prefix);
        ByteSequence rangeEnd = prefixEnd(prefix);
        while (true) {
            List<KeyValue> kvs = await(client.getKVClient().get(from,
                    GetOption.builder().withRange(rangeEnd).withLimit(pageSize).build())).getKvs();
            if (kvs.isEmpty()) {
                return;
            }
            page.accept(kvs);
            if (kvs.size() < pageSize) {
                return;
            }
            byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
            byte[] next = java.util.Arrays.copyOf(last, last.length + 1);
            from = ByteSequence.from(next);
        }
    }

    /** The first key after every key that starts with prefix. */
    private static ByteSequence prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteSequence.from(java.util.Arrays.copyOf(end, i + 1));
            }
        }
        return ByteSequence.from(new byte[] {0});
    }

    /** Creates the key only if it does not exist; returns the new revision, or empty when it existed. */
    public Optional<Long> create(String key, byte[] value) {
        TxnResponse r = await(kv().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT))
                .commit());
        return r.isSucceeded() ? Optional.of(r.getHeader().getRevision()) : Optional.empty();
    }

    /** Replaces the value only if the key is still at {@code modRevision}; returns the new revision. */
    public Optional<Long> compareAndPut(String key, long modRevision, byte[] value) {
        TxnResponse r = await(kv().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
                .Then(Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT))
                .commit());
        return r.isSucceeded() ? Optional.of(r.getHeader().getRevision()) : Optional.empty();
    }

    /** Deletes the key only if it is still at {@code modRevision}. */
    public boolean compareAndDelete(String key, long modRevision) {
        TxnResponse r = await(kv().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
                .Then(Op.delete(bytes(key), io.etcd.jetcd.options.DeleteOption.DEFAULT))
                .commit());
        return r.isSucceeded();
    }

    /** Runs operations only if every condition holds; returns the new revision, or empty when one did not. */
    public Optional<Long> txn(List<Cmp> conditions, List<Op> operations) {
        TxnResponse r = await(kv().txn()
                .If(conditions.toArray(Cmp[]::new))
                .Then(operations.toArray(Op[]::new))
                .commit());
        return r.isSucceeded() ? Optional.of(r.getHeader().getRevision()) : Optional.empty();
    }

    /** The key is still at modRevision. */
    public static Cmp unchanged(String key, long modRevision) {
        return new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision));
    }

    /** The key does not exist. */
    public static Cmp absent(String key) {
        return new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }

    public static Op put(String key, byte[] value) {
        return Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT);
    }

    public static Op delete(String key) {
        return Op.delete(bytes(key), io.etcd.jetcd.options.DeleteOption.DEFAULT);
    }

    public KV kv() {
        return client.getKVClient();
    }

    public <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdUnavailableException("interrupted while waiting for etcd", e);
        } catch (ExecutionException e) {
            throw new EtcdUnavailableException("etcd call failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new EtcdUnavailableException("etcd did not answer within " + config.timeout(), e);
        }
    }
}
