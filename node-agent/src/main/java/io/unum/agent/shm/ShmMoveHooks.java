package io.unum.agent.shm;

import io.unum.agent.image.MoveHooks;

/**
 * Shared memory's part in dumps and restores. The images are opened before the agent has its
 * certificate, and shared memory only after: until then there is nothing to let go of.
 */
public final class ShmMoveHooks implements MoveHooks {
    private volatile ShmNode node;

    public void use(ShmNode shm) {
        this.node = shm;
    }

    @Override
    public void beforeDump(int gpid) {
        ShmNode n = node;
        if (n != null) {
            n.suspend(gpid);
        }
    }

    @Override
    public void afterDump(int gpid, boolean runsHere) {
        ShmNode n = node;
        if (n != null) {
            n.dumped(gpid, runsHere);
        }
    }

    @Override
    public void restored(int gpid) {
        ShmNode n = node;
        if (n != null) {
            n.restored(gpid);
        }
    }
}
