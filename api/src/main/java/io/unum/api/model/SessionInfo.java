package io.unum.api.model;

/**
 * Body of {@code GET /api/v1/session}: what the presented token may do.
 *
 * @param role "admin" (read and change) or "viewer" (read only)
 */
public record SessionInfo(String role) {
}
