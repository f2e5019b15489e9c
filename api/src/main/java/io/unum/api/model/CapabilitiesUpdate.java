package io.unum.api.model;

/**
 * Body of {@code PATCH /api/v1/processes/{gpid}/capabilities}: krgcapset changes per set
 * (null or empty leaves a set as it is).
 *
 * @param force admin override that may raise permitted bits
 */
public record CapabilitiesUpdate(
        String effective,
        String permitted,
        String inheritableEffective,
        String inheritablePermitted,
        Boolean force) {
}
