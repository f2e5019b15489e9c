package io.unum.controlplane.image;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.DeleteImageRequest;
import io.unum.api.grpc.DescribeProcessRequest;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ReleaseProcessRequest;
import io.unum.api.grpc.RemoveProcessRequest;
import io.unum.api.grpc.DumpProcessRequest;
import io.unum.api.grpc.DumpProcessResponse;
import io.unum.api.grpc.GetImageFromTreeRequest;
import io.unum.api.grpc.PutImageInTreeRequest;
import io.unum.api.grpc.PushImageProgress;
import io.unum.api.grpc.PushImageRequest;
import io.unum.api.grpc.RestoreProcessRequest;
import io.unum.api.grpc.RestoreProcessResponse;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.node.AgentClients;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * The image calls the control plane makes on agents, for migrations and checkpoints. Each
 * failure comes back as {@link AgentCallException} with the agent's status, and the caller
 * decides what it means (roll back, refuse, retry).
 */
@ApplicationScoped
public class AgentImages {
    private static final Logger LOG = Logger.getLogger(AgentImages.class);
    /** CRIU dumps and restores take long for big processes; a dead agent is noticed by the channel. */
    private static final Duration LONG_CALL = Duration.ofMinutes(10);
    private static final Duration SHORT_CALL = Duration.ofSeconds(10);

    private final AgentClients agents;

    public AgentImages(AgentClients agents) {
        this.agents = agents;
    }

    public DumpProcessResponse dump(NodeInfo node, int gpid, String imageId, boolean leaveRunning) {
        return call(node, "dump", () -> agents.images(node.address(), LONG_CALL).dumpProcess(DumpProcessRequest.newBuilder()
                .setGpid(gpid).setImageId(imageId).setLeaveRunning(leaveRunning).build()));
    }

    /**
     * A stop-and-copy migration's dump: the process stops there, and new connections to its
     * listening ports wait until it runs again, on the target or back there.
     */
    public DumpProcessResponse dumpToMove(NodeInfo node, int gpid, String imageId, NodeInfo target) {
        return call(node, "dump", () -> agents.images(node.address(), LONG_CALL).dumpProcess(DumpProcessRequest.newBuilder()
                .setGpid(gpid).setImageId(imageId).setMoving(true).setNextAgentAddress(target.address()).build()));
    }

    /** A post-copy dump: the image without its pages; the agent then serves them on the port it answers. */
    public DumpProcessResponse dumpLazy(NodeInfo node, int gpid, String imageId, NodeInfo target) {
        return call(node, "dump", () -> agents.images(node.address(), LONG_CALL).dumpProcess(DumpProcessRequest.newBuilder()
                .setGpid(gpid).setImageId(imageId).setLazy(true).setMoving(true).setNextAgentAddress(target.address()).build()));
    }

    /** Copies an image from one agent to another; progress gets the bytes sent so far. */
    public void push(NodeInfo from, String imageId, NodeInfo to, LongConsumer progress) {
        call(from, "transfer", () -> {
            Iterator<PushImageProgress> it = agents.images(from.address(), LONG_CALL).pushImage(PushImageRequest.newBuilder()
                    .setImageId(imageId).setTargetAddress(to.address()).build());
            while (it.hasNext()) {
                progress.accept(it.next().getBytesSent());
            }
            return null;
        });
    }

    /**
     * lazyPageServer: host:port of the page server of a post-copy dump, else null. hold: the tree
     * stays stopped until {@link #release} (the fence of a migration or restart).
     */
    public RestoreProcessResponse restore(NodeInfo node, int gpid, String imageId, String lazyPageServer, boolean hold) {
        RestoreProcessRequest.Builder request = RestoreProcessRequest.newBuilder().setGpid(gpid).setImageId(imageId)
                .setHold(hold);
        if (lazyPageServer != null) {
            request.setLazyPageServer(lazyPageServer);
        }
        return call(node, "restore", () -> agents.images(node.address(), LONG_CALL).restoreProcess(request.build()));
    }

    /** Copies an image of the node into the cluster file system; answers its path there. */
    public String putInTree(NodeInfo node, String imageId) {
        return call(node, "copy to the cluster file system", () -> agents.images(node.address(), LONG_CALL)
                .putImageInTree(PutImageInTreeRequest.newBuilder().setImageId(imageId).build())).getTreePath();
    }

    /** Reads an image from the cluster file system into the node (a no-op when it is there already). */
    public void getFromTree(NodeInfo node, String imageId) {
        call(node, "read from the cluster file system", () -> agents.images(node.address(), LONG_CALL)
                .getImageFromTree(GetImageFromTreeRequest.newBuilder().setImageId(imageId).build()));
    }

    /** Lets a tree restored held from imageId run. Idempotent. */
    public void release(NodeInfo node, int gpid, String imageId) {
        call(node, "release", () -> agents.images(node.address(), SHORT_CALL).releaseProcess(ReleaseProcessRequest.newBuilder()
                .setGpid(gpid).setImageId(imageId).build()));
    }

    /** What the node knows of the gpid right now: the question after an ambiguous failure. */
    public DescribeProcessResponse describe(NodeInfo node, int gpid) {
        return call(node, "describe", () -> agents.images(node.address(), SHORT_CALL).describeProcess(
                DescribeProcessRequest.newBuilder().setGpid(gpid).build()));
    }

    /** Kills and forgets the gpid on the node; for a held tree this is never reported as an exit. */
    public void discard(NodeInfo node, int gpid) {
        call(node, "discard", () -> agents.blocking(node.address()).removeProcess(RemoveProcessRequest.newBuilder()
                .setGpid(gpid).build()));
    }

    /** Best effort: an image left behind costs disk space, not correctness. */
    public void deleteQuietly(NodeInfo node, String imageId) {
        try {
            agents.images(node.address(), SHORT_CALL).deleteImage(DeleteImageRequest.newBuilder().setImageId(imageId).build());
        } catch (StatusRuntimeException e) {
            LOG.infof("could not delete image %s on %s: %s", imageId, node.name(), e.getStatus());
        }
    }

    private static <T> T call(NodeInfo node, String what, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw new AgentCallException(node.name(), what, e.getStatus());
        }
    }

    /** An image call an agent refused or could not complete. */
    public static final class AgentCallException extends RuntimeException {
        private final String node;
        private final Status status;

        public AgentCallException(String node, String what, Status status) {
            super(what + " on " + node + " failed: " + (status.getDescription() != null ? status.getDescription()
                    : status.getCode().toString()));
            this.node = node;
            this.status = status;
        }

        public String node() {
            return node;
        }

        public Status.Code code() {
            return status.getCode();
        }

        /**
         * The agent could not be reached or died during the call: it may or may not have done it,
         * so the caller asks {@link #describe} rather than guessing.
         */
        public boolean unreachable() {
            return status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED
                    || status.getCode() == Status.Code.CANCELLED || status.getCode() == Status.Code.UNKNOWN;
        }
    }
}
