package io.unum.controlplane.fs;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.api.fs.FsPath;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.ReadFileRequest;
import io.unum.api.grpc.ReadFileResponse;
import io.unum.api.grpc.WriteFileHeader;
import io.unum.api.model.AuditAction;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * File bytes for the public API: a READY agent reads or writes the whole file through its own
 * client (chunking, replication, checksums), and the bytes stream through this replica without
 * being held whole and without touching etcd.
 */
@ApplicationScoped
public class FsTransfer {
    private final NodeStore nodes;
    private final AgentClients agents;
    private final FsOperations operations;
    private final AuditLog audit;

    public FsTransfer(NodeStore nodes, AgentClients agents, FsOperations operations, AuditLog audit) {
        this.nodes = nodes;
        this.agents = agents;
        this.operations = operations;
        this.audit = audit;
    }

    /** A READY agent's address, chosen at random so transfers spread over the nodes. */
    String readyAgent() {
        List<NodeInfo> ready = nodes.list().stream().filter(n -> n.state() == NodeState.READY).toList();
        if (ready.isEmpty()) {
            throw UnumException.nodeUnavailable("no node is READY to read or write the file's blocks");
        }
        return ready.get(ThreadLocalRandom.current().nextInt(ready.size())).address();
    }

    public FsBlockServiceGrpc.FsBlockServiceStub writer(String address) {
        return agents.fsBlocks(address);
    }

    /** Whether path is a file now (200) or not (201); 409 for what the write may not do, 404/400 as stat. */
    public boolean checkWrite(WriteFileHeader h) {
        FsPath path = FsOperations.path(h.getPath());
        if (path.isRoot()) {
            throw UnumException.invalidState("/ is a directory");
        }
        operations.checkGoal(h.getReplicas(), true);
        if (h.getMode() > 07777) {
            throw UnumException.invalidRequest("mode " + Integer.toOctalString(h.getMode()) + " is not a permission mode (0 to 07777)");
        }
        try {
            FsTree.Entry parent = operations.entry(path.parent());
            if (!parent.inode().isDirectory()) {
                throw UnumException.invalidState(path.parent() + " is not a directory");
            }
        } catch (UnumException e) {
            if (e.kind() != UnumException.Kind.NOT_FOUND || !h.getMakeParents()) {
                throw e.kind() == UnumException.Kind.NOT_FOUND
                        ? UnumException.invalidState(path.parent() + " does not exist; make it first, or ask for parents")
                        : e;
            }
        }
        try {
            FsTree.Entry existing = operations.entry(path);
            if (existing.inode().isDirectory()) {
                throw UnumException.invalidState(path + " is a directory");
            }
            if (h.getNoReplace()) {
                throw UnumException.invalidState(path + " exists; ask for overwrite to replace it");
            }
            return true;
        } catch (UnumException e) {
            if (e.kind() != UnumException.Kind.NOT_FOUND) {
                throw e;
            }
            return false;
        }
    }

    /** Records a write in the audit log before it starts (who: the caller as the route authenticated it, or null: the current one). */
    public void audited(String who, WriteFileHeader h) {
        String detail = "write " + h.getPath();
        if (who == null) {
            audit.record(AuditAction.FS_CHANGE, null, null, null, null, null, detail);
        } else {
            audit.recordAs(who, AuditAction.FS_CHANGE, null, null, null, null, null, detail);
        }
    }

    /** Copies the file's bytes to out, as the agent sends them; the agent's call ends when out fails. */
    public void read(FsPath path, OutputStream out) throws IOException {
        String address = readyAgent();
        Context.CancellableContext call = Context.current().withCancellation();
        Context previous = call.attach();
        try {
            Iterator<ReadFileResponse> parts = agents.fsBlockCalls(address)
                    .readFile(ReadFileRequest.newBuilder().setPath(path.toString()).build());
            while (parts.hasNext()) {
                parts.next().getData().writeTo(out);
            }
            out.flush();
        } catch (StatusRuntimeException e) {
            throw refusal(e);
        } finally {
            call.detach(previous);
            call.cancel(null);
        }
    }

    /** Iterates the agent's answer for a gRPC relay; the caller cancels context when its client goes. */
    Iterator<ReadFileResponse> readParts(FsPath path) {
        return agents.fsBlockCalls(readyAgent()).readFile(ReadFileRequest.newBuilder().setPath(path.toString()).build());
    }

    /** An agent's refusal as the API's. */
    static UnumException refusal(StatusRuntimeException e) {
        String detail = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString() : e.getStatus().getDescription();
        return switch (e.getStatus().getCode()) {
            case NOT_FOUND -> UnumException.notFound(detail);
            case ALREADY_EXISTS, FAILED_PRECONDITION -> UnumException.invalidState(detail);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> UnumException.invalidRequest(detail);
            default -> UnumException.nodeUnavailable("the agent moving the file's bytes failed: " + detail, e);
        };
    }

    static StatusRuntimeException status(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        return Status.fromThrowable(t).asRuntimeException();
    }
}
