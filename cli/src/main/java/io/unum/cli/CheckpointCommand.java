package io.unum.cli;

import io.unum.api.model.CheckpointInfo;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum checkpoint}: checkpoint a process, printing the checkpoint's id. */
@Command(name = "checkpoint",
        description = {
            "Checkpoint a running process: its whole state is written to an image that",
            "'unum restart' brings back later, on any node, with the same gpid.",
            "It needs CHECKPOINTABLE in its effective set. Prints the checkpoint id."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  id=$(unum checkpoint 42)          checkpoint process 42, which runs on",
            "  unum checkpoint --kill 42         checkpoint it, then stop it",
            "  unum restart $id --node node-3    bring it back on node-3"
        })
class CheckpointCommand extends ClientCommand {

    @Parameters(paramLabel = "GPID", description = "the process")
    int gpid;

    @Option(names = "--kill", description = "stop the process once it is checkpointed")
    boolean kill;

    @Override
    protected int run() {
        CheckpointInfo c = whileSpinning(this, "checkpointing", () -> client().checkpoint(gpid, kill));
        err().printf(Locale.ROOT, "checkpoint %s of process %d on %s: %s, frozen %d ms, on disk (fsync) %s ms later%s; a "
                + "copy is on its way to the cluster file system ('unum checkpoints' shows when it is there)%n", c.id(), gpid,
                c.node(), Format.bytes(c.imageBytes()), c.dumpMillis(), c.syncMillis() == null ? "-" : c.syncMillis(),
                c.killed() ? ", process stopped" : "");
        err().flush();
        out().println(c.id());
        out().flush();
        return 0;
    }

    /** Runs a blocking call while a spinner turns on stderr. */
    static <T> T whileSpinning(ClientCommand command, String label, Supplier<T> call) {
        CompletableFuture<T> result = CompletableFuture.supplyAsync(call);
        ProgressBar progress = new ProgressBar(command.err());
        try {
            while (true) {
                try {
                    return result.get(150, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    progress.spin(label);
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } finally {
            progress.done();
        }
    }
}
