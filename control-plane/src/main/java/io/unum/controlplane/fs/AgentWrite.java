package io.unum.controlplane.fs;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;

/**
 * A WriteFile call to an agent, fed message by message by a relay that stops reading its own
 * client while the agent's stream is not ready: gRPC's flow control then reaches back to whoever
 * uploads, and no more than a window of bytes waits in this replica.
 */
final class AgentWrite {
    /** What the relay is told; called on gRPC's threads. */
    interface Listener {
        /** The agent's stream takes more. */
        void ready();

        void finished();

        void failed(Throwable error);
    }

    private volatile ClientCallStreamObserver<WriteFileRequest> agent;

    AgentWrite(FsBlockServiceGrpc.FsBlockServiceStub stub, Listener listener) {
        stub.writeFile(new ClientResponseObserver<WriteFileRequest, WriteFileResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WriteFileRequest> requests) {
                agent = requests;
                requests.setOnReadyHandler(listener::ready);
            }

            @Override
            public void onNext(WriteFileResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                listener.failed(t);
            }

            @Override
            public void onCompleted() {
                listener.finished();
            }
        });
    }

    /** Sends one message; whether the agent takes more now. */
    boolean send(WriteFileRequest message) {
        agent.onNext(message);
        return agent.isReady();
    }

    boolean isReady() {
        return agent.isReady();
    }

    void finish() {
        agent.onCompleted();
    }

    void cancel(String why, Throwable cause) {
        agent.cancel(why, cause);
    }
}
