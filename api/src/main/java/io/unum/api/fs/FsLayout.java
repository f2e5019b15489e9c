package io.unum.api.fs;

/** What the control plane, the agents and the tools must agree on about the tree's data. */
public final class FsLayout {

    /**
     * Bytes per chunk. A changed chunk is written whole as a new block, so this trades metadata per
     * file (a 1 GiB file has 256 chunk records) against the bytes rewritten for a small change.
     */
    public static final int CHUNK_SIZE = 4 * 1024 * 1024;

    /** Where agents mount the tree unless told otherwise. */
    public static final String DEFAULT_MOUNT_POINT = "/unum/fs";

    /**
     * The top-level directory kept for Unum's own data (root's, 0700): programs on the mounts cannot
     * enter it, and the public API refuses paths below it. Checkpoint images live here.
     */
    public static final String RESERVED = ".unum";

    /** Where each checkpoint's image is kept in the tree: {@code <this>/<checkpoint id>.zip}. */
    public static final String CHECKPOINTS = "/" + RESERVED + "/checkpoints";

    /** Where checkpoint id's image is kept in the tree (one zip archive of its files). */
    public static String checkpoint(String id) {
        return CHECKPOINTS + "/" + id + ".zip";
    }

    private FsLayout() {
    }

    /** The majority of a goal: how many replicas a write must reach before it is acknowledged. */
    public static int quorum(int replicas) {
        return replicas / 2 + 1;
    }
}
