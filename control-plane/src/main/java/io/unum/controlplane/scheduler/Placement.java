package io.unum.controlplane.scheduler;

import io.unum.api.model.Capability;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SchedulerEvent;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;

/**
 * Chooses the node of a new process: filters (the node named, the parent's node when the
 * parent lacks {@code DISTANT_FORK}, READY, the constraints' labels), then the placement policy
 * in force. Every refusal happens before anything is written; every decision becomes an event.
 */
@ApplicationScoped
public class Placement {
    private final NodeStore nodes;
    private final Probes probes;
    private final PolicyStore policies;
    private final EventLog events;
    private final ProcessConstraints processConstraints;
    private final PlacementPolicy roundRobin = new PlacementPolicies.RoundRobin();
    private final PlacementPolicy leastLoaded = new PlacementPolicies.LeastLoaded();
    private final PlacementPolicy memoryAware = new PlacementPolicies.MemoryAware();
    private final PlacementPolicy spread = new PlacementPolicies.Spread();
    private final PlacementPolicy binpack = new PlacementPolicies.Binpack();

    /**
     * @param node the node asked for; null lets the policy choose
     * @param constraints labels the node must have; null or empty for none
     * @param parent the parent process, or null
     */
    public record Request(String node, Map<String, String> constraints, ProcessInfo parent) {
    }

    /** The chosen node, the policy (or filter) that decided and why, and the constraints it satisfied. */
    public record Placed(NodeInfo node, String policy, String reason, Map<String, String> constraints) {
    }

    public Placement(NodeStore nodes, Probes probes, PolicyStore policies, EventLog events,
            ProcessConstraints processConstraints) {
        this.nodes = nodes;
        this.probes = probes;
        this.policies = policies;
        this.events = events;
        this.processConstraints = processConstraints;
    }

    public Placed place(Request request) {
        try {
            Labels.checkAll(request.constraints());
            ProcessInfo parent = request.parent();
            boolean pinnedToParent = parent != null && !parent.capabilities().effective().contains(Capability.DISTANT_FORK);
            if (request.node() != null && !request.node().isBlank()) {
                NodeInfo node = nodes.get(request.node());
                if (pinnedToParent && !node.name().equals(parent.node())) {
                    throw UnumException.invalidState("parent " + parent.gpid() + " lacks DISTANT_FORK, so its children must run"
                            + " on its node " + parent.node() + ", not " + node.name());
                }
                return fixed(node, request.constraints(), "--node", "asked for by name");
            }
            if (pinnedToParent) {
                return fixed(nodes.get(parent.node()), request.constraints(), "parent",
                        "parent " + parent.gpid() + " lacks DISTANT_FORK");
            }
            return choose(request.constraints());
        } catch (UnumException e) {
            events.publish(SchedulerEvent.Type.PLACEMENT_REFUSED, null, null, null, policies.current().placement().label(),
                    e.getMessage());
            throw e;
        }
    }

    /** Records the decision once the process has its gpid, and its constraints for the balancer. */
    public void placed(int gpid, Placed placed) {
        processConstraints.record(gpid, placed.constraints());
        events.publish(SchedulerEvent.Type.PLACED, gpid, null, placed.node().name(), placed.policy(), placed.reason());
    }

    private Placed fixed(NodeInfo node, Map<String, String> constraints, String policy, String reason) {
        Candidate c = probes.probe(node);
        if (!c.ready()) {
            throw UnumException.invalidState("node " + node.name() + " is " + node.state() + "; choose a READY node");
        }
        if (!Labels.matches(c.labels(), constraints)) {
            throw UnumException.invalidState("node " + node.name() + " has labels " + c.labels()
                    + ", which do not satisfy the constraints " + constraints);
        }
        probes.placed(node);
        return new Placed(node, policy, reason, constraints);
    }

    private Placed choose(Map<String, String> constraints) {
        List<Candidate> all = probes.all();
        List<Candidate> matching = all.stream().filter(c -> Labels.matches(c.labels(), constraints)).toList();
        List<Candidate> fits = matching.stream().filter(Candidate::ready).toList();
        if (fits.isEmpty()) {
            if (all.stream().noneMatch(Candidate::ready)) {
                throw UnumException.nodeUnavailable("no node is READY; start a node agent or wait for one to come back");
            }
            if (matching.isEmpty()) {
                throw UnumException.invalidState("no node has the labels " + constraints + "; nodes' labels: "
                        + String.join(", ", all.stream().map(c -> c.name() + " " + c.labels()).toList()));
            }
            throw UnumException.nodeUnavailable("the nodes with the labels " + constraints + " ("
                    + String.join(", ", matching.stream().map(Candidate::name).toList()) + ") are not READY");
        }
        Policy policy = policies.current();
        PlacementPolicy chooser = switch (policy.placement()) {
            case ROUND_ROBIN -> roundRobin;
            case LEAST_LOADED -> leastLoaded;
            case MEMORY_AWARE -> memoryAware;
            case SPREAD -> spread;
            case BINPACK -> binpack;
        };
        PlacementPolicy.Choice choice = chooser.choose(fits, policy);
        probes.placed(choice.node().node());
        return new Placed(choice.node().node(), policy.placement().label(), choice.reason(), constraints);
    }
}
