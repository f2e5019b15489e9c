package io.unum.agent.profile;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.agent.registration.ControlPlaneClient;
import io.unum.api.grpc.NodeProfileServiceGrpc;
import io.unum.api.grpc.ReportNodeProfileRequest;
import java.util.logging.Logger;

/**
 * Tells the control plane the node's labels and enforced capacity. Runs after every
 * registration, because a node that was declared DOWN and registers again may have been
 * restarted with other options. A control plane without the service (older than the agent)
 * is told nothing: the node then works without labels rather than not at all.
 */
public final class ProfileReporter implements Runnable {
    private static final Logger LOG = Logger.getLogger(ProfileReporter.class.getName());

    private final ControlPlaneClient client;
    private final String node;
    private final NodeProfileSettings settings;
    private final String enforcement;

    /** @param enforcement "cgroup-v1", "cgroup-v2" or "none" */
    public ProfileReporter(ControlPlaneClient client, String node, NodeProfileSettings settings, String enforcement) {
        this.client = client;
        this.node = node;
        this.settings = settings;
        this.enforcement = enforcement;
    }

    @Override
    public void run() {
        ReportNodeProfileRequest request = ReportNodeProfileRequest.newBuilder()
                .setNode(node)
                .putAllLabels(settings.labels())
                .setCpuCapacity(settings.capacity().cpus())
                .setMemoryCapacityBytes(settings.capacity().memoryBytes())
                .setEnforcement(enforcement)
                .build();
        try {
            client.call(NodeProfileServiceGrpc::newBlockingStub, stub -> stub.reportNodeProfile(request));
            LOG.fine(() -> "reported labels " + settings.labels() + " and capacity " + settings.capacity());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
                throw e;
            }
            LOG.warning("the control plane does not take node profiles: labels and capacity are not reported");
        }
    }
}
