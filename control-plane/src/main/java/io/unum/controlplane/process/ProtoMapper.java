package io.unum.controlplane.process;

import com.google.protobuf.Timestamp;
import io.unum.api.grpc.CapabilitySets;
import io.unum.api.grpc.Process;
import io.unum.api.model.Capabilities;
import io.unum.api.model.Capability;
import io.unum.api.model.CapabilitySet;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;

/** The shared model to and from the unum.v1 protobuf messages. */
public final class ProtoMapper {
    private ProtoMapper() {
    }

    public static Process toProto(ProcessInfo p) {
        Process.Builder b = Process.newBuilder()
                .setGpid(p.gpid())
                .setParentGpid(p.parentGpid() == null ? 0 : p.parentGpid())
                .setNode(nullToEmpty(p.node()))
                .setLocalPid(p.localPid())
                .addAllArgv(p.argv())
                .setCwd(nullToEmpty(p.cwd()))
                .setUser(nullToEmpty(p.user()))
                .addAllEnvNames(p.envNames() == null ? java.util.List.of() : p.envNames())
                .setState(toProto(p.state()))
                .setReason(nullToEmpty(p.reason()))
                .setCapabilities(toProto(p.capabilities()))
                .setCpuPercent(p.cpuPercent() == null ? 0 : p.cpuPercent())
                .setRssBytes(p.rssBytes() == null ? 0 : p.rssBytes())
                .setGroup(nullToEmpty(p.group()))
                .setNoNewPrivs(Boolean.TRUE.equals(p.noNewPrivs()));
        if (p.uid() != null) {
            b.setUid(p.uid()).setGid(p.gid());
        }
        if (p.exitCode() != null) {
            b.setExitCode(p.exitCode());
        }
        if (p.exitSignal() != null) {
            b.setExitSignal(p.exitSignal());
        }
        if (p.createdAt() != null) {
            b.setCreatedAt(timestamp(p.createdAt()));
        }
        if (p.startedAt() != null) {
            b.setStartedAt(timestamp(p.startedAt()));
        }
        if (p.endedAt() != null) {
            b.setEndedAt(timestamp(p.endedAt()));
        }
        return b.build();
    }

    public static CapabilitySets toProto(Capabilities c) {
        return CapabilitySets.newBuilder()
                .addAllEffective(toProto(c.effective()))
                .addAllPermitted(toProto(c.permitted()))
                .addAllInheritableEffective(toProto(c.inheritableEffective()))
                .addAllInheritablePermitted(toProto(c.inheritablePermitted()))
                .build();
    }

    private static Iterable<io.unum.api.grpc.Capability> toProto(CapabilitySet set) {
        return set.toList().stream().map(ProtoMapper::toProto).toList();
    }

    private static io.unum.api.grpc.Capability toProto(Capability c) {
        return switch (c) {
            case CAN_MIGRATE -> io.unum.api.grpc.Capability.CAPABILITY_CAN_MIGRATE;
            case DISTANT_FORK -> io.unum.api.grpc.Capability.CAPABILITY_DISTANT_FORK;
            case CHECKPOINTABLE -> io.unum.api.grpc.Capability.CAPABILITY_CHECKPOINTABLE;
            case USE_REMOTE_MEMORY -> io.unum.api.grpc.Capability.CAPABILITY_USE_REMOTE_MEMORY;
            case CHANGE_CAPS -> io.unum.api.grpc.Capability.CAPABILITY_CHANGE_CAPS;
        };
    }

    public static io.unum.api.grpc.ProcessState toProto(ProcessState s) {
        return switch (s) {
            case PENDING -> io.unum.api.grpc.ProcessState.PROCESS_STATE_PENDING;
            case RUNNING -> io.unum.api.grpc.ProcessState.PROCESS_STATE_RUNNING;
            case EXITED -> io.unum.api.grpc.ProcessState.PROCESS_STATE_EXITED;
            case FAILED -> io.unum.api.grpc.ProcessState.PROCESS_STATE_FAILED;
            case LOST -> io.unum.api.grpc.ProcessState.PROCESS_STATE_LOST;
        };
    }

    /** Empty for UNSPECIFIED (no filter). */
    public static java.util.Optional<ProcessState> fromProto(io.unum.api.grpc.ProcessState s) {
        return switch (s) {
            case PROCESS_STATE_PENDING -> java.util.Optional.of(ProcessState.PENDING);
            case PROCESS_STATE_RUNNING -> java.util.Optional.of(ProcessState.RUNNING);
            case PROCESS_STATE_EXITED -> java.util.Optional.of(ProcessState.EXITED);
            case PROCESS_STATE_FAILED -> java.util.Optional.of(ProcessState.FAILED);
            case PROCESS_STATE_LOST -> java.util.Optional.of(ProcessState.LOST);
            case PROCESS_STATE_UNSPECIFIED, UNRECOGNIZED -> java.util.Optional.empty();
        };
    }

    public static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    public static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    public static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
