package io.unum.cli;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum run}: start a process somewhere in the cluster and print its gpid. */
@Command(name = "run",
        modelTransformer = ParserSettings.StopAtPositional.class,
        description = {
            "Start a process on the cluster and print its gpid alone on stdout.",
            "ARGV is executed directly (never through a shell); everything from the first",
            "argument on belongs to it, so '--' is only needed when it starts with '-'."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  gpid=$(unum run -- sleep 600)",
            "  unum run --node n2 --cap +CAN_MIGRATE -e MODE=fast -- ./worker --threads 4",
            "  unum run --constraint zone=b --constraint disk=ssd -- ./db",
            "  unum run --follow -- sh -c 'echo out; echo err >&2'",
            "  unum run --parent 42 --cwd /tmp -- make -j8",
            "  unum run --group etl -- ./loader   (shares files with other processes of group etl)"
        })
class RunCommand extends ClientCommand {

    @Option(names = "--node", paramLabel = "NODE", description = "node to run on (default: placement picks)")
    String node;

    @Option(names = "--cap", paramLabel = "CAPS",
            description = "krgcapset changes to the effective set, e.g. +CAN_MIGRATE,+CHECKPOINTABLE")
    String capabilities;

    @Option(names = "--parent", paramLabel = "GPID",
            description = "parent process, whose capabilities and identity (uid, gid, group) it inherits")
    Integer parent;

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory")
    String cwd;

    @Option(names = "--user", paramLabel = "USER",
            description = "Unix account to run as, e.g. root (default: a dynamic uid of the process tree's own)")
    String user;

    @Option(names = "--group", paramLabel = "NAME",
            description = "shared group: processes naming it get uids of their own and the group's gid")
    String group;

    @Option(names = "--allow-new-privs", description = "do not set PR_SET_NO_NEW_PRIVS: setuid binaries elevate")
    boolean allowNewPrivs;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "set an environment variable (repeatable)")
    List<String> env = new ArrayList<>();

    @Option(names = {"-c", "--constraint"}, paramLabel = "KEY=VALUE",
            description = "run only on a node with this label (repeatable; see 'unum policy' for the nodes' labels)")
    List<String> constraints = new ArrayList<>();

    @Option(names = {"-f", "--follow"}, description = "after printing the gpid, print its output until it ends")
    boolean follow;

    @Parameters(paramLabel = "ARGV", arity = "0..*", description = "program and arguments")
    List<String> argv = new ArrayList<>();

    @Override
    protected int run() {
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw usage("nothing to run: give the program and its arguments, e.g. unum run -- sleep 10");
        }
        Map<String, String> environment = parsePairs(env, "-e");
        Map<String, String> labels = parsePairs(constraints, "--constraint");
        ProcessInfo p = client().spawn(new SpawnRequest(List.copyOf(argv), node, parent, cwd, user,
                environment.isEmpty() ? null : environment, capabilities, labels.isEmpty() ? null : labels, group,
                allowNewPrivs ? Boolean.FALSE : null));
        out().println(p.gpid());
        out().flush();
        if (follow) {
            LogsCommand.copy(this, client(), p.gpid(), true);
        }
        return 0;
    }

    /** NAME=VALUE pairs in order; a missing '=' or an empty name is a usage error. */
    private Map<String, String> parsePairs(List<String> pairs, String option) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (eq <= 0) {
                throw usage("invalid " + option + " '" + pair + "': expected NAME=VALUE");
            }
            result.put(name, pair.substring(eq + 1));
        }
        return result;
    }
}
