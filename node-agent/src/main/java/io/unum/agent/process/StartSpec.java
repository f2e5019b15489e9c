package io.unum.agent.process;

import java.util.List;
import java.util.Map;

/**
 * What to start. An empty cwd means the user's home directory (or "/"), an empty user means
 * the agent's own user. argv is executed directly, never through a shell.
 */
public record StartSpec(int gpid, List<String> argv, String cwd, String user, Map<String, String> env) {

    public StartSpec {
        argv = List.copyOf(argv);
        cwd = cwd == null ? "" : cwd;
        user = user == null ? "" : user;
        env = Map.copyOf(env);
    }

    public static StartSpec of(int gpid, String... argv) {
        return new StartSpec(gpid, List.of(argv), "", "", Map.of());
    }

    public StartSpec withCwd(String newCwd) {
        return new StartSpec(gpid, argv, newCwd, user, env);
    }

    public StartSpec withUser(String newUser) {
        return new StartSpec(gpid, argv, cwd, newUser, env);
    }

    public StartSpec withEnv(Map<String, String> newEnv) {
        return new StartSpec(gpid, argv, cwd, user, newEnv);
    }
}
