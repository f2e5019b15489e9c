package io.unum.controlplane.checkpoint;

import java.util.Optional;

/**
 * What a checkpoint or a restart writes into the process's lock: the operation, the checkpoint's
 * id, the node a restart restores on, and the replica doing it, so that the leader can finish it
 * when that replica dies ({@link CheckpointRecovery}). For example "checkpoint c-1a2b3c4d by r-9f"
 * or "restart c-1a2b3c4d on node-2 by r-9f".
 */
record LockHolder(boolean restart, String id, String node, String replica) {
    private static final String BY = " by ";

    static String checkpoint(String id, String replica) {
        return "checkpoint " + id + BY + replica;
    }

    static String restart(String id, String node, String replica) {
        return "restart " + id + " on " + node + BY + replica;
    }

    /** The holder a checkpoint or a restart wrote; empty for any other (a migration's). */
    static Optional<LockHolder> parse(String holder) {
        String[] f = holder.split(" ");
        if (f.length == 4 && f[0].equals("checkpoint") && f[2].equals("by")) {
            return Optional.of(new LockHolder(false, f[1], null, f[3]));
        }
        if (f.length == 6 && f[0].equals("restart") && f[2].equals("on") && f[4].equals("by")) {
            return Optional.of(new LockHolder(true, f[1], f[3], f[5]));
        }
        return Optional.empty();
    }
}
