package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One entry of the cluster-wide process table: the record stored in etcd and the
 * REST representation. {@code cpuPercent} and {@code rssBytes} are live figures
 * from the node's heartbeats and are never stored.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProcessInfo(
        @Schema(required = true) int gpid,
        Integer parentGpid,
        String node,
        @Schema(required = true) int localPid,
        @Schema(required = true) List<String> argv,
        String cwd,
        String user,
        List<String> envNames,
        @Schema(required = true) ProcessState state,
        Integer exitCode,
        Integer exitSignal,
        String reason,
        @Schema(required = true) Capabilities capabilities,
        Instant createdAt,
        Instant startedAt,
        Instant endedAt,
        Double cpuPercent,
        Long rssBytes) {

    public ProcessInfo withState(ProcessState newState, String newReason) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, newState,
                exitCode, exitSignal, newReason, capabilities, createdAt, startedAt, endedAt, cpuPercent, rssBytes);
    }

    public ProcessInfo running(int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, pid, argv, cwd, user, envNames, ProcessState.RUNNING,
                null, null, null, capabilities, createdAt, startedAt == null ? at : startedAt, null, null, null);
    }

    /** The same process, now running on another node (migrated) or again (restored from a checkpoint). */
    /**
     * The local pid and start time of a process whose exit was recorded before its start was
     * (a program that ends within the agent's answer): its state and exit stay as they are.
     */
    public ProcessInfo startedAs(int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, pid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, capabilities, createdAt, startedAt == null ? at : startedAt, endedAt,
                cpuPercent, rssBytes);
    }

    public ProcessInfo runningOn(String newNode, int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, newNode, pid, argv, cwd, user, envNames, ProcessState.RUNNING,
                null, null, null, capabilities, createdAt, startedAt == null ? at : startedAt, null, null, null);
    }

    public ProcessInfo exited(Integer code, Integer signal, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, ProcessState.EXITED,
                code, signal, null, capabilities, createdAt, startedAt, at, null, null);
    }

    public ProcessInfo failed(String why, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, ProcessState.FAILED,
                null, null, why, capabilities, createdAt, startedAt, at, null, null);
    }

    public ProcessInfo withCapabilities(Capabilities caps) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, caps, createdAt, startedAt, endedAt, cpuPercent, rssBytes);
    }

    public ProcessInfo withUsage(Double cpu, Long rss) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, capabilities, createdAt, startedAt, endedAt, cpu, rss);
    }
}
