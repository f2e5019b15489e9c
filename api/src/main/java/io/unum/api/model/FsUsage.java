package io.unum.api.model;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** `unum fs df`: every node's storage and the repair's state. */
public record FsUsage(@Schema(required = true) List<FsNodeUsageInfo> nodes, @Schema(required = true) FsRepairInfo repair) {
}
