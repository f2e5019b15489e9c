package io.unum.api.model;

/**
 * Which control-plane replica answered and whether it runs the controllers (balancer, failure
 * detector): {@code GET /api/v1/scheduler/status}.
 *
 * @param replica the name this replica gives itself in scheduler events
 */
public record SchedulerStatus(String replica, boolean leader) {
}
