package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One entry of the cluster-wide process table: the record stored in etcd and the
 * REST representation. {@code cpuPercent} and {@code rssBytes} are live figures
 * from the node's heartbeats and are never stored.
 *
 * <p>Who it runs as: a named account ({@code user}; {@code uid} null, the node resolves the name)
 * or a dynamic identity allocated cluster-wide ({@code uid} and {@code gid}; {@code user} is then
 * the uid as text, as {@code ps} shows an id without a name). {@code group} names the shared group
 * whose gid it has, if any. The identity travels with the record through migration, checkpoint and
 * restart. {@code noNewPrivs}: PR_SET_NO_NEW_PRIVS is set (null in records older than the field).
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
        Long rssBytes,
        Integer uid,
        Integer gid,
        String group,
        Boolean noNewPrivs) {

    /** A record without an identity of its own: runs as user, as the node resolves it. */
    public ProcessInfo(int gpid, Integer parentGpid, String node, int localPid, List<String> argv, String cwd,
            String user, List<String> envNames, ProcessState state, Integer exitCode, Integer exitSignal, String reason,
            Capabilities capabilities, Instant createdAt, Instant startedAt, Instant endedAt, Double cpuPercent,
            Long rssBytes) {
        this(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, state, exitCode, exitSignal, reason,
                capabilities, createdAt, startedAt, endedAt, cpuPercent, rssBytes, null, null, null, null);
    }

    public ProcessInfo withState(ProcessState newState, String newReason) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, newState,
                exitCode, exitSignal, newReason, capabilities, createdAt, startedAt, endedAt, cpuPercent, rssBytes,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo running(int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, pid, argv, cwd, user, envNames, ProcessState.RUNNING,
                null, null, null, capabilities, createdAt, startedAt == null ? at : startedAt, null, null, null,
                uid, gid, group, noNewPrivs);
    }

    /** The same process, now running on another node (migrated) or again (restored from a checkpoint). */
    /**
     * The local pid and start time of a process whose exit was recorded before its start was
     * (a program that ends within the agent's answer): its state and exit stay as they are.
     */
    public ProcessInfo startedAs(int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, pid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, capabilities, createdAt, startedAt == null ? at : startedAt, endedAt,
                cpuPercent, rssBytes,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo runningOn(String newNode, int pid, Instant at) {
        return new ProcessInfo(gpid, parentGpid, newNode, pid, argv, cwd, user, envNames, ProcessState.RUNNING,
                null, null, null, capabilities, createdAt, startedAt == null ? at : startedAt, null, null, null,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo exited(Integer code, Integer signal, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, ProcessState.EXITED,
                code, signal, null, capabilities, createdAt, startedAt, at, null, null,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo failed(String why, Instant at) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, ProcessState.FAILED,
                null, null, why, capabilities, createdAt, startedAt, at, null, null,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo withCapabilities(Capabilities caps) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, caps, createdAt, startedAt, endedAt, cpuPercent, rssBytes,
                uid, gid, group, noNewPrivs);
    }

    public ProcessInfo withUsage(Double cpu, Long rss) {
        return new ProcessInfo(gpid, parentGpid, node, localPid, argv, cwd, user, envNames, state,
                exitCode, exitSignal, reason, capabilities, createdAt, startedAt, endedAt, cpu, rss,
                uid, gid, group, noNewPrivs);
    }
}
