package io.unum.agent.image;

/**
 * What else must happen around a dump and a restore of a tree: cluster-wide shared memory lets go
 * of the process before CRIU sees it and takes it back wherever it runs after.
 */
public interface MoveHooks {
    MoveHooks NONE = new MoveHooks() {
    };

    /** Before CRIU dumps the tree of gpid. */
    default void beforeDump(int gpid) {
    }

    /** After the dump, whatever its outcome (the tree may run on here, or be gone). */
    default void afterDump(int gpid) {
    }

    /** A tree was restored here. */
    default void restored(int gpid) {
    }
}
