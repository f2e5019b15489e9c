package io.unum.api.model;

/**
 * A piece of a process's captured output.
 *
 * @param stream "stdout" or "stderr"
 * @param offset byte offset of {@code data} within its stream
 * @param data the bytes, base64-encoded (output need not be text)
 */
public record OutputChunk(String stream, long offset, String data) {
}
