package io.unum.agent.fs;

import io.grpc.ChannelCredentials;
import io.unum.agent.registration.ControlPlaneClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * This node's part of the cluster file system: its block store and service, its open files, the
 * mount (when it has one), and the block reports and scrubbing in the background.
 */
public final class FsNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FsNode.class.getName());
    /**
     * Written but uncommitted bytes the node holds before it commits full chunks early, and the
     * verified blocks it keeps: both on the heap, which the local cluster's agents have 128 MiB of.
     */
    static final long DIRTY_LIMIT = 32L * 1024 * 1024;
    static final long CACHE_BYTES = 32L * 1024 * 1024;
    private static final long REPORT_SECONDS = 60;
    private static final long SCRUB_MILLIS = 1000;

    private final BlockStore store;
    private final MetadataClient metadata;
    private final BlockPeers peers;
    private final OpenFiles files;
    private final FsBlockGrpcService service;
    private final TreeFiles treeFiles;
    private final ExecutorService transfers;
    private final ScheduledExecutorService background;
    private volatile FsMount mount;

    private FsNode(BlockStore store, MetadataClient metadata, BlockPeers peers, OpenFiles files, FsBlockGrpcService service,
            TreeFiles treeFiles, ExecutorService transfers, ScheduledExecutorService background) {
        this.treeFiles = treeFiles;
        this.store = store;
        this.metadata = metadata;
        this.peers = peers;
        this.files = files;
        this.service = service;
        this.transfers = transfers;
        this.background = background;
    }

    /** The store, the services and the background work; the mount is {@link #mount}'s. */
    public static FsNode open(String node, Path storage, ControlPlaneClient controlPlane, ChannelCredentials agents)
            throws IOException {
        BlockStore store = BlockStore.open(storage);
        MetadataClient metadata = new MetadataClient(controlPlane);
        BlockPeers peers = new BlockPeers(agents);
        BlockReader reader = new BlockReader(node, store, peers, metadata, new BlockCache(CACHE_BYTES));
        ExecutorService transfers = Executors.newCachedThreadPool(daemon("unum-fs-transfer"));
        OpenFiles files = new OpenFiles(metadata, reader, new ChunkWriter(node, store, peers, metadata, transfers), DIRTY_LIMIT);
        ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(daemon("unum-fs-background"));
        WholeFiles whole = new WholeFiles(metadata, files);
        FsNode fs = new FsNode(store, metadata, peers, files, new FsBlockGrpcService(store, peers, reader, whole),
                new TreeFiles(whole), transfers, background);
        background.scheduleWithFixedDelay(new BlockReporter(store, metadata), 0, REPORT_SECONDS, TimeUnit.SECONDS);
        background.scheduleWithFixedDelay(new BlockScrubber(store, reader), SCRUB_MILLIS, SCRUB_MILLIS, TimeUnit.MILLISECONDS);
        return fs;
    }

    /** Mounts the tree at mountPoint; on failure the node runs on without a mount (a warning says why). */
    public Optional<Path> mount(Path mountPoint) {
        try {
            // The locks of this node's earlier life: its programs lost their open files with it.
            metadata.releaseNodeLocks();
        } catch (FsErrnoException e) {
            LOG.warning("the locks this node held before it started could not be released (they go when they are in "
                    + "the way of another node only if this node is DOWN): " + e.getMessage());
        }
        try {
            mount = FsMount.mount(mountPoint, new UnumFuse(metadata, files, store));
            return Optional.of(mount.mountPoint());
        } catch (IOException | RuntimeException e) {
            LOG.warning("the cluster file system is not mounted on this node: " + e.getMessage());
            return Optional.empty();
        }
    }

    public FsBlockGrpcService service() {
        return service;
    }

    /** The tree's whole files for the agent's own data (checkpoint images). */
    public TreeFiles treeFiles() {
        return treeFiles;
    }

    public OpenFiles openFiles() {
        return files;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        FsMount m = mount;
        if (m != null) {
            m.close();
        }
        background.shutdownNow();
        transfers.shutdownNow();
        peers.close();
    }
}
