package io.unum.controlplane.shm;

import io.unum.controlplane.error.UnumException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.stream.Collectors;

/**
 * Refuses to move a process that has cluster-wide segments mapped. CRIU cannot carry the preload
 * library's connections to its agent, and the mapping's pages belong to the node's copy, not to
 * the process: moving it needs the library to let go and attach again on the target, which is not
 * built yet. A clear 409 instead of a silent private copy.
 */
@ApplicationScoped
public class AttachedSegments {
    private final ShmSegments segments;

    public AttachedSegments(ShmSegments segments) {
        this.segments = segments;
    }

    public void refuseToMove(int gpid, String what) {
        var attached = segments.attachedBy(gpid);
        if (!attached.isEmpty()) {
            String ids = attached.stream().map(s -> Integer.toString(s.id())).collect(Collectors.joining(", "));
            throw UnumException.invalidState("process " + gpid + " has cluster-wide shared memory mapped (segment "
                    + ids + "); " + what + " a process attached to shared memory is not supported yet: "
                    + "detach first (shmdt / munmap), or stop it and start it again");
        }
    }
}
