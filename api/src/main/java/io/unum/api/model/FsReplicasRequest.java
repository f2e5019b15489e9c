package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A new replica goal (1 to 9); recursive also applies it to everything below a directory now. */
public record FsReplicasRequest(@Schema(required = true, minimum = "1", maximum = "9") int replicas, boolean recursive) {
}
