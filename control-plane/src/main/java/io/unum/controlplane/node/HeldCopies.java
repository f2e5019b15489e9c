package io.unum.controlplane.node;

import io.unum.api.grpc.LocalProcess;
import io.unum.api.model.NodeInfo;
import java.util.List;

/**
 * Settles the held (restored but stopped) copies an agent lists when it registers or heartbeats: released when the
 * process record committed that copy, discarded otherwise. The migration package implements it.
 */
public interface HeldCopies {
    void settle(NodeInfo node, List<LocalProcess> held);
}
