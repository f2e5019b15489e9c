package io.unum.controlplane.process;

import java.util.Set;

/**
 * A table whose records hold dynamic ids (process records that have not ended, checkpoints that
 * may be restarted, named groups). {@link DynamicIds} never hands out an id one of them holds, so
 * an id is reused only once nothing that could run as it is left.
 */
public interface IdHolders {
    void collectHeld(Set<Integer> into);
}
