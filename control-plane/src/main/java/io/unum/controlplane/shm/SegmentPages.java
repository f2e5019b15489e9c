package io.unum.controlplane.shm;

import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.DescribeSegmentPagesRequest;
import io.unum.api.grpc.DropSegmentRequest;
import io.unum.api.grpc.ShmNodePages;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.ShmNodePagesInfo;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Asks the agents about a segment's pages: what each node holds, and to drop a destroyed segment. */
@ApplicationScoped
public class SegmentPages {
    private static final Logger LOG = Logger.getLogger(SegmentPages.class);
    private final AgentClients agents;
    private final NodeStore nodes;

    public SegmentPages(AgentClients agents, NodeStore nodes) {
        this.agents = agents;
        this.nodes = nodes;
    }

    /** One entry per node that held a copy; a node that cannot be asked says why. */
    public List<ShmNodePagesInfo> describe(StoredSegment s) {
        return s.nodes().stream().map(node -> describe(s.id(), node)).toList();
    }

    private ShmNodePagesInfo describe(int id, String node) {
        Optional<String> address = nodes.find(node).map(NodeInfo::address);
        if (address.isEmpty()) {
            return new ShmNodePagesInfo(node, 0, 0, 0, 0, 0, 0, 0, "no such node any more");
        }
        try {
            ShmNodePages p = agents.shmPages(address.get()).describeSegmentPages(
                    DescribeSegmentPagesRequest.newBuilder().setId(id).build());
            return new ShmNodePagesInfo(node, p.getResidentPages(), p.getWritablePages(), p.getReadFaults(), p.getWriteFaults(),
                    p.getPagesReceived(), p.getPagesSent(), p.getInvalidations(), null);
        } catch (StatusRuntimeException e) {
            return new ShmNodePagesInfo(node, 0, 0, 0, 0, 0, 0, 0, "the agent did not answer: " + e.getStatus().getCode());
        }
    }

    /** Tells every node that held a copy (best effort: an agent that restarts starts without copies). */
    public void drop(StoredSegment s) {
        for (String node : s.nodes()) {
            nodes.find(node).map(NodeInfo::address).ifPresent(address -> {
                try {
                    agents.shmPages(address).dropSegment(DropSegmentRequest.newBuilder().setId(s.id()).build());
                } catch (StatusRuntimeException e) {
                    LOG.infof("node %s did not drop segment %d: %s", node, s.id(), e.getStatus());
                }
            });
        }
    }
}
