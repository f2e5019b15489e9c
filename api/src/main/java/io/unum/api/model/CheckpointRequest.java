package io.unum.api.model;

/**
 * Body of {@code POST /api/v1/processes/{gpid}/checkpoints}; may be empty.
 *
 * @param kill stop the process once it is checkpointed (default: it keeps running)
 */
public record CheckpointRequest(Boolean kill) {
}
