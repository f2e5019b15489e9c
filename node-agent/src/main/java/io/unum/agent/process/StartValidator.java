package io.unum.agent.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a start request before anything is forked or written, so a typo gets a message that
 * says what to fix instead of a process that fails. Checks are done as the agent sees the
 * machine; what only exec can tell (e.g. the target user may not execute the file) still
 * surfaces later as an exec error.
 */
final class StartValidator {

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final UserLookup users;
    private final boolean canSwitchUser;
    private final String agentUser;

    StartValidator(UserLookup users, boolean canSwitchUser, String agentUser) {
        this.users = users;
        this.canSwitchUser = canSwitchUser;
        this.agentUser = agentUser;
    }

    LaunchPlan validate(StartSpec spec) throws SupervisionException {
        if (spec.argv().isEmpty() || spec.argv().get(0).isEmpty()) {
            throw SupervisionException.invalid("argv must not be empty");
        }
        for (String a : spec.argv()) {
            rejectNul("argv", a);
        }
        for (Map.Entry<String, String> e : spec.env().entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().contains("=")) {
                throw SupervisionException.invalid("environment variable name '" + e.getKey() + "' is not valid");
            }
            rejectNul("env", e.getKey());
            rejectNul("env", e.getValue());
        }

        // The agent's own account may be missing from passwd (e.g. an arbitrary uid in a
        // container); that must not stop it from running programs as itself.
        UserLookup.Account self = users.find(agentUser).orElse(
                new UserLookup.Account(agentUser, -1, -1, System.getProperty("user.home", "/")));
        UserLookup.Account account = account(spec, self);
        // Without root the shim cannot switch users: the program runs as the agent's user.
        UserLookup.Account runAs = canSwitchUser ? account : self;
        boolean dynamic = canSwitchUser && spec.uid() != 0;

        String cwd = spec.cwd();
        if (cwd.isEmpty()) {
            cwd = !runAs.home().isEmpty() && Files.isDirectory(Path.of(runAs.home())) ? runAs.home() : "/";
        }
        rejectNul("cwd", cwd);
        Path cwdPath = Path.of(cwd);
        if (!cwdPath.isAbsolute()) {
            throw SupervisionException.invalid("cwd " + cwd + " must be an absolute path");
        }
        if (!Files.exists(cwdPath)) {
            throw SupervisionException.invalid("cwd " + cwd + " does not exist");
        }
        if (!Files.isDirectory(cwdPath)) {
            throw SupervisionException.invalid("cwd " + cwd + " is not a directory");
        }

        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOME", runAs.home().isEmpty() ? "/" : runAs.home());
        env.put("USER", runAs.name());
        env.put("LOGNAME", runAs.name());
        env.putAll(spec.env());

        resolveBinary(spec.argv().get(0), cwdPath, env.get("PATH"));
        return new LaunchPlan(spec.argv(), cwd, canSwitchUser && !spec.user().isEmpty() ? account.name() : "",
                dynamic ? spec.uid() : 0, dynamic ? spec.gid() : 0, !spec.allowNewPrivs(), env);
    }

    /**
     * The account the spec names. A dynamic identity has no passwd entry: its name is its uid and
     * its home /tmp (shared, but sticky, and the shim's umask keeps others out of what it creates).
     */
    private UserLookup.Account account(StartSpec spec, UserLookup.Account self) throws SupervisionException {
        if (spec.uid() != 0) {
            if (!spec.user().isEmpty()) {
                throw SupervisionException.invalid("user '" + spec.user() + "' and uid " + Integer.toUnsignedString(spec.uid())
                        + " are exclusive");
            }
            if (spec.uid() < 0 || spec.gid() <= 0) {
                throw SupervisionException.invalid("uid " + Integer.toUnsignedString(spec.uid()) + " and gid "
                        + Integer.toUnsignedString(spec.gid()) + " must be positive 31-bit numbers");
            }
            return new UserLookup.Account(Integer.toString(spec.uid()), spec.uid(), spec.gid(), "/tmp");
        }
        return spec.user().isEmpty() ? self : users.find(spec.user()).orElseThrow(
                () -> SupervisionException.invalid("user '" + spec.user() + "' does not exist"));
    }

    /** Mirrors execvp: a name with '/' is a path (relative to cwd), otherwise PATH is searched. */
    private static void resolveBinary(String argv0, Path cwd, String path) throws SupervisionException {
        if (argv0.contains("/")) {
            Path p = cwd.resolve(argv0);
            if (!Files.exists(p)) {
                throw SupervisionException.invalid("binary " + argv0 + " does not exist");
            }
            if (Files.isDirectory(p)) {
                throw SupervisionException.invalid("binary " + argv0 + " is a directory");
            }
            if (!Files.isExecutable(p)) {
                throw SupervisionException.invalid("binary " + argv0 + " is not executable");
            }
            return;
        }
        Optional<Path> found = Optional.empty();
        for (String dir : path.split(":", -1)) {
            Path candidate = (dir.isEmpty() ? cwd : cwd.resolve(dir)).resolve(argv0);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                found = Optional.of(candidate);
                break;
            }
        }
        if (found.isEmpty()) {
            throw SupervisionException.invalid("binary '" + argv0 + "' not found on PATH " + path);
        }
    }

    private static void rejectNul(String what, String value) throws SupervisionException {
        if (value.indexOf('\0') >= 0) {
            throw SupervisionException.invalid(what + " must not contain NUL characters");
        }
    }
}
