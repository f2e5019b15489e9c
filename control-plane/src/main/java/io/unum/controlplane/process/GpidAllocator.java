package io.unum.controlplane.process;

import io.etcd.jetcd.KeyValue;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdTable;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Hands out global pids. Each replica reserves a block of {@value #BLOCK} gpids at a time
 * with a compare-and-set on {@code /unum/gpid/next}, so replicas never hand out the same
 * gpid and a spawn costs no etcd write for its gpid most of the time. gpids wrap below
 * 2^31; a gpid whose record still exists is skipped by the create-if-absent write.
 */
@ApplicationScoped
public class GpidAllocator {
    static final int BLOCK = 100;
    static final int MAX = Integer.MAX_VALUE - 1;

    private final Etcd etcd;
    private final String key;
    private int next;
    private int end;

    public GpidAllocator(Etcd etcd) {
        this.etcd = etcd;
        this.key = etcd.key("gpid/next");
    }

    public synchronized int next() {
        if (next >= end) {
            reserveBlock();
        }
        return next++;
    }

    private void reserveBlock() {
        for (int attempt = 0; attempt < EtcdTable.MAX_ATTEMPTS; attempt++) {
            Optional<KeyValue> current = etcd.get(key);
            long start = current.map(kv -> Long.parseLong(kv.getValue().toString(StandardCharsets.UTF_8))).orElse(1L);
            long stop = start + BLOCK;
            long stored = stop > MAX ? 1 : stop;
            byte[] value = Long.toString(stored).getBytes(StandardCharsets.UTF_8);
            boolean won = current.isPresent()
                    ? etcd.compareAndPut(key, current.get().getModRevision(), value).isPresent()
                    : etcd.create(key, value).isPresent();
            if (won) {
                next = (int) start;
                end = (int) Math.min(stop, MAX + 1L);
                return;
            }
        }
        throw new EtcdConflictException("other replicas kept reserving gpids under " + EtcdTable.MAX_ATTEMPTS
                + " attempts; retry shortly");
    }
}
