package io.unum.controlplane.scheduler;

import io.unum.api.model.NodeInfo;
import java.util.List;
import java.util.Optional;

/** Picks the node a new process runs on, among READY candidates. */
public interface PlacementPolicy {
    Optional<NodeInfo> place(List<NodeInfo> readyNodes);
}
