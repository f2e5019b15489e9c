package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.node.NodeUsage;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads of the process table, joined with the live usage the nodes report. */
@ApplicationScoped
public class ProcessQueries {
    private final ProcessStore processes;
    private final NodeStore nodes;

    public ProcessQueries(ProcessStore processes, NodeStore nodes) {
        this.processes = processes;
        this.nodes = nodes;
    }

    /** Processes by gpid; null filters match everything. */
    public List<ProcessInfo> list(String node, ProcessState state, String user) {
        return page(node, state, user, Integer.MAX_VALUE, 0).items();
    }

    /**
     * The filtered records with a gpid above {@code afterGpid}, at most {@code limit} of them;
     * live usage is looked up for the page only.
     */
    public ProcessPage page(String node, ProcessState state, String user, int limit, int afterGpid) {
        List<ProcessInfo> matching = processes.list().stream()
                .filter(p -> p.gpid() > afterGpid)
                .filter(p -> node == null || node.equals(p.node()))
                .filter(p -> state == null || state == p.state())
                .filter(p -> user == null || user.equals(p.user()))
                .limit(limit == Integer.MAX_VALUE ? Long.MAX_VALUE : limit + 1L)
                .toList();
        Optional<String> next = matching.size() > limit ? Optional.of(ProcessPage.token(matching.get(limit - 1).gpid()))
                : Optional.empty();
        Map<Integer, NodeUsage.Usage> usage = nodes.processUsage();
        return new ProcessPage(matching.stream().limit(limit).map(p -> withUsage(p, usage)).toList(), next);
    }

    public ProcessInfo get(int gpid) {
        return withUsage(processes.get(gpid), nodes.processUsage());
    }

    private static ProcessInfo withUsage(ProcessInfo p, Map<Integer, NodeUsage.Usage> usage) {
        NodeUsage.Usage u = p.state() == ProcessState.RUNNING ? usage.get(p.gpid()) : null;
        return u == null ? p : p.withUsage(u.cpuPercent(), u.rssBytes());
    }
}
