package io.unum.agent.process;

import java.util.List;
import java.util.Map;

/**
 * What to start. An empty cwd means the user's home directory (or "/"), an empty user means
 * the agent's own user, unless uid names a dynamic identity (uid:gid without a passwd entry,
 * which the control plane allocated). argv is executed directly, never through a shell.
 * PR_SET_NO_NEW_PRIVS is set before exec unless allowNewPrivs.
 */
public record StartSpec(int gpid, List<String> argv, String cwd, String user, Map<String, String> env,
        int uid, int gid, boolean allowNewPrivs) {

    public StartSpec {
        argv = List.copyOf(argv);
        cwd = cwd == null ? "" : cwd;
        user = user == null ? "" : user;
        env = Map.copyOf(env);
    }

    /** A start as a named account (or the agent's own user), without new privileges. */
    public StartSpec(int gpid, List<String> argv, String cwd, String user, Map<String, String> env) {
        this(gpid, argv, cwd, user, env, 0, 0, false);
    }

    public static StartSpec of(int gpid, String... argv) {
        return new StartSpec(gpid, List.of(argv), "", "", Map.of());
    }

    public StartSpec withCwd(String newCwd) {
        return new StartSpec(gpid, argv, newCwd, user, env, uid, gid, allowNewPrivs);
    }

    public StartSpec withUser(String newUser) {
        return new StartSpec(gpid, argv, cwd, newUser, env, uid, gid, allowNewPrivs);
    }

    public StartSpec withEnv(Map<String, String> newEnv) {
        return new StartSpec(gpid, argv, cwd, user, newEnv, uid, gid, allowNewPrivs);
    }

    /** Runs as the dynamic identity uid:gid instead of a named account. */
    public StartSpec withIdentity(int newUid, int newGid) {
        return new StartSpec(gpid, argv, cwd, "", env, newUid, newGid, allowNewPrivs);
    }

    public StartSpec withNewPrivs(boolean allow) {
        return new StartSpec(gpid, argv, cwd, user, env, uid, gid, allow);
    }
}
