package io.unum.controlplane.checkpoint;

import io.unum.api.model.NodeInfo;
import io.unum.controlplane.fs.FsOperations;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Copies each new checkpoint's image into the cluster file system, after the checkpoint is
 * recorded (the copy of a large image takes seconds, which neither the caller nor the process's
 * lock should wait for), and then names the copy in the record ({@code treePath}). Until then, or
 * when the copy fails (no file system on the node, too few nodes for the goal, etcd away), the
 * checkpoint is on its node alone, as its record says. A checkpoint deleted meanwhile has its
 * copy removed.
 */
@ApplicationScoped
public class CheckpointCopies {
    private static final Logger LOG = Logger.getLogger(CheckpointCopies.class);

    private final CheckpointStore store;
    private final AgentImages images;
    private final FsOperations tree;
    private final ExecutorService copies = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "checkpoint-copies");
        t.setDaemon(true);
        return t;
    });

    public CheckpointCopies(CheckpointStore store, AgentImages images, FsOperations tree) {
        this.store = store;
        this.images = images;
        this.tree = tree;
    }

    /** Starts copying checkpoint id's image from node into the tree. */
    void copyLater(NodeInfo node, String id) {
        copies.execute(() -> copy(node, id));
    }

    private void copy(NodeInfo node, String id) {
        String path;
        try {
            path = images.putInTree(node, id);
        } catch (AgentCallException e) {
            LOG.warnf("checkpoint %s stays on %s alone: %s", id, node.name(), e.getMessage());
            return;
        }
        try {
            if (store.setTreePath(id, path).isEmpty()) {
                tree.removeQuietly(path); // deleted while it was being copied
            }
        } catch (RuntimeException e) {
            LOG.warnf("checkpoint %s: its copy at %s could not be recorded (%s); it stays on %s alone", id, path,
                    e.getMessage(), node.name());
            tree.removeQuietly(path);
        }
    }

    @PreDestroy
    void stop() {
        copies.shutdownNow();
    }
}
