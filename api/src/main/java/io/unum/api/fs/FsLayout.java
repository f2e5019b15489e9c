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

    private FsLayout() {
    }

    /** The majority of a goal: how many replicas a write must reach before it is acknowledged. */
    public static int quorum(int replicas) {
        return replicas / 2 + 1;
    }
}
