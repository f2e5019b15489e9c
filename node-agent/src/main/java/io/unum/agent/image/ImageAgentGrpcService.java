package io.unum.agent.image;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.unum.agent.files.PrivateFiles;
import io.unum.agent.net.TcpConnections;
import io.unum.agent.process.FileLocks;
import io.unum.agent.process.GrpcStatuses;
import io.unum.api.grpc.DeleteImageRequest;
import io.unum.api.grpc.DeleteImageResponse;
import io.unum.api.grpc.DescribeProcessRequest;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.DumpProcessRequest;
import io.unum.api.grpc.DumpProcessResponse;
import io.unum.api.grpc.GetImageFromTreeRequest;
import io.unum.api.grpc.GetImageFromTreeResponse;
import io.unum.api.grpc.PutImageInTreeRequest;
import io.unum.api.grpc.PutImageInTreeResponse;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.Presence;
import io.unum.api.grpc.PushImageProgress;
import io.unum.api.grpc.PushImageRequest;
import io.unum.api.grpc.ReceiveImageRequest;
import io.unum.api.grpc.ReceiveImageResponse;
import io.unum.api.grpc.ReleaseProcessRequest;
import io.unum.api.grpc.ReleaseProcessResponse;
import io.unum.api.grpc.RestoreProcessRequest;
import io.unum.api.grpc.RestoreProcessResponse;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.logging.Logger;

/** The agent's image calls: a thin translation onto {@link ProcessImages} and {@link ImageTransfer}. */
public final class ImageAgentGrpcService extends ImageAgentServiceGrpc.ImageAgentServiceImplBase {

    private static final Logger LOG = Logger.getLogger(ImageAgentGrpcService.class.getName());
    private static final long PROGRESS_EVERY_NANOS = 200_000_000L;

    private final ProcessImages images;
    private final ImageTransfer transfer;
    private final TreeImages tree;

    public ImageAgentGrpcService(ProcessImages images, ImageTransfer transfer, TreeImages tree) {
        this.images = images;
        this.transfer = transfer;
        this.tree = tree;
    }

    @Override
    public void dumpProcess(DumpProcessRequest req, StreamObserver<DumpProcessResponse> out) {
        GrpcStatuses.answer("DumpProcess", out, () -> {
            if (req.getLazy() && req.getLeaveRunning()) {
                throw new IllegalArgumentException("a lazy (post-copy) dump always stops the process: leave_running must be false");
            }
            if (req.getMoving() && req.getLeaveRunning()) {
                throw new IllegalArgumentException("a process that moves does not run on here: leave_running must be false");
            }
            long called = System.nanoTime();
            if (!req.getNextAgentAddress().isEmpty()) {
                transfer.connect(req.getNextAgentAddress());
            }
            ProcessImages.Dumped d = req.getLazy() ? images.dumpLazy(req.getGpid(), req.getImageId())
                    : images.dump(req.getGpid(), req.getImageId(), req.getLeaveRunning(), req.getMoving());
            return DumpProcessResponse.newBuilder().setImageBytes(d.imageBytes()).setDumpMillis(d.dumpMillis())
                    .setPageServerPort(d.pageServerPort())
                    .setPrepareMillis(Math.max(0, (d.criuStartNanos() - called) / 1_000_000))
                    .setSyncMillis(d.syncMillis()).build();
        });
    }

