package io.unum.api.model;

/**
 * Body of {@code POST /api/v1/processes/{gpid}/migrate}.
 *
 * @param node the node to move the process to
 */
public record MigrateRequest(String node) {
}
