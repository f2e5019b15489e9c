package io.unum.testing;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bin/unum-dev up|down|status}: a local cluster whose processes outlive this launcher.
 * {@code up} records every process in {@code <dir>/pids} and the URLs and tokens in
 * {@code <dir>/cluster.properties}; {@code down} stops what {@code <dir>/pids} lists and every
 * process the agents' state dirs list.
 */
@Command(name = "unum-dev", mixinStandardHelpOptions = true,
        description = "A local Unum cluster whose processes outlive this launcher.",
        subcommands = {UpCommand.class, DownCommand.class, StatusCommand.class},
        footer = "DIR defaults to .unum-local (relative to the current directory); DURATION like 10s or PT10S.")
public final class LocalClusterMain implements Runnable {
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;

    @Spec
    CommandSpec spec;

    LocalClusterMain(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public static void main(String[] args) {
        int code = new LocalClusterMain(System.out, System.err, System.getenv()).run(args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line; the exit code: 0 done, 1 failed, 2 bad arguments, 3 (status) not running. */
    int run(String... args) {
        return commandLine().execute(args);
    }

    CommandLine commandLine() {
        // Repeating an option is allowed: the last value wins, and --label adds one label each time.
        CommandLine cl = new CommandLine(this).setOverwrittenOptionsAllowed(true);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler((e, command, parsed) -> {
            err.println("unum-dev " + command.getCommandName() + " failed: " + e.getMessage());
            return 1;
        });
        return cl;
    }

    /** Without a command there is nothing to do: say which there are. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is needed: up, down or status");
    }

    /** The {@code --dir} every command takes. */
    static final class ClusterDir {
        @Option(names = "--dir", paramLabel = "DIR", description = "the cluster directory (default: .unum-local)")
        private Path dir = Path.of(".unum-local");

        Path path() {
            return dir.toAbsolutePath().normalize();
        }
    }
}
