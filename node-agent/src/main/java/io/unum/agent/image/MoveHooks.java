package io.unum.agent.image;

/**
 * What else must happen around a dump and a restore of a tree: cluster-wide shared memory lets go
 * of the process before CRIU sees it and takes it back wherever it runs after; the cluster file
 * system commits what the process wrote.
 */
public interface MoveHooks {
    MoveHooks NONE = new MoveHooks() {
    };

    /** Each of hooks, in order. */
    static MoveHooks all(MoveHooks... hooks) {
        return new MoveHooks() {
            @Override
            public void beforeDump(int gpid) {
                for (MoveHooks h : hooks) {
                    h.beforeDump(gpid);
                }
            }

            @Override
            public void afterDump(int gpid) {
                for (MoveHooks h : hooks) {
                    h.afterDump(gpid);
                }
            }

            @Override
            public void restored(int gpid) {
                for (MoveHooks h : hooks) {
                    h.restored(gpid);
                }
            }
        };
    }

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
