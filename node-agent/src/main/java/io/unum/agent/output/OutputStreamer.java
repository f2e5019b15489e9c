package io.unum.agent.output;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.unum.api.grpc.OutputChunk;
import io.unum.api.grpc.ReadOutputRequest;
import io.unum.api.grpc.ReadOutputResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One ReadOutput call: sends what is captured from the requested offsets and, with follow,
 * polls for more every 100 ms until the process ended and everything was sent, or the client
 * cancelled. "Ended" is checked before reading, so the last read after the end sees all output
 * (the shim writes its exit file only after both pipes hit EOF).
 */
public final class OutputStreamer implements Runnable {

    private static final Logger LOG = Logger.getLogger(OutputStreamer.class.getName());
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int gpid;
    private final BooleanSupplier ended;
    private final OutputStore store;
    private final boolean follow;
    private final ServerCallStreamObserver<ReadOutputResponse> call;
    private final long[] offsets = new long[2];
    private volatile boolean cancelled;

    /** procDir holds the output segments of gpid; ended says whether it ended (or is gone). */
    public OutputStreamer(int gpid, Path procDir, BooleanSupplier ended, ReadOutputRequest req,
            ServerCallStreamObserver<ReadOutputResponse> call) {
        this.gpid = gpid;
        this.ended = ended;
        this.store = new OutputStore(procDir);
        this.follow = req.getFollow();
        this.call = call;
        offsets[0] = Math.max(0, req.getStdoutOffset());
        offsets[1] = Math.max(0, req.getStderrOffset());
    }

    public void cancel() {
        cancelled = true;
    }

    @Override
    public void run() {
        try {
            while (!cancelled) {
                boolean endedBefore = ended.getAsBoolean();
                boolean sent = sendAvailable();
                if (cancelled) {
                    return;
                }
                if (!follow || (endedBefore && !sent)) {
                    call.onCompleted();
                    return;
                }
                if (!sent) {
                    LockSupport.parkNanos(POLL_NANOS);
                }
            }
        } catch (RuntimeException e) {
            if (!cancelled) {
                LOG.log(Level.WARNING, "ReadOutput of gpid " + gpid + " failed: " + e, e);
                try {
                    call.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the call is already closed
                }
            }
        }
    }

    /** Sends everything currently captured on both streams; true when anything was sent. */
    private boolean sendAvailable() {
        boolean any = false;
        for (OutputStream stream : OutputStream.values()) {
            int i = stream.ordinal();
            OutputStore.Chunk chunk;
            while (!cancelled && (chunk = store.read(stream, offsets[i], OutputStore.MAX_CHUNK)) != null) {
                awaitReady();
                if (cancelled) {
                    return any;
                }
                call.onNext(ReadOutputResponse.newBuilder().setChunk(OutputChunk.newBuilder()
                        .setStream(stream == OutputStream.STDOUT ? io.unum.api.grpc.OutputStream.OUTPUT_STREAM_STDOUT
                                : io.unum.api.grpc.OutputStream.OUTPUT_STREAM_STDERR)
                        .setOffset(chunk.offset())
                        .setData(ByteString.copyFrom(chunk.data()))).build());
                offsets[i] = chunk.end();
                any = true;
            }
        }
        return any;
    }

    /** Flow control: do not queue unbounded output for a slow client. */
    private void awaitReady() {
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (!cancelled && !call.isReady()) {
            if (call.isCancelled()) {
                cancelled = true;
                return;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, POLL_NANOS);
        }
        if (call.isCancelled()) {
            cancelled = true;
        }
    }
}
