package io.unum.controlplane.fs;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;
import io.unum.controlplane.error.GrpcErrors;

/**
 * A public WriteFile relayed to an agent's: the header is checked here first (nothing is sent to
 * an agent for a write the API refuses), then each message is passed on, and the next one asked
 * of the client only when the agent's stream is ready for it.
 */
final class GrpcWriteRelay implements StreamObserver<WriteFileRequest>, AgentWrite.Listener {
    private final ServerCallStreamObserver<WriteFileResponse> client;
    private final FsTransfer transfer;
    private final FsOperations operations;
    private AgentWrite agent;
    private String path;
    private boolean owed;
    private boolean over;

    GrpcWriteRelay(ServerCallStreamObserver<WriteFileResponse> client, FsTransfer transfer, FsOperations operations) {
        this.client = client;
        this.transfer = transfer;
        this.operations = operations;
        client.disableAutoRequest();
        client.request(1);
        client.setOnCancelHandler(() -> {
            synchronized (this) {
                if (agent != null && !over) {
                    agent.cancel("the client went away", null);
                }
                over = true;
            }
        });
    }

    @Override
    public synchronized void onNext(WriteFileRequest message) {
        if (over) {
            return;
        }
        try {
            if (agent == null) {
                if (!message.hasHeader()) {
                    throw Status.INVALID_ARGUMENT.withDescription("the first message of WriteFile is its header").asRuntimeException();
                }
                transfer.checkWrite(message.getHeader());
                transfer.audited(null, message.getHeader());
                path = message.getHeader().getPath();
                agent = new AgentWrite(transfer.writer(transfer.readyAgent()), this);
            } else if (message.hasHeader()) {
                throw Status.INVALID_ARGUMENT.withDescription("WriteFile has one header, in its first message").asRuntimeException();
            }
            if (agent.send(message)) {
                client.request(1);
            } else {
                owed = true;
            }
        } catch (RuntimeException e) {
            end(e);
        }
    }

    @Override
    public synchronized void ready() {
        if (owed && !over && agent.isReady()) {
            owed = false;
            client.request(1);
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        if (agent != null && !over) {
            agent.cancel("the client's stream failed", t);
        }
        over = true;
    }

    @Override
    public synchronized void onCompleted() {
        if (over) {
            return;
        }
        if (agent == null) {
            end(Status.INVALID_ARGUMENT.withDescription("WriteFile needs a header").asRuntimeException());
            return;
        }
        agent.finish();
    }

    @Override
    public void finished() {
        try {
            FsTree.Entry e = operations.entry(FsOperations.path(path));
            WriteFileResponse answer = WriteFileResponse.newBuilder()
                    .setEntry(FsViews.proto(e, operations.chunks(e), operations.nodeTable())).build();
            synchronized (this) {
                if (!over) {
                    over = true;
                    client.onNext(answer);
                    client.onCompleted();
                }
            }
        } catch (RuntimeException e) {
            end(e);
        }
    }

    @Override
    public void failed(Throwable error) {
        end(FsTransfer.refusal(FsTransfer.status(error)));
    }

    private synchronized void end(RuntimeException e) {
        if (over) {
            return;
        }
        over = true;
        if (agent != null) {
            agent.cancel("the write was refused", e);
        }
        client.onError(GrpcErrors.toStatus(e));
    }
}
