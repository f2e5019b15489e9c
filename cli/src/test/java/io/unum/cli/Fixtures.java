package io.unum.cli;

import io.unum.api.model.Capabilities;
import io.unum.api.model.Capability;
import io.unum.api.model.CapabilitySet;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.util.List;

/** Model objects for tests. */
final class Fixtures {
    private Fixtures() {
    }

    static ProcessInfo process(int gpid, ProcessState state, Double cpu, String... argv) {
        Instant t = Instant.parse("2025-01-02T03:04:05Z");
        return new ProcessInfo(gpid, null, "n1", 1000 + gpid, List.of(argv), "/", "nobody", List.of(), state,
                state == ProcessState.EXITED ? 3 : null, null, null, caps(), t, t,
                state.isTerminal() ? t : null, cpu, state == ProcessState.RUNNING ? 1L << 20 : null);
    }

    static Capabilities caps() {
        CapabilitySet all = CapabilitySet.of(Capability.CAN_MIGRATE, Capability.CHECKPOINTABLE);
        return new Capabilities(CapabilitySet.of(Capability.CAN_MIGRATE), all, CapabilitySet.NONE, all);
    }
}
