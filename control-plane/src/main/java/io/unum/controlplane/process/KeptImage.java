package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;

/**
 * A LOST process whose only copy is an image kept on a node as a checkpoint (a migration that
 * could neither finish nor roll back). Its reason says so; the registration reconcile leaves it
 * LOST (its agent no longer supervises it, by design) and a restart from that checkpoint is allowed.
 */
public final class KeptImage {
    private static final String MARK = " as checkpoint ";

    private KeptImage() {
    }

    /** The reason of the LOST mark, naming where the image is and how to bring it back. */
    public static String reason(String why, String node, String checkpointId) {
        return why + "; its image is kept on " + node + MARK + checkpointId + " ('unum restart " + checkpointId
                + "' brings it back)";
    }

    /** The reason once the node said the image is not there after all: no restart is promised. */
    public static String gone(String reason, String node, String checkpointId) {
        String why = reason.contains(MARK) ? reason.substring(0, reason.lastIndexOf("; its image is kept on ")) : reason;
        return why + "; its image was to be kept on " + node + ", but " + node + " came back without it or the process "
                + "(a post-copy source that had sent every page keeps none): no copy is known";
    }

    /** Whether the record is LOST into a kept image (any, or the given checkpoint when not null). */
    public static boolean lostInto(ProcessInfo p, String checkpointId) {
        return p.state() == ProcessState.LOST && p.reason() != null
                && p.reason().contains(checkpointId == null ? MARK : MARK + checkpointId + " ");
    }
}
