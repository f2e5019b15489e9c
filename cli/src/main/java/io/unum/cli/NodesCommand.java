package io.unum.cli;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.client.Json;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum nodes}: the machines of the cluster and their load. */
@Command(name = "nodes",
        description = "List the nodes of the cluster with their state and load.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum nodes            NAME ADDRESS STATE CORES MEMORY LOAD1 CPU%% FREE PROCS",
            "  unum nodes -w         redraw every 2 s until Ctrl-C",
            "  unum nodes --json | jq -r '.[] | select(.state==\"DOWN\") | .name'"
        })
class NodesCommand extends ClientCommand {

    @Option(names = "--json", description = "print the nodes as a JSON array")
    boolean json;

    @Option(names = {"-w", "--watch"}, description = "redraw every 2 seconds until Ctrl-C")
    boolean watch;

    @Override
    protected int run() {
        var client = client();
        do {
            List<NodeInfo> nodes = client.nodes();
            if (watch) {
                out().print(CLEAR_SCREEN);
            }
            if (json) {
                out().println(toJson(nodes));
            } else {
                out().print(table(nodes));
            }
            out().flush();
        } while (watch && pause(2000));
        return 0;
    }

    static String toJson(Object value) {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String table(List<NodeInfo> nodes) {
        Table t = new Table("NAME", "ADDRESS", "STATE", "CORES>", "MEMORY>", "LOAD1>", "CPU%>", "FREE>", "PROCS>");
        for (NodeInfo n : nodes) {
            NodeLoad load = n.load();
            t.add(Format.orDash(n.name()),
                    Format.orDash(n.address()),
                    n.state() == null ? "-" : n.state().name(),
                    Integer.toString(n.cores()),
                    Format.bytes(n.memoryBytes()),
                    load == null ? "-" : Format.decimal(load.load1(), 2),
                    load == null ? "-" : Format.decimal(load.cpuPercent(), 1),
                    load == null ? "-" : Format.bytes(load.memoryFreeBytes()),
                    load == null ? "-" : Integer.toString(load.processCount()));
        }
        return t.render();
    }
}
