package io.unum.agent.fs;

import io.grpc.StatusRuntimeException;
import io.unum.agent.registration.ControlPlaneClient;
import io.unum.api.grpc.AllocateBlockRequest;
import io.unum.api.grpc.AllocateBlockResponse;
import io.unum.api.grpc.CommitChunksRequest;
import io.unum.api.grpc.CreateEntryRequest;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsEntryResponse;
import io.unum.api.grpc.FsErrnoResponse;
import io.unum.api.grpc.FsMetadataServiceGrpc;
import io.unum.api.grpc.LockRequest;
import io.unum.api.grpc.LockResponse;
import io.unum.api.grpc.ReleaseNodeLocksRequest;
import io.unum.api.grpc.FsMetadataServiceGrpc.FsMetadataServiceBlockingStub;
import io.unum.api.grpc.FsPathRequest;
import io.unum.api.grpc.FsReadDirectoryResponse;
import io.unum.api.grpc.LinkRequest;
import io.unum.api.grpc.RemoveEntryRequest;
import io.unum.api.grpc.RenameRequest;
import io.unum.api.grpc.ReportBlocksRequest;
import io.unum.api.grpc.ReportBlocksResponse;
import io.unum.api.grpc.ReportCorruptBlockRequest;
import io.unum.api.grpc.SetAttributesRequest;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * FsMetadataService on the control plane, through the agent's ControlPlaneClient (its failover).
 * An answer's errno, or EIO when no control plane answers, becomes an FsErrnoException: the mount
 * hands it to the program.
 */
public final class MetadataClient {
    private static final Logger LOG = Logger.getLogger(MetadataClient.class.getName());

    private final ControlPlaneClient controlPlane;

    public MetadataClient(ControlPlaneClient controlPlane) {
        this.controlPlane = controlPlane;
    }

    FsEntry getAttributes(String path) throws FsErrnoException {
        return entry(path, call("GetAttributes " + path, s -> s.getAttributes(pathRequest(path))));
    }

    List<FsEntry> readDirectory(String path) throws FsErrnoException {
        FsReadDirectoryResponse r = call("ReadDirectory " + path, s -> s.readDirectory(pathRequest(path)));
        check(r.getErrno(), path);
        return r.getEntriesList();
    }

    FsEntry create(CreateEntryRequest request) throws FsErrnoException {
        return entry(request.getPath(), call("CreateEntry " + request.getPath(), s -> s.createEntry(request)));
    }

    void remove(String path, boolean directory) throws FsErrnoException {
        FsErrnoResponse r = call("RemoveEntry " + path, s -> s.removeEntry(
                RemoveEntryRequest.newBuilder().setPath(path).setDirectory(directory).build()));
        check(r.getErrno(), path);
    }

    void rename(String from, String to) throws FsErrnoException {
        FsErrnoResponse r = call("Rename " + from, s -> s.rename(RenameRequest.newBuilder().setFromPath(from).setToPath(to).build()));
        check(r.getErrno(), from + " -> " + to);
    }

    FsEntry link(String existing, String newPath) throws FsErrnoException {
        return entry(newPath, call("Link " + newPath, s -> s.link(
                LinkRequest.newBuilder().setExistingPath(existing).setNewPath(newPath).build())));
    }

    FsEntry setAttributes(SetAttributesRequest request) throws FsErrnoException {
        return entry(request.getPath(), call("SetAttributes " + request.getPath(), s -> s.setAttributes(request)));
    }

    /** Attributes and the whole chunk map, fresh. */
    FsEntry openFile(String path) throws FsErrnoException {
        return entry(path, call("OpenFile " + path, s -> s.openFile(pathRequest(path))));
    }

    AllocateBlockResponse allocateBlock(long inode, long chunkIndex, List<String> excludeNodes) throws FsErrnoException {
        AllocateBlockResponse r = call("AllocateBlock " + inode, s -> s.allocateBlock(AllocateBlockRequest.newBuilder()
                .setInode(inode).setChunkIndex(chunkIndex).addAllExcludeNodes(excludeNodes).build()));
        check(r.getErrno(), "inode " + inode + " chunk " + chunkIndex);
        return r;
    }

    FsEntry commitChunks(CommitChunksRequest request) throws FsErrnoException {
        return entry("inode " + request.getInode(), call("CommitChunks " + request.getInode(), s -> s.commitChunks(request)));
    }

    /** A lock request; the answer carries EAGAIN and the lock in the way when another owner holds one. */
    LockResponse lock(LockRequest request) throws FsErrnoException {
        LockResponse r = call("Lock " + request.getInode(), s -> s.lock(request));
        if (r.getErrno() != 0 && r.getErrno() != Errno.EAGAIN) {
            check(r.getErrno(), "lock of inode " + request.getInode());
        }
        return r;
    }

    /** Every lock this node held goes (an agent's new life). */
    void releaseNodeLocks() throws FsErrnoException {
        check(call("ReleaseNodeLocks", s -> s.releaseNodeLocks(ReleaseNodeLocksRequest.getDefaultInstance())).getErrno(),
                "releasing this node's locks");
    }

    /** Best effort: the scrubber or the next read finds the copy again if the report is lost. */
    void reportCorruptBlock(String blockId, String detail) {
        try {
            call("ReportCorruptBlock " + blockId, s -> s.reportCorruptBlock(
                    ReportCorruptBlockRequest.newBuilder().setBlockId(blockId).setDetail(detail).build()));
        } catch (FsErrnoException e) {
            LOG.warning("cannot report corrupt block " + blockId + ": " + e.getMessage());
        }
    }

    ReportBlocksResponse reportBlocks(ReportBlocksRequest request) throws FsErrnoException {
        return call("ReportBlocks", s -> s.reportBlocks(request));
    }

    private <T> T call(String what, Function<FsMetadataServiceBlockingStub, T> call) throws FsErrnoException {
        try {
            return controlPlane.call(FsMetadataServiceGrpc::newBlockingStub, call);
        } catch (StatusRuntimeException e) {
            throw new FsErrnoException(Errno.EIO, what + ": the control plane did not answer: " + e.getStatus());
        }
    }

    private static FsEntry entry(String what, FsEntryResponse r) throws FsErrnoException {
        check(r.getErrno(), what);
        return r.getEntry();
    }

    private static void check(int errno, String what) throws FsErrnoException {
        if (errno != 0) {
            throw new FsErrnoException(errno, what + ": errno " + errno);
        }
    }

    private static FsPathRequest pathRequest(String path) {
        return FsPathRequest.newBuilder().setPath(path).build();
    }
}
