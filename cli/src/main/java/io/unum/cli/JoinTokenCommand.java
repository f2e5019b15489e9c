package io.unum.cli;

import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.NewJoinToken;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unum join-token}: the short-lived secrets new node agents join with, like
 * {@code kubeadm token}. Joined agents prove themselves with their certificates, never a token.
 */
@Command(name = "join-token",
        description = {
            "Manage join tokens (admin token only): the short-lived secrets a new node agent joins with",
            "(--join-token-file). A joined agent keeps its certificate and needs no token again."
        },
        subcommands = {JoinTokenCommand.Create.class, JoinTokenCommand.ListTokens.class, JoinTokenCommand.Delete.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum join-token create --ttl 30m > node-4.join-token && chmod 600 node-4.join-token",
            "  unum join-token list",
            "  unum join-token delete abc123"
        })
class JoinTokenCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code unum join-token create}: prints the secret alone on stdout; the id, expiry, the cluster
     * CA's hash and a join command on stderr (like {@code kubeadm token create --print-join-command},
     * but the token stays in a file, off the command line).
     */
    @Command(name = "create", description = {"Create a join token and print it (shown this once; the control plane keeps only its hash).",
        "Its id, expiry, the cluster CA's hash (the agent's --ca-cert-hash) and a join command go to stderr."})
    static class Create extends ClientCommand {
        @Option(names = "--ttl", paramLabel = "DURATION",
                description = "how long agents may join with it: 30m, 2h, 90s, up to 24h (default 1h)")
        String ttl;

        @Option(names = "--json", description = "print {\"id\", \"token\", \"expiresAt\", \"caCertHash\"} as JSON")
        boolean json;

        @Override
        protected int run() {
            Long seconds;
            try {
                seconds = ttl == null ? null : parseTtl(ttl).toSeconds();
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            NewJoinToken created = client().createJoinToken(seconds);
            if (json) {
                out().println(NodesCommand.toJson(created));
            } else {
                // The secret alone on stdout, so that `> file` captures exactly it.
                out().println(created.token());
                err().println("join token " + created.id() + " expires " + created.expiresAt());
                if (created.caCertHash() != null) {
                    // The hash is no secret: a new node checks the control plane with it before it sends the token.
                    err().println("cluster CA " + created.caCertHash());
                    err().println("join a node with: java -jar unum-agent.jar --name NODE --state-dir DIR "
                            + "--control-plane CONTROL_PLANE:9091 --join-token-file FILE --ca-cert-hash " + created.caCertHash());
                }
            }
            out().flush();
            err().flush();
            return 0;
        }
    }

    /** {@code unum join-token list}. */
    @Command(name = "list", description = "List the join tokens that can still be used: id, expiry, who created them (never the secrets).")
    static class ListTokens extends ClientCommand {
        @Option(names = "--json", description = "print them as a JSON array")
        boolean json;

        @Override
        protected int run() {
            List<JoinTokenInfo> tokens = client().joinTokens();
            if (json) {
                out().println(NodesCommand.toJson(tokens));
            } else {
                Table t = new Table("ID", "EXPIRES", "CREATED", "BY");
                for (JoinTokenInfo j : tokens) {
                    t.add(j.id(), String.valueOf(j.expiresAt()), String.valueOf(j.createdAt()), Format.orDash(j.createdBy()));
                }
                out().print(t.render());
            }
            out().flush();
            return 0;
        }
    }

    /** {@code unum join-token delete ID}. */
    @Command(name = "delete", description = "Delete a join token: no agent can join with it any more (joined agents are not affected).")
    static class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the token's id (`unum join-token list`)")
        String id;

        @Override
        protected int run() {
            client().deleteJoinToken(id);
            err().println("join token " + id + " deleted");
            err().flush();
            return 0;
        }
    }

    /** {@code 30m}, {@code 2h}, {@code 90s}, {@code 90} (seconds) or ISO {@code PT30M}. */
    static Duration parseTtl(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            char unit = s.charAt(s.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofSeconds(Long.parseLong(s));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--ttl '" + v + "' is not a duration (use e.g. 30m, 2h, 90s)");
        }
    }
}
