package io.unum.controlplane.fs;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Cluster-wide file locks: POSIX byte-range locks (fcntl, lockf: what sqlite3 uses) and BSD whole
 * file locks (flock), each owned by a (node, kernel lock owner) pair, kept per inode in etcd and
 * changed with a compare on that key, so two nodes never both get a conflicting lock. A lock held
 * by a node that is not READY is dropped when it is in the way: the node's programs are LOST, as
 * NFS drops an expired client's locks. Ranges of one owner follow POSIX: a new lock replaces the
 * owner's locks on the range it covers (splitting them), an unlock removes them.
 */
@ApplicationScoped
public class FsLocks {
    static final String POSIX = "POSIX";
    static final String FLOCK = "FLOCK";

    private final FsStore store;
    private final NodeStore nodes;

    public FsLocks(FsStore store, NodeStore nodes) {
        this.store = store;
        this.nodes = nodes;
    }

    /** What a lock request met: nothing (done), or the first lock in the way (nothing changed). */
    record Outcome(Optional<StoredLocks.Held> conflict) {
        boolean granted() {
            return conflict.isEmpty();
        }
    }

    /**
     * Takes (write or read), or with unlock releases, owner's lock of kind on [start, end] of ino;
     * with test only looks for a lock in the way.
     */
    Outcome lock(long ino, String node, long owner, int pid, String kind, boolean write, boolean unlock,
            long start, long end, boolean test) {
        if (start < 0 || end < start) {
            throw new FsFailure(FsErrno.EINVAL, "lock range " + start + "-" + end + " is not a range");
        }
        Set<String> ready = nodes.list().stream().filter(n -> n.state() == NodeState.READY).map(NodeInfo::name)
                .collect(Collectors.toSet());
        String key = FsKeys.locks(ino);
        return store.change(txn -> {
            List<StoredLocks.Held> held = txn.get(key, store.locks).map(StoredLocks::held).orElse(List.of());
            List<StoredLocks.Held> kept = new ArrayList<>();
            boolean dropped = false;
            for (StoredLocks.Held h : held) {
                if (ready.contains(h.node()) || h.node().equals(node)) {
                    kept.add(h);
                } else {
                    dropped = true; // its node is DOWN (or gone): its programs are LOST
                }
            }
            if (!unlock) {
                for (StoredLocks.Held h : kept) {
                    if (!h.sameOwner(node, owner, kind) && h.kind().equals(kind) && h.overlaps(start, end) && (write || h.write())) {
                        if (dropped && !test) {
                            txn.put(key, store.locks, new StoredLocks(kept));
                        }
                        return new Outcome(Optional.of(h));
                    }
                }
            }
            if (test) {
                return new Outcome(Optional.empty());
            }
            List<StoredLocks.Held> next = new ArrayList<>();
            for (StoredLocks.Held h : kept) {
                if (!h.sameOwner(node, owner, kind) || !h.overlaps(start, end)) {
                    next.add(h);
                    continue;
                }
                // The owner's lock on the range goes; what lies outside the range stays.
                if (h.start() < start) {
                    next.add(new StoredLocks.Held(h.node(), h.owner(), h.pid(), h.kind(), h.write(), h.start(), start - 1));
                }
                if (h.end() > end) {
                    next.add(new StoredLocks.Held(h.node(), h.owner(), h.pid(), h.kind(), h.write(), end + 1, h.end()));
                }
            }
            if (!unlock) {
                next.add(new StoredLocks.Held(node, owner, pid, kind, write, start, end));
            }
            if (next.isEmpty()) {
                if (!held.isEmpty()) {
                    txn.delete(key);
                }
            } else if (!next.equals(held)) {
                txn.put(key, store.locks, new StoredLocks(next));
            }
            return new Outcome(Optional.empty());
        });
    }

    /** Drops every lock node holds (its agent starts again: its programs lost their open files). */
    void releaseNode(String node) {
        List<Long> inodes = new ArrayList<>();
        store.scan(FsKeys.LOCKS, store.locks, 500, (key, locks) -> {
            if (locks.held().stream().anyMatch(h -> h.node().equals(node))) {
                inodes.add(Long.parseLong(key.substring(FsKeys.LOCKS.length()), 16));
            }
        });
        for (long ino : inodes) {
            String key = FsKeys.locks(ino);
            store.change(txn -> {
                Optional<StoredLocks> current = txn.get(key, store.locks);
                if (current.isEmpty()) {
                    return null;
                }
                List<StoredLocks.Held> rest = current.get().held().stream().filter(h -> !h.node().equals(node)).toList();
                if (rest.isEmpty()) {
                    txn.delete(key);
                } else {
                    txn.put(key, store.locks, new StoredLocks(rest));
                }
                return null;
            });
        }
    }
}
