package io.unum.controlplane.process;

import io.etcd.jetcd.KeyValue;
import io.quarkus.arc.All;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdTable;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hands out dynamic ids (uids, and gids of named groups) from {@code unum.process.dynamic-ids},
 * cluster-wide, like systemd's DynamicUser: every process tree runs as an id of its own, so no
 * process can read another tree's /proc entries, memory or files. A cursor in etcd
 * ({@code /unum/ids/next}) moves with a compare-and-set per id, so two replicas never hand out the
 * same one; the cursor goes round the range and skips ids that something still holds
 * ({@link IdHolders}). uids and group gids come from the one range, so a process's own gid (equal
 * to its uid) never names a group.
 */
@ApplicationScoped
public class DynamicIds {
    private final Etcd etcd;
    private final String key;
    private final int first;
    private final int last;
    private final List<IdHolders> holders;

    public DynamicIds(Etcd etcd, ProcessConfig config, @All List<IdHolders> holders) {
        this.etcd = etcd;
        this.key = etcd.key("ids/next");
        this.first = config.dynamicIds().first();
        this.last = config.dynamicIds().last();
        this.holders = holders;
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("unum.process.dynamic-ids: first (" + first + ") must be at least 1 and "
                    + "not above last (" + last + ")");
        }
    }

    /**
     * An id that nothing holds, taken from the range for good (until nothing holds it again).
     * Synchronized so that concurrent spawns on one replica queue here instead of racing each
     * other's compare-and-set into its attempt limit.
     */
    public synchronized int next() {
        for (int attempt = 0; attempt < EtcdTable.MAX_ATTEMPTS; attempt++) {
            Set<Integer> held = held();
            Optional<KeyValue> current = etcd.get(key);
            int cursor = current.map(kv -> Integer.parseInt(kv.getValue().toString(StandardCharsets.UTF_8))).orElse(first);
            int id = free(cursor, held);
            byte[] value = Integer.toString(id == last ? first : id + 1).getBytes(StandardCharsets.UTF_8);
            boolean won = current.isPresent()
                    ? etcd.compareAndPut(key, current.get().getModRevision(), value).isPresent()
                    : etcd.create(key, value).isPresent();
            if (won) {
                return id;
            }
        }
        throw new EtcdConflictException("other replicas kept taking dynamic ids under " + EtcdTable.MAX_ATTEMPTS
                + " attempts; retry shortly");
    }

    /** Whether id belongs to the range (a record may name an id from before the range changed). */
    public boolean inRange(int id) {
        return id >= first && id <= last;
    }

    private int free(int cursor, Set<Integer> held) {
        int size = last - first + 1;
        int start = cursor < first || cursor > last ? first : cursor;
        for (int i = 0; i < size; i++) {
            int id = first + (start - first + i) % size;
            if (!held.contains(id)) {
                return id;
            }
        }
        throw UnumException.invalidState("all " + size + " dynamic ids (" + first + "-" + last + ") are held by "
                + "processes, checkpoints or groups; widen unum.process.dynamic-ids or end some");
    }

    private Set<Integer> held() {
        Set<Integer> held = new HashSet<>();
        holders.forEach(h -> h.collectHeld(held));
        return held;
    }
}
