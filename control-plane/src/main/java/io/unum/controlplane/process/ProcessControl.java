package io.unum.controlplane.process;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.SignalLocalProcessRequest;
import io.unum.api.model.AuditAction;
import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.Capability;
import io.unum.api.model.CapabilityChange;
import io.unum.api.model.CapabilityRuleException;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.Signals;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicReference;

/** Signals and capability changes of running processes, wherever they run. */
@ApplicationScoped
public class ProcessControl {
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final NodeStore nodes;
    private final AgentClients agents;
    private final AuditLog audit;

    public ProcessControl(ProcessStore processes, ProcessLocks locks, NodeStore nodes, AgentClients agents, AuditLog audit) {
        this.audit = audit;
        this.processes = processes;
        this.locks = locks;
        this.nodes = nodes;
        this.agents = agents;
    }

    public void signal(int gpid, String signal) {
        int number = Signals.parse(signal).orElseThrow(() -> UnumException.invalidRequest("unknown signal '" + signal
                + "'; use a name like TERM, KILL, USR1 or a number from 1 to 64"));
        ProcessInfo process = processes.get(gpid);
        if (process.state() != ProcessState.RUNNING) {
            throw UnumException.invalidState("process " + gpid + " is " + process.state() + "; only RUNNING processes can be signalled");
        }
        locks.holder(gpid).ifPresent(h -> {
            throw UnumException.invalidState("process " + gpid + " is busy with " + h + "; signal it once that is done");
        });
        String address = nodes.get(process.node()).address();
        audit.record(AuditAction.SIGNAL, gpid, process.node(), null, null, null, "signal " + signal);
        try {
            agents.blocking(address).signalProcess(SignalLocalProcessRequest.newBuilder()
                    .setGpid(gpid).setSignal(number).build());
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.NOT_FOUND || code == Status.Code.FAILED_PRECONDITION) {
                throw UnumException.invalidState("process " + gpid + " has already ended");
            }
            throw UnumException.nodeUnavailable("node " + process.node() + " did not answer: " + e.getStatus().getDescription());
        }
    }

    /**
     * Applies krgcapset changes. Dropping is always allowed; raising a bit needs
     * {@code CHANGE_CAPS} in the process's effective set, and raising a permitted bit needs
     * {@code force} (an admin override).
     */
    public Capabilities updateCapabilities(int gpid, CapabilitiesUpdate update) {
        CapabilityChange e = parse(update.effective());
        CapabilityChange p = parse(update.permitted());
        CapabilityChange ie = parse(update.inheritableEffective());
        CapabilityChange ip = parse(update.inheritablePermitted());
        boolean force = Boolean.TRUE.equals(update.force());
        ProcessInfo target = processes.get(gpid);
        audit.record(AuditAction.CAPABILITIES, gpid, target.node(), null, null, describe(update), null);
        AtomicReference<Capabilities> result = new AtomicReference<>();
        processes.update(gpid, process -> {
            if (process.state().isTerminal()) {
                throw UnumException.invalidState("process " + gpid + " has ended (" + process.state() + "); its capabilities are final");
            }
            Capabilities before = process.capabilities();
            Capabilities after;
            try {
                after = before.apply(e, p, ie, ip, force);
            } catch (CapabilityRuleException rule) {
                throw UnumException.capabilityDenied(rule.getMessage());
            }
            if (!force && before.raisesAny(after) && !before.effective().contains(Capability.CHANGE_CAPS)) {
                throw UnumException.capabilityDenied("process " + gpid + " lacks CHANGE_CAPS in its effective set, so its "
                        + "capabilities can only be dropped (an admin may override with force)");
            }
            result.set(after);
            return after.equals(before) ? process : process.withCapabilities(after);
        }).orElseThrow(() -> UnumException.processNotFound("no process has gpid " + gpid));
        return result.get();
    }

    /** The change as asked for, e.g. {@code effective +CAN_MIGRATE; permitted -CHANGE_CAPS; force}. */
    private static String describe(CapabilitiesUpdate u) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        addPart(parts, "effective", u.effective());
        addPart(parts, "permitted", u.permitted());
        addPart(parts, "inheritable-effective", u.inheritableEffective());
        addPart(parts, "inheritable-permitted", u.inheritablePermitted());
        if (Boolean.TRUE.equals(u.force())) {
            parts.add("force");
        }
        return String.join("; ", parts);
    }

    private static void addPart(java.util.List<String> parts, String set, String change) {
        if (change != null && !change.isBlank()) {
            parts.add(set + " " + change);
        }
    }

    private static CapabilityChange parse(String spec) {
        try {
            return CapabilityChange.parse(spec);
        } catch (IllegalArgumentException ex) {
            throw UnumException.invalidRequest(ex.getMessage());
        }
    }
}
