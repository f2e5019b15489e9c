package io.unum.agent.fs;

import io.unum.agent.image.MoveHooks;

/**
 * The file system's part in a dump: CRIU reopens files by path wherever the tree is restored, so
 * what the process wrote must be committed before the target opens it. Before the dump commits
 * what was written so far; after it (the tree is stopped or gone, nothing writes any more) commits
 * what the process wrote in between, before the restore elsewhere is asked for.
 */
public final class FsMoveHooks implements MoveHooks {
    private volatile OpenFiles files;

    /** Set once the node's file system runs (it needs the agent's certificate, the images do not). */
    public void use(OpenFiles openFiles) {
        this.files = openFiles;
    }

    @Override
    public void beforeDump(int gpid) {
        commit();
    }

    @Override
    public void afterDump(int gpid, boolean runsHere) {
        commit();
    }

    private void commit() {
        OpenFiles f = files;
        if (f != null) {
            f.commitAll();
        }
    }
}
