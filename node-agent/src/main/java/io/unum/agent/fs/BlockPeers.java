package io.unum.agent.fs;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.BlockHeader;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.GetBlockRequest;
import io.unum.api.grpc.GetBlockResponse;
import io.unum.api.grpc.PutBlockRequest;
import io.unum.api.grpc.PutBlockResponse;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The other agents' block services, over the agents' mutual TLS: one channel per agent, kept. */
public final class BlockPeers implements AutoCloseable {
    /** A 4 MiB block over a slow link, with room: a peer that takes longer counts as failed. */
    private static final long CALL_SECONDS = 30;
    /** Bytes per message: under gRPC's 4 MiB message limit with the header. */
    static final int PIECE = 1024 * 1024;

    private final ChannelCredentials credentials;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public BlockPeers(ChannelCredentials credentials) {
        this.credentials = credentials;
    }

    /**
     * The channel to address, about to be used. Calls fail fast (no wait-for-ready): a dead peer's
     * refused connection must send the reader to the next replica at once, not after the call's
     * deadline (30 s per block were seen once a replica's agent was killed). A channel still
     * backing off after an earlier failure dials again now, so a restarted peer is used at once.
     */
    private ManagedChannel channel(String address) {
        ManagedChannel ch = channels.computeIfAbsent(address, a -> Grpc.newChannelBuilder(a, credentials).build());
        if (ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            ch.resetConnectBackoff();
        }
        return ch;
    }

    /** The block from the agent at address, checked against the length and CRC-32C its chunk names. */
    Block get(String address, String blockId, long length, int crc32c) throws CorruptBlockException {
        Iterator<GetBlockResponse> answers = FsBlockServiceGrpc.newBlockingStub(channel(address))
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                .getBlock(GetBlockRequest.newBuilder().setBlockId(blockId).build());
        if (length > OpenFiles.CHUNK) {
            throw new CorruptBlockException(blockId, "its chunk says " + length + " bytes, more than a chunk");
        }
        byte[] data = new byte[(int) length];
        int filled = 0;
        while (answers.hasNext()) {
            ByteString piece = answers.next().getData();
            if (filled + piece.size() > length) {
                throw new CorruptBlockException(blockId, address + " sent more than " + length + " bytes");
            }
            piece.copyTo(data, filled);
            filled += piece.size();
        }
        return Block.verified(blockId, filled == length ? data : java.util.Arrays.copyOf(data, filled), length, crc32c);
    }

    /** Stores block on the agent at address; returns once that agent has it on disk. */
    void put(String address, Block block) throws Exception {
        CompletableFuture<PutBlockResponse> done = new CompletableFuture<>();
        StreamObserver<PutBlockRequest> out = FsBlockServiceGrpc.newStub(channel(address))
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).putBlock(new StreamObserver<>() {
                    @Override
                    public void onNext(PutBlockResponse value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(PutBlockResponse.getDefaultInstance());
                    }
                });
        out.onNext(PutBlockRequest.newBuilder().setHeader(BlockHeader.newBuilder().setBlockId(block.id())
                .setLength(block.length()).setCrc32C(block.crc32c())).build());
        for (int off = 0; off < block.length(); off += PIECE) {
            ByteString piece = UnsafeByteOperations.unsafeWrap(block.data(), off, Math.min(PIECE, block.length() - off));
            out.onNext(PutBlockRequest.newBuilder().setData(piece).build());
        }
        out.onCompleted();
        try {
            done.get(CALL_SECONDS + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("no answer from " + address + " within " + CALL_SECONDS + " s");
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
