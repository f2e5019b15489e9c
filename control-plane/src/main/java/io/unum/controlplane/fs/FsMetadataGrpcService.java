package io.unum.controlplane.fs;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.unum.api.fs.FsPath;
import io.unum.api.fs.InvalidFsPathException;
import io.unum.api.grpc.AllocateBlockRequest;
import io.unum.api.grpc.AllocateBlockResponse;
import io.unum.api.grpc.CommitChunksRequest;
import io.unum.api.grpc.CreateEntryRequest;
import io.unum.api.grpc.FsEntryResponse;
import io.unum.api.grpc.FsErrnoResponse;
import io.unum.api.grpc.FsMetadataServiceGrpc;
import io.unum.api.grpc.FsPathRequest;
import io.unum.api.grpc.FsReadDirectoryResponse;
import io.unum.api.grpc.FsReplica;
import io.unum.api.grpc.FsReplicaState;
import io.unum.api.grpc.FsLockType;
import io.unum.api.grpc.LinkRequest;
import io.unum.api.grpc.LockRequest;
import io.unum.api.grpc.LockResponse;
import io.unum.api.grpc.ReleaseNodeLocksRequest;
import io.unum.api.grpc.RemoveEntryRequest;
import io.unum.api.grpc.RenameRequest;
import io.unum.api.grpc.ReportBlocksRequest;
import io.unum.api.grpc.ReportBlocksResponse;
import io.unum.api.grpc.ReportCorruptBlockRequest;
import io.unum.api.grpc.ReportCorruptBlockResponse;
import io.unum.api.grpc.SetAttributesRequest;
import io.unum.api.model.FsEntryType;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import io.unum.controlplane.node.AgentPeer;
import io.unum.controlplane.node.NodeStore;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The metadata calls behind the agents' FUSE mounts, on the agent port: each answers with the errno
 * the program gets (EIO when etcd could not be reached or kept changing: nothing was written).
 */
@GrpcService
public class FsMetadataGrpcService extends FsMetadataServiceGrpc.FsMetadataServiceImplBase {
    private static final Logger LOG = Logger.getLogger(FsMetadataGrpcService.class);
    private final FsTree tree;
    private final FsBlocks blocks;
    private final NodeStore nodes;
    private final FsLocks locks;

    public FsMetadataGrpcService(FsTree tree, FsBlocks blocks, NodeStore nodes, FsLocks locks) {
        this.locks = locks;
        this.tree = tree;
        this.blocks = blocks;
        this.nodes = nodes;
    }

