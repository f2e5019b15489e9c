package io.unum.api.model;

import java.util.List;
import java.util.Map;

/**
 * Body of {@code POST /api/v1/processes}.
 *
 * @param argv program and arguments; never run through a shell
 * @param node node to run on; null lets placement pick
 * @param parentGpid parent process, whose capabilities the new process inherits
 * @param cwd working directory; null for the cluster default
 * @param user Unix user; null for the unprivileged default (another user needs the admin role)
 * @param env environment variables; their values are never listed back
 * @param capabilities krgcapset syntax applied to the effective set, e.g. "+CAN_MIGRATE"
 * @param constraints node labels the chosen node must have, e.g. {"zone": "a"}; null or empty: any node
 */
public record SpawnRequest(
        List<String> argv,
        String node,
        Integer parentGpid,
        String cwd,
        String user,
        Map<String, String> env,
        String capabilities,
        Map<String, String> constraints) {

    /** A request without constraints. */
    public SpawnRequest(List<String> argv, String node, Integer parentGpid, String cwd, String user,
            Map<String, String> env, String capabilities) {
        this(argv, node, parentGpid, cwd, user, env, capabilities, null);
    }
}
