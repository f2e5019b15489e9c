package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code GET /api/v1/session}: what the presented token may do.
 *
 * @param role "admin" (read and change) or "viewer" (read only)
 */
public record SessionInfo(@Schema(required = true, enumeration = {"admin", "viewer"}) String role) {
}
