package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A piece of a process's captured output.
 *
 * @param stream "stdout" or "stderr"
 * @param offset byte offset of {@code data} within its stream
 * @param data the bytes, base64-encoded (output need not be text)
 */
public record OutputChunk(
        @Schema(required = true, enumeration = {"stdout", "stderr"}) String stream,
        @Schema(required = true) long offset,
        @Schema(required = true) String data) {
}
