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
            public void afterDump(int gpid, boolean runsHere) {
                for (MoveHooks h : hooks) {
                    h.afterDump(gpid, runsHere);
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

    /**
     * After the dump, whatever its outcome: runsHere when the tree goes on running on this node
     * (the dump failed, or left it running); otherwise it is stopped or gone, and runs again only
     * where it is restored.
     */
    default void afterDump(int gpid, boolean runsHere) {
    }

    /** A tree was restored here, or a move was cancelled and it runs on here. */
    default void restored(int gpid) {
    }
}
