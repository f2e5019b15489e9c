package io.unum.controlplane.fs;

import io.unum.api.fs.FsLayout;
import io.unum.api.fs.FsPath;
import io.unum.api.fs.InvalidFsPathException;
import io.unum.api.model.AuditAction;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsListing;
import io.unum.api.model.FsNodeUsageInfo;
import io.unum.api.model.FsRepairInfo;
import io.unum.api.model.FsUsage;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * What the public API (REST and gRPC) does with the tree: the same metadata operations the agents
 * use, with errors as {@link UnumException}s (404, 409, 400; 503 when etcd cannot be reached) and
 * every change in the audit log.
 */
@ApplicationScoped
public class FsOperations {
    private static final Logger LOG = Logger.getLogger(FsOperations.class);
    private final FsTree tree;
    private final NodeStore nodes;
    private final FsStore store;
    private final FsConfig config;
    private final AuditLog audit;

    public FsOperations(FsTree tree, NodeStore nodes, FsStore store, FsConfig config, AuditLog audit) {
        this.tree = tree;
        this.nodes = nodes;
        this.store = store;
        this.config = config;
        this.audit = audit;
    }

    /**
     * A path as a user gave it; 400 with FsPath's message when the tree cannot hold it, 403 below
     * the directory kept for Unum's own data (checkpoint images hold processes' memory).
     */
    public static FsPath path(String path) {
        FsPath p;
        try {
            p = FsPath.parse(path);
        } catch (InvalidFsPathException e) {
            throw UnumException.invalidRequest(e.getMessage());
        }
        if (!p.isRoot() && p.names().get(0).equals(FsLayout.RESERVED)) {
            throw UnumException.forbidden("/" + FsLayout.RESERVED + " holds Unum's own data (checkpoint images) and is not "
                    + "open to the file API; manage checkpoints with 'unum checkpoint'");
        }
        return p;
    }

    /** Removes what Unum keeps at path (e.g. a deleted checkpoint's image); a failure leaves it for later. */
    public void removeQuietly(String path) {
        try {
            FsPath p = FsPath.parse(path);
            refusals(() -> removeEntry(tree.lookup(p), true));
        } catch (RuntimeException e) {
            LOG.infof("could not remove %s from the cluster file system: %s", path, e.getMessage());
        }
    }

    /** The REST URL's tail ("" = the root) as a tree path. */
    public static FsPath urlPath(String tail) {
        return path("/" + (tail == null ? "" : tail));
    }

    FsTree.Entry entry(FsPath path) {
        return refusals(() -> tree.lookup(path));
    }

    Map<Long, StoredChunk> chunks(FsTree.Entry e) {
        return e.inode().isDirectory() ? Map.of() : tree.chunks(e.inode().ino());
    }

    Map<String, NodeInfo> nodeTable() {
        return nodes.list().stream().collect(Collectors.toMap(NodeInfo::name, n -> n));
    }

    public FsEntryInfo stat(FsPath path) {
        FsTree.Entry e = entry(path);
        return FsViews.info(e, e.inode().isDirectory() ? null : chunks(e), nodeTable());
    }

    public FsListing list(FsPath path) {
        FsTree.Entry dir = entry(path);
        if (!dir.inode().isDirectory()) {
            throw UnumException.invalidState(path + " is not a directory");
        }
        List<FsTree.Entry> entries = refusals(() -> tree.list(path));
        Map<String, NodeInfo> table = nodeTable();
        return new FsListing(FsViews.info(dir, null, table),
                entries.stream().map(e -> FsViews.info(e, null, table)).toList());
    }

    List<FsTree.Entry> entries(FsPath path) {
        return refusals(() -> tree.list(path));
    }

    /** The answer of mkdir: the directory, and whether this call made it. */
    public record Made(FsTree.Entry entry, boolean created) {
    }

    public Made makeDirectory(FsPath path, int mode, boolean parents, int replicas) {
        checkGoal(replicas, true);
        return refusals(() -> {
            try {
                FsTree.Entry e = tree.lookup(path);
                if (!e.inode().isDirectory()) {
                    throw UnumException.invalidState(path + " exists and is not a directory");
                }
                return new Made(e, false);
            } catch (FsFailure missing) {
                if (missing.errno() != FsErrno.ENOENT) {
                    throw missing;
                }
            }
            audit.record(AuditAction.FS_CHANGE, null, null, null, null, null, "mkdir " + path);
            if (parents) {
                return new Made(tree.makeDirectories(path, mode, replicas), true);
            }
            return new Made(tree.create(path, io.unum.api.model.FsEntryType.DIRECTORY, mode, 0, 0, null, replicas), true);
        });
    }

