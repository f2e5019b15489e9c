package io.unum.api.model;

/**
 * Body of {@code POST /api/v1/processes/{gpid}/migrate}.
 *
 * @param node the node to move the process to
 * @param mode STOP_AND_COPY (default) or POST_COPY
 */
public record MigrateRequest(String node, MigrationMode mode) {

    public MigrateRequest(String node) {
        this(node, null);
    }
}
