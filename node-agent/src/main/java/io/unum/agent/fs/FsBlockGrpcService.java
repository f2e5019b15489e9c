package io.unum.agent.fs;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.BlockHeader;
import io.unum.api.grpc.CopyBlockRequest;
import io.unum.api.grpc.CopyBlockResponse;
import io.unum.api.grpc.DeleteBlocksRequest;
import io.unum.api.grpc.DeleteBlocksResponse;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.GetBlockRequest;
import io.unum.api.grpc.GetBlockResponse;
import io.unum.api.grpc.PutBlockRequest;
import io.unum.api.grpc.PutBlockResponse;
import io.unum.api.grpc.ReadFileRequest;
import io.unum.api.grpc.ReadFileResponse;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's blocks for other agents and the control plane, and whole files for the public API.
 * A block is answered only after it is verified, and stored only after it is verified and on disk.
 */
public final class FsBlockGrpcService extends FsBlockServiceGrpc.FsBlockServiceImplBase {
    private static final Logger LOG = Logger.getLogger(FsBlockGrpcService.class.getName());

    private final BlockStore store;
    private final BlockPeers peers;
    private final BlockReader reader;
    private final WholeFiles files;

    FsBlockGrpcService(BlockStore store, BlockPeers peers, BlockReader reader, WholeFiles files) {
        this.store = store;
        this.peers = peers;
        this.reader = reader;
        this.files = files;
    }

    @Override
    public StreamObserver<PutBlockRequest> putBlock(StreamObserver<PutBlockResponse> out) {
        return new StreamObserver<>() {
            private BlockHeader header;
            private byte[] data;
            private int filled;
            private boolean failed;

            @Override
            public void onNext(PutBlockRequest part) {
                if (failed) {
                    return;
                }
                if (part.hasHeader()) {
                    header = part.getHeader();
                    if (header.getLength() < 0 || header.getLength() > OpenFiles.CHUNK) { // uint64: "negative" is huge
                        fail(Status.INVALID_ARGUMENT.withDescription("a block holds at most " + OpenFiles.CHUNK + " bytes"));
                        return;
                    }
                    data = new byte[(int) header.getLength()];
                } else if (header == null) {
                    fail(Status.INVALID_ARGUMENT.withDescription("the first message must be the header"));
                } else if (filled + part.getData().size() > header.getLength()) {
                    fail(Status.INVALID_ARGUMENT.withDescription("more bytes than the header's length " + header.getLength()));
                } else {
                    part.getData().copyTo(data, filled);
                    filled += part.getData().size();
                }
            }

            private void fail(Status s) {
                failed = true;
                out.onError(s.asRuntimeException());
            }

            @Override
            public void onError(Throwable t) {
                // The sender gave up; nothing was stored.
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (header == null) {
                    fail(Status.INVALID_ARGUMENT.withDescription("no header"));
                    return;
                }
                try {
                    Block.checkId(header.getBlockId());
                    store.put(Block.verified(header.getBlockId(), filled == data.length ? data : Arrays.copyOf(data, filled),
                            header.getLength(), header.getCrc32C()));
                } catch (IllegalArgumentException e) {
                    fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
                    return;
                } catch (CorruptBlockException e) {
                    fail(Status.DATA_LOSS.withDescription(e.getMessage() + " (as received)"));
                    return;
                } catch (IOException e) {
                    LOG.warning("cannot store block " + header.getBlockId() + ": " + e);
                    fail(Status.UNAVAILABLE.withDescription("cannot store the block here: " + e.getMessage()));
                    return;
                }
                out.onNext(PutBlockResponse.getDefaultInstance());
                out.onCompleted();
            }
        };
    }

