package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A directory to make: mode in octal ("0755" when absent); parents makes missing parents;
 * replicas 0 or absent inherits the parent's goal.
 */
public record FsDirectoryRequest(@Schema(description = "octal, e.g. 0755") String mode, boolean parents, Integer replicas) {
}