    @Override
    public void getAttributes(FsPathRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> FsViews.proto(tree.lookup(FsPath.parse(req.getPath()))).build());
    }

    @Override
    public void readDirectory(FsPathRequest req, StreamObserver<FsReadDirectoryResponse> out) {
        answer(out, () -> FsReadDirectoryResponse.newBuilder().addAllEntries(tree.list(FsPath.parse(req.getPath())).stream()
                .map(e -> FsViews.proto(e).build()).toList()).build(),
                errno -> FsReadDirectoryResponse.newBuilder().setErrno(errno).build());
    }

    @Override
    public void createEntry(CreateEntryRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> {
            FsEntryType type = switch (req.getType()) {
                case FS_ENTRY_TYPE_FILE -> FsEntryType.FILE;
                case FS_ENTRY_TYPE_DIRECTORY -> FsEntryType.DIRECTORY;
                case FS_ENTRY_TYPE_SYMLINK -> FsEntryType.SYMLINK;
                default -> throw new FsFailure(FsErrno.EINVAL, "an entry's type is FILE, DIRECTORY or SYMLINK");
            };
            return FsViews.proto(tree.create(FsPath.parse(req.getPath()), type, req.getMode(), req.getUid(), req.getGid(),
                    req.getSymlinkTarget(), req.getReplicas())).build();
        });
    }

    @Override
    public void removeEntry(RemoveEntryRequest req, StreamObserver<FsErrnoResponse> out) {
        errnoOnly(out, () -> tree.remove(FsPath.parse(req.getPath()), req.getDirectory()));
    }

    @Override
    public void rename(RenameRequest req, StreamObserver<FsErrnoResponse> out) {
        errnoOnly(out, () -> tree.rename(FsPath.parse(req.getFromPath()), FsPath.parse(req.getToPath()), req.getNoReplace()));
    }

    @Override
    public void link(LinkRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> FsViews.proto(tree.link(FsPath.parse(req.getExistingPath()), FsPath.parse(req.getNewPath()))).build());
    }

    @Override
    public void setAttributes(SetAttributesRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> FsViews.proto(tree.setAttributes(FsPath.parse(req.getPath()), new FsTree.Attributes(
                req.hasMode() ? req.getMode() : null, req.hasUid() ? req.getUid() : null, req.hasGid() ? req.getGid() : null,
                req.hasSizeBytes() ? req.getSizeBytes() : null, req.hasAtimeNs() ? req.getAtimeNs() : null,
                req.hasMtimeNs() ? req.getMtimeNs() : null))).build());
    }

    @Override
    public void openFile(FsPathRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> {
            FsTree.Entry e = tree.lookup(FsPath.parse(req.getPath()));
            if (e.inode().isDirectory()) {
                throw new FsFailure(FsErrno.EISDIR, e.path() + " is a directory");
            }
            return FsViews.proto(e, tree.chunks(e.inode().ino()), nodeTable());
        });
    }

    @Override
    public void allocateBlock(AllocateBlockRequest req, StreamObserver<AllocateBlockResponse> out) {
        String caller = AgentPeer.callerNode();
        answer(out, () -> {
            FsBlocks.Allocation a = blocks.allocate(caller, req.getInode(), req.getChunkIndex(),
                    new HashSet<>(req.getExcludeNodesList()));
            Map<String, NodeInfo> table = nodeTable();
            return AllocateBlockResponse.newBuilder().setBlockId(a.blockId()).setQuorum(a.quorum())
                    .addAllTargets(a.targets().stream().map(n -> FsReplica.newBuilder().setNode(n)
                            .setAddress(table.containsKey(n) ? table.get(n).address() : "")
                            .setState(FsReplicaState.FS_REPLICA_STATE_HEALTHY).build()).toList())
                    .build();
        }, errno -> AllocateBlockResponse.newBuilder().setErrno(errno).build());
    }

    @Override
    public void commitChunks(CommitChunksRequest req, StreamObserver<FsEntryResponse> out) {
        entry(out, () -> {
            List<FsBlocks.NewChunk> chunks = req.getChunksList().stream().map(c -> new FsBlocks.NewChunk(c.getIndex(),
                    c.getBlockId(), c.getLength(), Integer.toUnsignedLong(c.getCrc32C()),
                    c.getReplicasList().stream().map(FsReplica::getNode).toList())).toList();
            StoredInode inode = blocks.commit(req.getInode(), chunks, req.getSizeBytes(), req.getMtimeNs());
            return FsViews.proto(new FsTree.Entry(io.unum.api.fs.FsPath.ROOT, inode)).setPath("").build();
        });
    }

    @Override
    public void reportCorruptBlock(ReportCorruptBlockRequest req, StreamObserver<ReportCorruptBlockResponse> out) {
        String caller = AgentPeer.callerNode();
        GrpcErrors.unary(out, () -> {
            LOG.warnf("node %s reports block %s corrupt: %s", caller, req.getBlockId(), req.getDetail());
            try {
                blocks.corrupt(caller, req.getBlockId());
            } catch (FsFailure e) {
                throw io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
            }
            return ReportCorruptBlockResponse.getDefaultInstance();
        });
    }

    @Override
    public void reportBlocks(ReportBlocksRequest req, StreamObserver<ReportBlocksResponse> out) {
        String caller = AgentPeer.callerNode();
        GrpcErrors.unary(out, () -> ReportBlocksResponse.newBuilder().addAllDeleteBlockIds(blocks.report(caller,
                req.getBlockIdsList(), req.getCapacityBytes(), req.getFreeBytes(), req.getUsedBytes())).build());
    }

    @Override
    public void lock(LockRequest req, StreamObserver<LockResponse> out) {
        String caller = AgentPeer.callerNode();
        answer(out, () -> {
            String kind = switch (req.getKind()) {
                case FS_LOCK_KIND_POSIX -> FsLocks.POSIX;
                case FS_LOCK_KIND_FLOCK -> FsLocks.FLOCK;
                default -> throw new FsFailure(FsErrno.EINVAL, "a lock's kind is POSIX or FLOCK");
            };
            if (req.getType() == FsLockType.FS_LOCK_TYPE_UNSPECIFIED || req.getType() == FsLockType.UNRECOGNIZED) {
                throw new FsFailure(FsErrno.EINVAL, "a lock's type is READ, WRITE or UNLOCK");
            }
            boolean unlock = req.getType() == FsLockType.FS_LOCK_TYPE_UNLOCK;
            FsLocks.Outcome o = locks.lock(req.getInode(), caller, req.getOwner(), req.getPid(), kind,
                    req.getType() == FsLockType.FS_LOCK_TYPE_WRITE, unlock, req.getStart(), req.getEnd(), req.getTest());
            if (o.granted()) {
                return LockResponse.getDefaultInstance();
            }
            StoredLocks.Held h = o.conflict().get();
            return LockResponse.newBuilder().setErrno(FsErrno.EAGAIN)
                    .setConflictType(h.write() ? FsLockType.FS_LOCK_TYPE_WRITE : FsLockType.FS_LOCK_TYPE_READ)
                    .setConflictStart(h.start()).setConflictEnd(h.end()).setConflictPid(h.pid()).build();
        }, errno -> LockResponse.newBuilder().setErrno(errno).build());
    }

    @Override
    public void releaseNodeLocks(ReleaseNodeLocksRequest req, StreamObserver<FsErrnoResponse> out) {
        String caller = AgentPeer.callerNode();
        errnoOnly(out, () -> locks.releaseNode(caller));
    }

    private Map<String, NodeInfo> nodeTable() {
        return nodes.list().stream().collect(Collectors.toMap(NodeInfo::name, n -> n));
    }

    private static void entry(StreamObserver<FsEntryResponse> out, Supplier<io.unum.api.grpc.FsEntry> call) {
        answer(out, () -> FsEntryResponse.newBuilder().setEntry(call.get()).build(),
                errno -> FsEntryResponse.newBuilder().setErrno(errno).build());
    }

    private static void errnoOnly(StreamObserver<FsErrnoResponse> out, Runnable call) {
        answer(out, () -> {
            call.run();
            return FsErrnoResponse.getDefaultInstance();
        }, errno -> FsErrnoResponse.newBuilder().setErrno(errno).build());
    }

    /** The call's answer, or its errno in the answer's shape. */
    private static <T> void answer(StreamObserver<T> out, Supplier<T> call, Function<Integer, T> failed) {
        GrpcErrors.unary(out, () -> {
            try {
                return call.get();
            } catch (FsFailure e) {
                return failed.apply(e.errno());
            } catch (InvalidFsPathException e) {
                return failed.apply(e.tooLong() ? FsErrno.ENAMETOOLONG : FsErrno.EINVAL);
            } catch (EtcdUnavailableException | EtcdConflictException e) {
                LOG.warnf("file system metadata call answered EIO: %s", e.getMessage());
                return failed.apply(FsErrno.EIO);
            }
        });
    }
}
