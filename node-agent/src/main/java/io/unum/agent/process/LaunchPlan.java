package io.unum.agent.process;

import java.util.List;
import java.util.Map;

/** A validated {@link StartSpec}: what the shim will run, with cwd, user and env resolved. */
record LaunchPlan(List<String> argv, String cwd, String user, Map<String, String> env) {
}
