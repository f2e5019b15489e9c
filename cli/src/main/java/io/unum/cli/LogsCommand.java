package io.unum.cli;

import io.unum.api.model.OutputChunk;
import io.unum.client.EventStream;
import io.unum.client.UnumClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum logs}: a process's captured stdout and stderr. */
@Command(name = "logs",
        description = {
            "Print the captured output of a process.",
            "Its stdout goes to stdout and its stderr to stderr, byte for byte.",
            "Nodes keep the newest output of each stream (1 MiB by default)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum logs 42                 what process 42 printed so far",
            "  unum logs -f 42              follow until it ends (or Ctrl-C)",
            "  unum logs 42 2>/dev/null     its stdout only"
        })
class LogsCommand extends ClientCommand {

    @Option(names = {"-f", "--follow"}, description = "keep printing new output until the process ends")
    boolean follow;

    @Parameters(paramLabel = "GPID", description = "the process")
    int gpid;

    @Override
    protected int run() {
        copy(this, client(), gpid, follow);
        return 0;
    }

    /** Copies the output of {@code gpid} to the command's byte streams; shared with {@code run --follow}. */
    static void copy(ClientCommand command, UnumClient client, int gpid, boolean follow) {
        command.out().flush();
        command.err().flush();
        OutputCopier copier = new OutputCopier(command.root.rawOut(), command.root.rawErr());
        if (follow) {
            try (EventStream<OutputChunk> chunks = client.outputStream(gpid, 0, 0)) {
                chunks.forEach(copier);
            }
        } else {
            client.output(gpid, 0, 0).forEach(copier);
        }
    }
}
