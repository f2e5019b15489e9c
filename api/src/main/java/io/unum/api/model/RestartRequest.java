package io.unum.api.model;

/**
 * Body of {@code POST /api/v1/checkpoints/{id}/restart}; may be empty.
 *
 * @param node the node to restart on; null lets placement pick
 */
public record RestartRequest(String node) {
}
