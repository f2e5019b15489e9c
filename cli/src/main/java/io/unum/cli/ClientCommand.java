package io.unum.cli;

import io.unum.client.UnumApiException;
import io.unum.client.UnumClient;
import io.unum.client.UnumIoException;
import io.unum.client.UnumUnreachableException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that talk to the control plane: gives them the client and picocli's
 * writers, and turns failures into {@code unum: <title>: <detail>} on stderr and exit status 1.
 */
abstract class ClientCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The top-level command, whatever the depth of this one ({@code unum policy set}). */
    UnumCommand root;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Override
    public final Integer call() {
        root = (UnumCommand) spec.root().userObject();
        try {
            return run();
        } catch (UnumApiException | UnumUnreachableException | UnumIoException e) {
            return fail(e.getMessage());
        } catch (IllegalArgumentException e) {
            // A malformed --url/UNUM_URL or config file.
            return fail(e.getMessage());
        }
    }

    /** The command's work; returns the exit status. */
    protected abstract int run();

    protected UnumClient client() {
        return root.client();
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints {@code unum: <message>} to stderr and returns exit status 1. */
    protected int fail(String message) {
        out().flush();
        err().println("unum: " + message);
        err().flush();
        return CommandLine.ExitCode.SOFTWARE;
    }

    /** A usage error: picocli prints the message and the usage, and exits with 2. */
    protected ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Terminal width from COLUMNS (default 120). */
    protected int columns() {
        String c = root.env("COLUMNS");
        try {
            int n = c == null ? 0 : Integer.parseInt(c.trim());
            return n > 0 ? n : 120;
        } catch (NumberFormatException e) {
            return 120;
        }
    }

    /** Sleeps for a redraw interval; false when interrupted (Ctrl-C). */
    protected static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static final String CLEAR_SCREEN = "\033[H\033[2J";
}
