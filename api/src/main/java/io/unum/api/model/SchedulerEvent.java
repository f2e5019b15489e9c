package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One decision of the scheduler, with its reason: an event of {@code GET /api/v1/scheduler/events}
 * (server-sent events, JSON data) and {@code unum events}.
 *
 * @param id orders events: the time in milliseconds, then the replica and a counter
 * @param replica the control-plane replica that decided
 * @param gpid the process concerned; null for policy changes and refused placements
 * @param fromNode MIGRATION*: where the process ran
 * @param toNode PLACED: where it was placed; MIGRATION*: where it goes
 * @param policy the policy that decided ("least-loaded", "mosix", "--node" ...)
 * @param reason why, in words and figures
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SchedulerEvent(
        @Schema(required = true) String id,
        @Schema(required = true) Instant at,
        @Schema(required = true) Type type,
        String replica,
        Integer gpid,
        String fromNode,
        String toNode,
        String policy,
        String reason) {

    @Schema(name = "SchedulerEventType")
    public enum Type {
        /** A new process was given a node. */
        PLACED,
        /** No node could take a new process; nothing was started. */
        PLACEMENT_REFUSED,
        /** The balancer decided to move a process and asked for the migration. */
        MIGRATION_STARTED,
        /** The migration finished: the process runs on toNode. */
        MIGRATED,
        /** The migration was refused or failed: the process stays on fromNode. */
        MIGRATION_FAILED,
        /** An admin changed the policy. */
        POLICY_CHANGED,
        /** The file system's repair found chunks below their goal and began copying them. */
        FS_REPAIR_STARTED,
        /** Every chunk of the file system is back at its goal. */
        FS_REPAIR_DONE
    }
}
