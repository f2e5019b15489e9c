package io.unum.cli;

import io.unum.api.model.ProcessInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum restart}: bring a checkpointed process back. */
@Command(name = "restart",
        description = {
            "Restart a process from a checkpoint, with its gpid, on any node (the image is copied",
            "there). Refused while that gpid still runs. Prints the gpid."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum restart c-1a2b3c4d                on the node placement picks",
            "  unum restart c-1a2b3c4d --node node-2"
        })
class RestartCommand extends ClientCommand {

    @Parameters(paramLabel = "CHECKPOINT", description = "the checkpoint id ('unum checkpoints' lists them)")
    String checkpoint;

    @Option(names = "--node", paramLabel = "NODE", description = "the node to restart on")
    String node;

    @Override
    protected int run() {
        ProcessInfo p = CheckpointCommand.whileSpinning(this, "restarting", () -> client().restart(checkpoint, node));
        err().println("process " + p.gpid() + " runs again on " + p.node() + " (local pid " + p.localPid() + ")");
        err().flush();
        out().println(p.gpid());
        out().flush();
        return 0;
    }
}
