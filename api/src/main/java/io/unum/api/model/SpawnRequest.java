package io.unum.api.model;

import java.util.List;
import java.util.Map;

/**
 * Body of {@code POST /api/v1/processes}.
 *
 * @param argv program and arguments; never run through a shell
 * @param node node to run on; null lets placement pick
 * @param parentGpid parent process, whose capabilities and identity (uid, gid, group) the new process takes
 * @param cwd working directory; null for the cluster default
 * @param user a Unix account to run as (e.g. "root"); null: a dynamic uid of the process tree's own
 * @param env environment variables; their values are never listed back
 * @param capabilities krgcapset syntax applied to the effective set, e.g. "+CAN_MIGRATE"
 * @param constraints node labels the chosen node must have, e.g. {"zone": "a"}; null or empty: any node
 * @param group a named group shared cluster-wide: processes naming it run as uids of their own with the
 *        group's gid, so they can share files (not with user)
 * @param noNewPrivs false runs the process without PR_SET_NO_NEW_PRIVS, so setuid binaries elevate;
 *        null or true: set (the default)
 */
public record SpawnRequest(
        List<String> argv,
        String node,
        Integer parentGpid,
        String cwd,
        String user,
        Map<String, String> env,
        String capabilities,
        Map<String, String> constraints,
        String group,
        Boolean noNewPrivs) {

    /** A request without constraints. */
    public SpawnRequest(List<String> argv, String node, Integer parentGpid, String cwd, String user,
            Map<String, String> env, String capabilities) {
        this(argv, node, parentGpid, cwd, user, env, capabilities, null);
    }

    /** A request with the default identity rules: a tree's own uid, no new privileges. */
    public SpawnRequest(List<String> argv, String node, Integer parentGpid, String cwd, String user,
            Map<String, String> env, String capabilities, Map<String, String> constraints) {
        this(argv, node, parentGpid, cwd, user, env, capabilities, constraints, null, null);
    }
}
