package io.unum.controlplane.fs;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One attempt at a metadata change: every key it reads is remembered with its revision (or its
 * absence) and becomes a compare of the commit, so the writes apply only if nothing read changed
 * meanwhile. Writes are staged by key (a later write of a key replaces an earlier one; etcd refuses
 * a key twice in one transaction) and read back by later reads of the same attempt.
 */
final class FsTxn {
    /** etcd's default --max-txn-ops. */
    static final int MAX_OPS = 128;

    private record Read(byte[] value, long modRevision) {
    }

    private final Etcd etcd;
    private final String prefix;
    private final Map<String, Read> reads = new LinkedHashMap<>();
    private final Map<String, byte[]> writes = new LinkedHashMap<>();
    private final Map<String, byte[]> garbage = new LinkedHashMap<>();

    FsTxn(Etcd etcd, String prefix) {
        this.etcd = etcd;
        this.prefix = prefix;
    }

    <T> Optional<T> get(String key, JsonCodec<T> codec) {
        if (writes.containsKey(key)) {
            byte[] staged = writes.get(key);
            return staged == null ? Optional.empty() : Optional.of(codec.decode(staged));
        }
        Read read = reads.get(key);
        if (read == null) {
            Optional<KeyValue> kv = etcd.get(prefix + key);
            read = kv.map(k -> new Read(k.getValue().getBytes(), k.getModRevision())).orElse(new Read(null, 0));
            reads.put(key, read);
        }
        return read.value() == null ? Optional.empty() : Optional.of(codec.decode(read.value()));
    }

    /**
     * The keys below keyPrefix (at most limit; 0: all) with this attempt's writes applied, by key
     * relative to fs/. Not compared at the commit (a directory or a file can have more keys than a
     * transaction may compare): callers read the inode that owns them, which every change of them
     * writes too.
     */
    <T> Map<String, T> list(String keyPrefix, JsonCodec<T> codec, long limit) {
        Map<String, T> found = new java.util.TreeMap<>();
        for (KeyValue kv : etcd.getPrefix(prefix + keyPrefix, limit).getKvs()) {
            String key = kv.getKey().toString(java.nio.charset.StandardCharsets.UTF_8).substring(prefix.length());
            if (!writes.containsKey(key)) {
                found.put(key, codec.decode(kv.getValue().getBytes()));
            }
        }
        writes.forEach((key, value) -> {
            if (key.startsWith(keyPrefix) && value != null) {
                found.put(key, codec.decode(value));
            }
        });
        return found;
    }

    <T> void put(String key, JsonCodec<T> codec, T value) {
        writes.put(key, codec.encode(value));
    }

    void delete(String key) {
        writes.put(key, null);
    }

    /**
     * A block copy for the collector. Written in the commit when the operations fit etcd's limit,
     * else right after it: a copy whose key is lost to a crash in between is still deleted at its
     * node's next block report, since no chunk names it.
     */
    <T> void garbage(String key, JsonCodec<T> codec, T value) {
        garbage.put(key, codec.encode(value));
    }

    int operations() {
        return writes.size() + garbage.size();
    }

    /** True when it applied; false when something read had changed (nothing was written). */
    boolean commit() {
        if (writes.isEmpty() && garbage.isEmpty()) {
            return true;
        }
        List<Cmp> cmps = new ArrayList<>();
        reads.forEach((key, read) -> cmps.add(read.value() == null ? Etcd.absent(prefix + key)
                : Etcd.unchanged(prefix + key, read.modRevision())));
        List<Op> ops = new ArrayList<>();
        writes.forEach((key, value) -> ops.add(value == null ? Etcd.delete(prefix + key) : Etcd.put(prefix + key, value)));
        boolean together = ops.size() + garbage.size() <= MAX_OPS;
        if (together) {
            garbage.forEach((key, value) -> ops.add(Etcd.put(prefix + key, value)));
        }
        if (cmps.size() > MAX_OPS) {
            throw new FsFailure(FsErrno.EIO, "a change reading " + cmps.size() + " keys is too big for one etcd transaction");
        }
        if (etcd.txn(cmps, ops).isEmpty()) {
            return false;
        }
        if (!together) {
            List<Op> batch = new ArrayList<>();
            for (Map.Entry<String, byte[]> g : garbage.entrySet()) {
                batch.add(Etcd.put(prefix + g.getKey(), g.getValue()));
                if (batch.size() == MAX_OPS) {
                    etcd.txn(List.of(), batch);
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                etcd.txn(List.of(), batch);
            }
        }
        return true;
    }
}
