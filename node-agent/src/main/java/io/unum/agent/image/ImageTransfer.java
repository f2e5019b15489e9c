package io.unum.agent.image;

import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.ImageFileChunk;
import io.unum.api.grpc.ImageHeader;
import io.unum.api.grpc.ReceiveImageRequest;
import io.unum.api.grpc.ReceiveImageResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Sends an image to another agent over ReceiveImage: a header, then every file in 1 MiB chunks,
 * the manifest last. Sending waits whenever the stream is not ready (gRPC flow control), so a
 * slow receiver slows the sender instead of filling its memory. The receiver checks every
 * checksum before the image appears there.
 */
public final class ImageTransfer {

    static final int CHUNK = 1 << 20;
    /** The receiving agent's HTTP/2 window: room for several chunks in flight. */
    public static final int FLOW_CONTROL_WINDOW = 16 << 20;

    /** This agent's certificate: the receiver accepts images from agents of the cluster only. */
    private final ChannelCredentials credentials;
    /** One channel per receiving agent, reused: setting up a connection costs more than a small image. */
    private final java.util.Map<String, ManagedChannel> channels = new java.util.concurrent.ConcurrentHashMap<>();

    public ImageTransfer(ChannelCredentials credentials) {
        this.credentials = credentials;
    }

    /**
     * Starts connecting to address (TCP and the TLS handshake, on gRPC's threads) and returns at
     * once: a push that follows finds the connection made. A first connection costs a few hundred
     * milliseconds in a JVM, which a migration would otherwise spend with its process frozen.
     */
    public void connect(String address) {
        try {
            channel(address).getState(true);
        } catch (IllegalArgumentException e) {
            // a malformed address: the push will say so
        }
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> Grpc.newChannelBuilder(a, credentials).build());
    }

    /** Pushes image to the agent at address ("host:port"), reporting bytes sent. */
    public long push(Image image, String address, LongConsumer progress) throws IOException {
        List<String> paths = new ArrayList<>();
        image.manifest().forEach(e -> paths.add(e.path()));
        paths.add(Image.MANIFEST);
        long total = image.transferSize();
        ManagedChannel channel = channel(address);
        Sender sender = new Sender();
        ImageAgentServiceGrpc.newStub(channel)
                .withDeadlineAfter(30, TimeUnit.MINUTES).receiveImage(sender);
        sender.send(ReceiveImageRequest.newBuilder()
                .setHeader(ImageHeader.newBuilder().setImageId(image.id()).setBytesTotal(total)).build());
        try {
            sendFiles(image, paths, sender, progress);
            sender.finish();
        } catch (IOException | RuntimeException e) {
            sender.cancel(e); // the receiver drops what it got
            throw e;
        }
        return total;
    }

    private static void sendFiles(Image image, List<String> paths, Sender sender, LongConsumer progress) throws IOException {
        long sent = 0;
        byte[] buf = new byte[CHUNK];
        for (String rel : paths) {
            Path f = image.resolveInside(rel);
            long offset = 0;
            try (InputStream in = Files.newInputStream(f)) {
                int n;
                boolean first = true;
                while ((n = in.readNBytes(buf, 0, buf.length)) > 0 || first) {
                    first = false;
                    sender.send(ReceiveImageRequest.newBuilder().setChunk(ImageFileChunk.newBuilder()
                            .setPath(rel).setOffset(offset).setData(ByteString.copyFrom(buf, 0, n))).build());
                    offset += n;
                    sent += n;
                    progress.accept(sent);
                    if (n == 0) {
                        break; // an empty file still has to exist on the far side
                    }
                }
            }
        }
    }

    /** Client side of the stream, with blocking sends that honour flow control. */
    private static final class Sender implements ClientResponseObserver<ReceiveImageRequest, ReceiveImageResponse> {
        private final CompletableFuture<ReceiveImageResponse> done = new CompletableFuture<>();
        private final Object readyLock = new Object();
        private ClientCallStreamObserver<ReceiveImageRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<ReceiveImageRequest> requestStream) {
            this.call = requestStream;
            requestStream.setOnReadyHandler(() -> {
                synchronized (readyLock) {
                    readyLock.notifyAll();
                }
            });
        }

        void send(ReceiveImageRequest message) throws IOException {
            synchronized (readyLock) {
                while (!call.isReady()) {
                    if (done.isDone()) {
                        failure(); // the receiver gave up: say why
                    }
                    try {
                        readyLock.wait(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        call.cancel("interrupted", e);
                        throw new IOException("interrupted while sending the image");
                    }
                }
            }
            if (done.isDone()) {
                failure();
            }
            call.onNext(message);
        }

        void cancel(Throwable cause) {
            call.cancel("the sender failed: " + cause.getMessage(), cause);
        }

        void finish() throws IOException {
            call.onCompleted();
            try {
                done.get(10, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
                failure();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the receiver");
            } catch (TimeoutException e) {
                call.cancel("no answer", e);
                throw new IOException("the receiving agent did not confirm the image within 10 minutes");
            }
        }

        private void failure() throws IOException {
            try {
                done.getNow(null);
            } catch (java.util.concurrent.CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof StatusRuntimeException s) {
                    throw new TransferException(s.getStatus());
                }
                throw new IOException(cause);
            }
            throw new IOException("the receiving agent ended the transfer early");
        }

        @Override
        public void onNext(ReceiveImageResponse value) {
            done.complete(value);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
            synchronized (readyLock) {
                readyLock.notifyAll();
            }
        }

        @Override
        public void onCompleted() {
            done.complete(ReceiveImageResponse.getDefaultInstance());
        }
    }

    /** The receiving agent refused or failed; carries its status. */
    public static final class TransferException extends IOException {
        private final Status status;

        TransferException(Status status) {
            super("the receiving agent answered " + status.getCode() + ": " + status.getDescription());
            this.status = status;
        }

        public Status status() {
            return status;
        }
    }
}
