package io.unum.cli;

import io.unum.api.model.Signals;
import io.unum.client.UnumApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum kill}: send a signal to processes, like kill(1). */
@Command(name = "kill",
        modelTransformer = ParserSettings.DashValuesArePositional.class,
        customSynopsis = {
            "unum kill [-s SIG | -SIG] GPID...",
            "unum kill -l [SIGNUM...]"
        },
        description = {
            "Send a signal (default TERM) to processes, wherever they run.",
            "SIG is a name (KILL, SIGKILL, kill) or a number (9).",
            "Failures are reported per gpid; the others are still signalled."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum kill 42                 SIGTERM to process 42",
            "  unum kill -9 42 43           SIGKILL to 42 and 43",
            "  unum kill -KILL 42           the same by name (also -SIGKILL, -s KILL)",
            "  unum kill -s USR1 42",
            "  unum kill -l                 list signal names"
        })
class KillCommand extends ClientCommand {

    @Option(names = {"-s", "--signal"}, paramLabel = "SIG", description = "signal to send (default TERM)")
    String signal;

    @Option(names = {"-l", "--list"}, description = "list signal names (or name the given numbers)")
    boolean list;

    @Parameters(paramLabel = "GPID", arity = "0..*", description = "processes to signal")
    List<String> args = new ArrayList<>();

    /** What the arguments ask for: a signal (as typed, without its dash) and the gpids. */
    record Request(String signal, List<String> gpids) {
    }

    @Override
    protected int run() {
        if (list) {
            return listSignals();
        }
        Request request = parse(signal, args);
        var client = client();
        int failures = 0;
        for (String g : request.gpids()) {
            int gpid;
            try {
                gpid = Integer.parseInt(g);
                if (gpid <= 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                err().println("unum: kill " + g + ": not a gpid (a positive number)");
                failures++;
                continue;
            }
            try {
                client.signal(gpid, request.signal());
            } catch (UnumApiException e) {
                err().println("unum: kill " + gpid + ": " + e.getMessage());
                failures++;
            }
        }
        err().flush();
        return failures == 0 ? 0 : 1;
    }

    /**
     * Parses kill(1) argument forms: {@code -s SIG} (given as {@code option}) or a leading
     * {@code -SIG} / {@code -NUM}, then gpids. A {@code --} ends the signal part.
     *
     * @throws picocli.CommandLine.ParameterException for an unknown signal, two signals, or no gpid
     */
    Request parse(String option, List<String> arguments) {
        String sig = option;
        List<String> gpids = new ArrayList<>();
        boolean signalsAllowed = true;
        for (String a : arguments) {
            if (signalsAllowed && a.equals("--")) {
                signalsAllowed = false;
            } else if (signalsAllowed && gpids.isEmpty() && a.startsWith("-") && a.length() > 1) {
                if (sig != null) {
                    throw usage("more than one signal given: " + sig + " and " + a.substring(1));
                }
                sig = a.substring(1);
            } else {
                gpids.add(a);
            }
        }
        if (sig == null) {
            sig = "TERM";
        }
        if (Signals.parse(sig).isEmpty()) {
            throw usage("unknown signal '" + sig + "'; see unum kill -l");
        }
        if (gpids.isEmpty()) {
            throw usage("no gpid given");
        }
        return new Request(sig, gpids);
    }

    private int listSignals() {
        if (args.isEmpty()) {
            StringJoiner names = new StringJoiner(" ");
            for (int i = 1; i <= 31; i++) {
                names.add(Signals.name(i));
            }
            out().println(names);
        } else {
            for (String a : args) {
                Integer n = Signals.parse(a).orElseThrow(() -> usage("unknown signal '" + a + "'"));
                // kill -l 9 names the signal; kill -l KILL numbers it.
                out().println(a.chars().allMatch(Character::isDigit) ? Signals.name(n) : Integer.toString(n));
            }
        }
        out().flush();
        return 0;
    }
}
