package io.unum.cli;

import io.unum.client.UnumClient;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code unum}: the top-level command; only holds the connection options and prints usage. */
@Command(name = "unum",
        mixinStandardHelpOptions = true,
        versionProvider = UnumCommand.Version.class,
        description = "Drive an Unum cluster: one machine made of many. Every process has a cluster-wide gpid.",
        subcommands = {
            NodesCommand.class, RunCommand.class, PsCommand.class, TopCommand.class,
            KillCommand.class, LogsCommand.class, CapsCommand.class, MigrateCommand.class, CheckpointCommand.class,
            CheckpointsCommand.class, RestartCommand.class, PolicyCommand.class, EventsCommand.class, AuditCommand.class,
            JoinTokenCommand.class, IpcsCommand.class, IpcrmCommand.class, FsCommand.class, CompletionCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum nodes                          list the machines of the cluster",
            "  gpid=$(unum run -- sleep 60)        start a process, keep its gpid",
            "  unum ps -a                          all processes, ended ones too",
            "  unum logs -f $gpid                  follow its output",
            "  unum kill -9 $gpid                  kill it",
            "  unum migrate $gpid node-2           move it, live, to node-2",
            "  unum policy set --balancing mosix   balance CAN_MIGRATE processes across nodes",
            "  unum events -f                      watch placement and migration decisions",
            "  unum fs put data.csv /data/         copy a file into the cluster file system",
            "  UNUM_URL=http://cp:8080 UNUM_TOKEN=$T unum ps",
            "",
            "Configuration: --url/--token/--ca-file, else env UNUM_URL/UNUM_TOKEN/UNUM_CA_FILE, else",
            "$${XDG_CONFIG_HOME:-~/.config}/unum/cli.properties (keys url, token, ca-file; 0600; written by",
            "'bin/unum-dev up'), else http://127.0.0.1:8080. Prefer the environment or the file to",
            "--token: a command line is visible to every user of the host (ps, /proc/PID/cmdline).",
            "Exit status: 0 ok, 1 the command failed, 2 usage error."
        })
public class UnumCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "control plane base URL (env UNUM_URL)")
    String url;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
            description = "bearer token; prefer env UNUM_TOKEN or the config file, a command line is visible to other users")
    String token;

    @Option(names = "--ca-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "PEM CA certificate(s) to check an https:// control plane against (env UNUM_CA_FILE)")
    String caFile;

    private final Map<String, String> env;
    private final Path configFile;
    private final OutputStream rawOut;
    private final OutputStream rawErr;

    /** The real command: the process's environment, the user's config file, System.out/err. */
    public UnumCommand() {
        this(System.getenv(), CliConfig.defaultConfigFile(System.getenv()), System.out, System.err);
    }

    /**
     * A command with an injected environment and config file (which may not exist), and the byte
     * streams that {@code logs} writes process output to; tests pass their own.
     */
    public UnumCommand(Map<String, String> env, Path configFile, OutputStream rawOut, OutputStream rawErr) {
        this.env = Map.copyOf(env);
        this.configFile = configFile;
        this.rawOut = rawOut;
        this.rawErr = rawErr;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new UnumCommand()).execute(args));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /** The resolved configuration; throws IllegalArgumentException for a malformed URL. */
    CliConfig config() {
        return CliConfig.resolve(url, token, caFile, env, configFile);
    }

    UnumClient client() {
        CliConfig c = config();
        return c.caFile() != null ? new UnumClient(c.url(), c.token(), c.caFile()) : new UnumClient(c.url(), c.token());
    }

    /** An environment variable of the injected environment (COLUMNS, LINES). */
    String env(String name) {
        return env.get(name);
    }

    OutputStream rawOut() {
        return rawOut;
    }

    OutputStream rawErr() {
        return rawErr;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = UnumCommand.class.getPackage().getImplementationVersion();
            return new String[] {"unum " + (v == null ? "(development build)" : v)};
        }
    }
}
