package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.NodeRemovalGuard;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.stream.Collectors;

/** A node may be removed only when no process runs, waits or is lost there. */
@ApplicationScoped
public class ProcessesOnNode implements NodeRemovalGuard {
    private final ProcessStore processes;

    public ProcessesOnNode(ProcessStore processes) {
        this.processes = processes;
    }

    @Override
    public void checkRemovable(String node) {
        List<ProcessInfo> there = processes.list().stream()
                .filter(p -> node.equals(p.node()))
                .filter(p -> p.state() == ProcessState.RUNNING || p.state() == ProcessState.PENDING
                        || p.state() == ProcessState.LOST)
                .toList();
        if (!there.isEmpty()) {
            String gpids = there.stream().limit(10).map(p -> Integer.toString(p.gpid())).collect(Collectors.joining(", "));
            throw UnumException.invalidState("node " + node + " still has " + there.size() + " process(es) (gpid " + gpids
                    + (there.size() > 10 ? ", …" : "") + "): migrate or kill them first");
        }
    }
}