    @Override
    public void pushImage(PushImageRequest req, StreamObserver<PushImageProgress> out) {
        ServerCallStreamObserver<PushImageProgress> call = (ServerCallStreamObserver<PushImageProgress>) out;
        try {
            Image image = images.store().find(req.getImageId()).orElse(null);
            if (image == null) {
                out.onError(Status.NOT_FOUND.withDescription("no image " + req.getImageId() + " on this node").asRuntimeException());
                return;
            }
            long total = image.transferSize();
            long[] last = {0};
            transfer.push(image, req.getTargetAddress(), sent -> {
                long now = System.nanoTime();
                if ((now - last[0] > PROGRESS_EVERY_NANOS || sent == total) && call.isReady() && !call.isCancelled()) {
                    last[0] = now;
                    call.onNext(PushImageProgress.newBuilder().setBytesSent(sent).setBytesTotal(total).build());
                }
            });
            out.onNext(PushImageProgress.newBuilder().setBytesSent(total).setBytesTotal(total).build());
            out.onCompleted();
        } catch (ImageTransfer.TransferException e) {
            out.onError(e.status().augmentDescription("from " + req.getTargetAddress()).asRuntimeException());
        } catch (IOException e) {
            out.onError(Status.UNAVAILABLE.withDescription("sending image " + req.getImageId() + " to "
                    + req.getTargetAddress() + " failed: " + e.getMessage()).asRuntimeException());
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.internal("PushImage", e));
        }
    }

    @Override
    public StreamObserver<ReceiveImageRequest> receiveImage(StreamObserver<ReceiveImageResponse> out) {
        return new Receiver(out);
    }

    @Override
    public void restoreProcess(RestoreProcessRequest req, StreamObserver<RestoreProcessResponse> out) {
        GrpcStatuses.answer("RestoreProcess", out, () -> {
            try {
                ProcessImages.Restored r = images.restore(req.getGpid(), req.getImageId(), req.getLazyPageServer(), req.getHold());
                return RestoreProcessResponse.newBuilder().setLocalPid(r.localPid()).setRestoreMillis(r.restoreMillis())
                        .setHeld(r.held()).build();
            } catch (CorruptImageException e) {
                throw Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException();
            }
        });
    }

    @Override
    public void deleteImage(DeleteImageRequest req, StreamObserver<DeleteImageResponse> out) {
        GrpcStatuses.answer("DeleteImage", out, () -> {
            images.delete(req.getImageId());
            return DeleteImageResponse.getDefaultInstance();
        });
    }

    @Override
    public void putImageInTree(PutImageInTreeRequest req, StreamObserver<PutImageInTreeResponse> out) {
        GrpcStatuses.answer("PutImageInTree", out, () -> PutImageInTreeResponse.newBuilder()
                .setBytes(tree.put(req.getImageId())).setTreePath(TreeImages.path(req.getImageId())).build());
    }

    @Override
    public void getImageFromTree(GetImageFromTreeRequest req, StreamObserver<GetImageFromTreeResponse> out) {
        GrpcStatuses.answer("GetImageFromTree", out, () -> GetImageFromTreeResponse.newBuilder()
                .setBytes(tree.get(req.getImageId())).build());
    }

    @Override
    public void releaseProcess(ReleaseProcessRequest req, StreamObserver<ReleaseProcessResponse> out) {
        GrpcStatuses.answer("ReleaseProcess", out, () -> {
            images.release(req.getGpid(), req.getImageId());
            return ReleaseProcessResponse.getDefaultInstance();
        });
    }

    @Override
    public void describeProcess(DescribeProcessRequest req, StreamObserver<DescribeProcessResponse> out) {
        GrpcStatuses.answer("DescribeProcess", out, () -> {
            Whereabouts w = images.describe(req.getGpid());
            DescribeProcessResponse.Builder b = DescribeProcessResponse.newBuilder()
                    .setPresence(Presence.valueOf("PRESENCE_" + w.presence().name()))
                    .addAllImages(w.images());
            w.process().ifPresent(v -> {
                b.setLocalPid(v.localPid());
                v.restoredFrom().ifPresent(b::setImageId);
                v.exit().ifPresent(e -> b.setExitStatus(e.toProto()));
                if (w.presence() == Whereabouts.Presence.RUNNING && v.localPid() > 0) {
                    FileLocks.posixHeldByTree(v.localPid()).forEach(l -> b.addFileLocks(l.toString()));
                    b.addAllTcpConnections(TcpConnections.heldByTree(v.localPid()));
                }
            });
            return b.build();
        });
    }

    /** Writes an incoming image into a partial directory; publishes it once it verified. */
    private final class Receiver implements StreamObserver<ReceiveImageRequest> {
        private final StreamObserver<ReceiveImageResponse> out;
        private Image partial;
        private String openPath;
        private FileChannel file;
        /** The checksum of each file, computed as its bytes arrive (chunks come in order). */
        private java.util.zip.CRC32C digest;
        private final java.util.Map<String, String> digests = new java.util.HashMap<>();
        private long received;
        private boolean failed;

        Receiver(StreamObserver<ReceiveImageResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(ReceiveImageRequest req) {
            if (failed) {
                return;
            }
            try {
                if (req.hasHeader()) {
                    if (partial != null) {
                        throw new IllegalArgumentException("a second header");
                    }
                    partial = images.store().createPartial(req.getHeader().getImageId());
                    return;
                }
                if (partial == null) {
                    throw new IllegalArgumentException("the first message must be the header");
                }
                var chunk = req.getChunk();
                if (!chunk.getPath().equals(openPath)) {
                    closeFile();
                    Path target = partial.resolveInside(chunk.getPath());
                    PrivateFiles.createDirectories(target.getParent());
                    file = PrivateFiles.createNew(target);
                    openPath = chunk.getPath();
                    digest = new java.util.zip.CRC32C();
                }
                file.write(chunk.getData().asReadOnlyByteBuffer(), chunk.getOffset());
                digest.update(chunk.getData().asReadOnlyByteBuffer());
                received += chunk.getData().size();
            } catch (java.nio.file.FileAlreadyExistsException e) {
                fail(Status.ALREADY_EXISTS.withDescription(e.getMessage()));
            } catch (IllegalArgumentException | CorruptImageException e) {
                fail(Status.INVALID_ARGUMENT.withDescription("bad image stream: " + e.getMessage()));
            } catch (IOException e) {
                fail(Status.UNAVAILABLE.withDescription("cannot store the image: " + e.getMessage()));
            }
        }

        @Override
        public void onError(Throwable t) {
            LOG.info(() -> "image transfer aborted by the sender: " + t);
            cleanup();
        }

        @Override
        public void onCompleted() {
            if (failed) {
                return;
            }
            try {
                closeFile();
                if (partial == null) {
                    throw new IllegalArgumentException("no header");
                }
                partial.verify(digests);
                partial.markVerified();
                images.store().publish(partial);
                LOG.info(() -> "received image " + partial.id() + ": " + received + " bytes");
                out.onNext(ReceiveImageResponse.newBuilder().setBytesReceived(received).build());
                out.onCompleted();
            } catch (CorruptImageException e) {
                fail(Status.DATA_LOSS.withDescription(e.getMessage()));
            } catch (IllegalArgumentException e) {
                fail(Status.INVALID_ARGUMENT.withDescription("bad image stream: " + e.getMessage()));
            } catch (IOException e) {
                fail(Status.UNAVAILABLE.withDescription("cannot store the image: " + e.getMessage()));
            }
        }

        private void fail(Status status) {
            failed = true;
            cleanup();
            out.onError(status.asRuntimeException());
        }

        private void cleanup() {
            try {
                closeFile();
            } catch (IOException ignored) {
                // the directory goes anyway
            }
            if (partial != null) {
                images.store().discard(partial);
            }
        }

        private void closeFile() throws IOException {
            if (file != null) {
                file.close();
                file = null;
                digests.put(openPath, Image.hex(digest));
            }
        }
    }
}
