package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One event of {@code GET /api/v1/processes/events} (server-sent events, JSON data). A stream
 * starts with one {@link Type#SNAPSHOT} and then carries only what changed.
 *
 * @param type what the event says
 * @param at the control plane's clock when it was sent (for uptimes without clock skew)
 * @param processes SNAPSHOT: every process; UPSERT: the records that changed
 * @param gpids REMOVE: the gpids whose records are gone
 * @param usage TICK: live CPU/RSS of running processes whose figures changed since the last event
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProcessEvent(
        @Schema(required = true) Type type,
        @Schema(required = true) Instant at,
        List<ProcessInfo> processes,
        List<Integer> gpids,
        Map<Integer, Usage> usage) {

    @Schema(name = "ProcessEventType")
    public enum Type {
        /** Every process; replaces whatever the client held. */
        SNAPSHOT,
        /** Records created or changed. */
        UPSERT,
        /** Records deleted (ended processes collected). */
        REMOVE,
        /** About once a second: the clock, and the usage figures that changed. */
        TICK
    }

    /** CPU (percent of one core) and resident memory of a running process. */
    public record Usage(@Schema(required = true) double cpuPercent, @Schema(required = true) long rssBytes) {
    }

    public static ProcessEvent snapshot(Instant at, List<ProcessInfo> processes) {
        return new ProcessEvent(Type.SNAPSHOT, at, processes, null, null);
    }

    public static ProcessEvent upsert(Instant at, ProcessInfo process) {
        return new ProcessEvent(Type.UPSERT, at, List.of(process), null, null);
    }

    public static ProcessEvent remove(Instant at, int gpid) {
        return new ProcessEvent(Type.REMOVE, at, null, List.of(gpid), null);
    }

    public static ProcessEvent tick(Instant at, Map<Integer, Usage> usage) {
        return new ProcessEvent(Type.TICK, at, null, null, usage);
    }
}