    public FsEntryInfo info(Made made) {
        return FsViews.info(made.entry(), null, nodeTable());
    }

    /** Removes an entry (a directory's contents too with recursive); how many entries went. */
    public long remove(FsPath path, boolean recursive) {
        FsTree.Entry e = entry(path);
        if (path.isRoot()) {
            throw UnumException.invalidState("/ cannot be removed");
        }
        audit.record(AuditAction.FS_CHANGE, null, null, null, null, null, (recursive ? "rm -r " : "rm ") + path);
        return refusals(() -> removeEntry(e, recursive));
    }

    private long removeEntry(FsTree.Entry e, boolean recursive) {
        long removed = 0;
        if (e.inode().isDirectory()) {
            if (recursive) {
                for (FsTree.Entry child : tree.list(e.path())) {
                    removed += removeEntry(child, true);
                }
            } else if (!tree.list(e.path()).isEmpty()) {
                throw UnumException.invalidState(e.path() + " is not empty; remove it with recursive=true");
            }
        }
        tree.remove(e.path(), e.inode().isDirectory());
        return removed + 1;
    }

    public FsTree.GoalChange setReplicas(FsPath path, int replicas, boolean recursive) {
        checkGoal(replicas, false);
        entry(path);
        audit.record(AuditAction.FS_CHANGE, null, null, null, null, null,
                "replicas " + replicas + (recursive ? " (recursive) " : " ") + path);
        return refusals(() -> tree.setReplicas(path, replicas, recursive));
    }

    public FsEntryInfo info(FsTree.Entry e) {
        return FsViews.info(e, e.inode().isDirectory() ? null : chunks(e), nodeTable());
    }

    public void checkGoal(int replicas, boolean zeroInherits) {
        if ((replicas != 0 || !zeroInherits) && (replicas < 1 || replicas > config.maxReplicas())) {
            throw UnumException.invalidRequest("replicas must be 1 to " + config.maxReplicas() + (zeroInherits
                    ? " (or 0 to inherit the directory's)" : "") + ", not " + replicas);
        }
    }

    public FsUsage usage() {
        Map<String, StoredUsage> reported = new HashMap<>();
        refusals(() -> {
            store.scan("usage/", store.usage, 1000, (k, u) -> reported.put(k.substring("usage/".length()), u));
            return null;
        });
        Map<String, NodeInfo> table = nodeTable();
        List<FsNodeUsageInfo> rows = new ArrayList<>();
        for (String node : new TreeSet<>(table.keySet())) {
            StoredUsage u = reported.get(node);
            NodeState state = table.get(node).state();
            rows.add(u == null ? new FsNodeUsageInfo(node, state, 0, 0, 0, 0, null)
                    : new FsNodeUsageInfo(node, state, u.capacityBytes(), u.freeBytes(), u.usedBytes(), u.blocks(),
                            Instant.ofEpochMilli(u.reportedAtEpochMs())));
        }
        StoredRepairStatus r = refusals(() -> store.read(t -> t.get(FsKeys.REPAIR_STATUS, store.repairStatus)))
                .orElse(new StoredRepairStatus(0, 0, 0, 0, 0, 0));
        return new FsUsage(rows, new FsRepairInfo(r.chunks(), r.underReplicatedChunks(), r.unavailableChunks(),
                r.replicasRepaired(), r.repairsInFlight(), r.lastScanEpochMs() == 0 ? null : Instant.ofEpochMilli(r.lastScanEpochMs()),
                config.defaultReplicas(), FsLayout.CHUNK_SIZE));
    }

    /** Runs call with the tree's errnos turned into the API's refusals. */
    static <T> T refusals(Supplier<T> call) {
        try {
            return call.get();
        } catch (FsFailure e) {
            throw refusal(e.errno(), e.getMessage());
        }
    }

    static UnumException refusal(int errno, String message) {
        return switch (errno) {
            case FsErrno.ENOENT -> UnumException.notFound(message);
            case FsErrno.EINVAL, FsErrno.ENAMETOOLONG -> UnumException.invalidRequest(message);
            case FsErrno.EIO -> UnumException.nodeUnavailable(message);
            default -> UnumException.invalidState(message);
        };
    }
}