    @Override
    public void getBlock(GetBlockRequest req, StreamObserver<GetBlockResponse> out) {
        Block b;
        try {
            Optional<Block> found = store.get(req.getBlockId());
            if (found.isEmpty()) {
                out.onError(Status.NOT_FOUND.withDescription("block " + req.getBlockId() + " is not on this node").asRuntimeException());
                return;
            }
            b = found.get();
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (CorruptBlockException e) {
            reader.discardCorrupt(e);
            out.onError(Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IOException e) {
            out.onError(Status.UNAVAILABLE.withDescription("cannot read block " + req.getBlockId() + ": " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        BlockHeader header = BlockHeader.newBuilder().setBlockId(b.id()).setLength(b.length()).setCrc32C(b.crc32c()).build();
        if (b.length() == 0) {
            out.onNext(GetBlockResponse.newBuilder().setHeader(header).build());
        }
        for (int off = 0; off < b.length(); off += BlockPeers.PIECE) {
            ByteString piece = UnsafeByteOperations.unsafeWrap(b.data(), off, Math.min(BlockPeers.PIECE, b.length() - off));
            GetBlockResponse.Builder m = GetBlockResponse.newBuilder().setData(piece);
            if (off == 0) {
                m.setHeader(header);
            }
            out.onNext(m.build());
        }
        out.onCompleted();
    }

    @Override
    public void copyBlock(CopyBlockRequest req, StreamObserver<CopyBlockResponse> out) {
        BlockHeader h = req.getBlock();
        try {
            Block.checkId(h.getBlockId());
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        StringBuilder failures = new StringBuilder();
        for (String source : req.getSourcesList()) {
            try {
                store.put(peers.get(source, h.getBlockId(), h.getLength(), h.getCrc32C()));
                out.onNext(CopyBlockResponse.getDefaultInstance());
                out.onCompleted();
                return;
            } catch (CorruptBlockException e) {
                failures.append("; ").append(source).append(": ").append(e.getMessage());
            } catch (StatusRuntimeException e) {
                failures.append("; ").append(source).append(": ").append(e.getStatus());
            } catch (IOException e) {
                out.onError(Status.UNAVAILABLE.withDescription("cannot store the block here: " + e.getMessage()).asRuntimeException());
                return;
            }
        }
        out.onError(Status.UNAVAILABLE.withDescription("no source gave block " + h.getBlockId()
                + (failures.length() > 0 ? failures.substring(1) : ": no sources")).asRuntimeException());
    }

    @Override
    public void deleteBlocks(DeleteBlocksRequest req, StreamObserver<DeleteBlocksResponse> out) {
        long deleted = 0;
        for (String id : req.getBlockIdsList()) {
            try {
                if (store.delete(id)) {
                    deleted++;
                }
            } catch (IllegalArgumentException | IOException e) {
                LOG.warning("cannot delete block " + id + ": " + e.getMessage());
            }
        }
        out.onNext(DeleteBlocksResponse.newBuilder().setDeleted(deleted).build());
        out.onCompleted();
    }

    @Override
    public void readFile(ReadFileRequest req, StreamObserver<ReadFileResponse> out) {
        ServerCallStreamObserver<ReadFileResponse> call = (ServerCallStreamObserver<ReadFileResponse>) out;
        try {
            files.read(req.getPath(), piece -> {
                awaitReady(call);
                call.onNext(ReadFileResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(piece)).build());
            });
            call.onCompleted();
        } catch (StatusRuntimeException e) {
            call.onError(e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "ReadFile " + req.getPath(), e);
            call.onError(Status.INTERNAL.withDescription("ReadFile failed on this agent: " + e).asRuntimeException());
        }
    }

    /**
     * Flow control: a file may be far larger than memory, so the next piece is read only once the
     * caller has taken the last. isReady is the transport's own state: polling it needs no callback
     * (which would queue behind this very call).
     */
    private static void awaitReady(ServerCallStreamObserver<?> call) {
        while (!call.isReady()) {
            if (call.isCancelled()) {
                throw Status.CANCELLED.withDescription("the caller went away").asRuntimeException();
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
            }
        }
    }

    @Override
    public StreamObserver<WriteFileRequest> writeFile(StreamObserver<WriteFileResponse> out) {
        return new StreamObserver<>() {
            private WholeFiles.Upload upload;
            private boolean failed;

            @Override
            public void onNext(WriteFileRequest part) {
                if (failed) {
                    return;
                }
                try {
                    if (part.hasHeader()) {
                        if (upload != null) {
                            throw Status.INVALID_ARGUMENT.withDescription("a second header").asRuntimeException();
                        }
                        upload = files.create(part.getHeader());
                    } else if (upload == null) {
                        throw Status.INVALID_ARGUMENT.withDescription("the first message must be the header").asRuntimeException();
                    } else {
                        upload.write(part.getData().toByteArray());
                    }
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            private void fail(RuntimeException e) {
                failed = true;
                if (upload != null) {
                    upload.abandon();
                }
                if (e instanceof StatusRuntimeException s) {
                    out.onError(s);
                } else {
                    LOG.log(Level.WARNING, "WriteFile", e);
                    out.onError(Status.INTERNAL.withDescription("WriteFile failed on this agent: " + e).asRuntimeException());
                }
            }

            @Override
            public void onError(Throwable t) {
                if (upload != null && !failed) {
                    upload.abandon();
                }
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (upload == null) {
                    fail(Status.INVALID_ARGUMENT.withDescription("no header").asRuntimeException());
                    return;
                }
                try {
                    out.onNext(WriteFileResponse.newBuilder().setEntry(upload.finish()).build());
                    out.onCompleted();
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
        };
    }
}
