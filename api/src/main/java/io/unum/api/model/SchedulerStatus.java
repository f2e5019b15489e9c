package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Which control-plane replica answered and whether it runs the controllers (balancer, failure
 * detector): {@code GET /api/v1/scheduler/status}.
 *
 * @param replica the name this replica gives itself in scheduler events
 */
public record SchedulerStatus(@Schema(required = true) String replica, @Schema(required = true) boolean leader) {
}
