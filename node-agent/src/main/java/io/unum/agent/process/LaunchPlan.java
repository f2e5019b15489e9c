package io.unum.agent.process;

import java.util.List;
import java.util.Map;

/**
 * A validated {@link StartSpec}: what the shim will run, with cwd, user and env resolved. user is
 * an account name, or empty with uid &gt; 0 for a dynamic identity, or empty with uid 0 for the
 * agent's own user.
 */
record LaunchPlan(List<String> argv, String cwd, String user, int uid, int gid, boolean noNewPrivs,
        Map<String, String> env) {
}
