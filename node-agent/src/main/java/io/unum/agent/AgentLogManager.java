package io.unum.agent;

import java.util.logging.LogManager;

/**
 * The JDK's LogManager closes all handlers in its own shutdown hook, which races with the
 * agent's shutdown hook and swallows its last log lines. This one keeps handlers open; stderr
 * needs no closing.
 */
public final class AgentLogManager extends LogManager {

    @Override
    public void reset() {
        // intentionally empty: see class comment
    }
}
