package io.unum.controlplane.fs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.KeyValue;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.JsonCodec;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The file system's keys in etcd ({@code <prefix>fs/}). Unlike the other stores it keeps no watched
 * copy: the tree may be far larger than a replica should hold in memory, and close-to-open
 * consistency wants every open read from etcd. Every change is one transaction made by
 * {@link #change}.
 */
// A singleton, not a client proxy: callers read its fields.
@Singleton
public class FsStore {
    /** Attempts of a change that keeps losing races before it gives up (the caller sees EIO / 409). */
    static final int MAX_ATTEMPTS = 10;

    final JsonCodec<StoredInode> inodes;
    final JsonCodec<StoredDirent> dirents;
    final JsonCodec<StoredChunk> chunks;
    final JsonCodec<StoredOrphan> orphans;
    final JsonCodec<StoredGarbage> garbage;
    final JsonCodec<StoredUsage> usage;
    final JsonCodec<InodeCounter> counter;
    final JsonCodec<StoredRepairStatus> repairStatus;
    final JsonCodec<StoredLocks> locks;
    private final Etcd etcd;
    private final String prefix;

    public FsStore(Etcd etcd, ObjectMapper mapper) {
        this.etcd = etcd;
        this.prefix = etcd.key("fs/");
        this.inodes = new JsonCodec<>(mapper, StoredInode.class);
        this.dirents = new JsonCodec<>(mapper, StoredDirent.class);
        this.chunks = new JsonCodec<>(mapper, StoredChunk.class);
        this.orphans = new JsonCodec<>(mapper, StoredOrphan.class);
        this.garbage = new JsonCodec<>(mapper, StoredGarbage.class);
        this.usage = new JsonCodec<>(mapper, StoredUsage.class);
        this.counter = new JsonCodec<>(mapper, InodeCounter.class);
        this.repairStatus = new JsonCodec<>(mapper, StoredRepairStatus.class);
        this.locks = new JsonCodec<>(mapper, StoredLocks.class);
    }

    /**
     * Runs body on a fresh {@link FsTxn} and commits it, again from the start when a key it read
     * changed before the commit. An {@link FsFailure} from body ends it with nothing written.
     */
    <R> R change(Function<FsTxn, R> body) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            FsTxn txn = new FsTxn(etcd, prefix);
            R result = body.apply(txn);
            if (txn.commit()) {
                return result;
            }
        }
        throw new EtcdConflictException("the file system's metadata kept changing under " + MAX_ATTEMPTS
                + " attempts of this change; retry shortly");
    }

    /** A read-only look at the tree (its reads are not compared with anything). */
    <R> R read(Function<FsTxn, R> body) {
        return body.apply(new FsTxn(etcd, prefix));
    }

    /** Every key below keyPrefix (relative to fs/), page by page, as (key, value). */
    <T> void scan(String keyPrefix, JsonCodec<T> codec, int pageSize, BiConsumer<String, T> each) {
        etcd.scanPrefix(prefix + keyPrefix, pageSize, page -> {
            for (KeyValue kv : page) {
                each.accept(kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()),
                        codec.decode(kv.getValue().getBytes()));
            }
        });
    }

    /** Deletes keys (relative to fs/) without compares, in batches etcd accepts. */
    void deleteAll(List<String> keys) {
        for (int i = 0; i < keys.size(); i += FsTxn.MAX_OPS) {
            etcd.txn(List.of(), keys.subList(i, Math.min(keys.size(), i + FsTxn.MAX_OPS)).stream()
                    .map(k -> Etcd.delete(prefix + k)).toList());
        }
    }
}
