package io.unum.cli;

import io.unum.api.model.OutputChunk;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.function.Consumer;

/**
 * Writes a process's output chunks to our stdout and stderr byte for byte, and tracks the
 * offset reached in each stream so that a chunk seen twice is written once.
 */
final class OutputCopier implements Consumer<OutputChunk> {
    private final OutputStream stdout;
    private final OutputStream stderr;
    private long stdoutOffset;
    private long stderrOffset;

    OutputCopier(OutputStream stdout, OutputStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public void accept(OutputChunk chunk) {
        boolean isErr = "stderr".equals(chunk.stream());
        byte[] data = chunk.data() == null ? new byte[0] : Base64.getDecoder().decode(chunk.data());
        long reached = isErr ? stderrOffset : stdoutOffset;
        long end = chunk.offset() + data.length;
        if (end <= reached) {
            return;
        }
        // Skip the part already written; a gap (output dropped by the node's limit) is just skipped.
        int from = (int) Math.max(0, reached - chunk.offset());
        try {
            OutputStream target = isErr ? stderr : stdout;
            target.write(data, from, data.length - from);
            target.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (isErr) {
            stderrOffset = end;
        } else {
            stdoutOffset = end;
        }
    }

    long stdoutOffset() {
        return stdoutOffset;
    }

    long stderrOffset() {
        return stderrOffset;
    }
}
